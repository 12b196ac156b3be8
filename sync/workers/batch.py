"""A host batch: the job payload, and the worker side that checks it.

``HostBatch`` is what the dispatcher defers (JSON kwargs of the procrastinate job): the seller
account it was planned for, the supplier host, the page sources (everything a check needs, so
a worker never loads the catalogue) and the batch's risk. ``BatchRunner`` checks one batch with
the process's checker (the Fetcher's per-host politeness: in-flight cap and start gap) and
stores each observation as it comes, so a worker killed mid-batch loses at most the pages in
flight. Before the job ends it waits out the host's start gap, so the next batch of the host
(another worker, the lock just released) cannot start closer to this one's last request.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from stockguard.core.clock import Clock
from stockguard.core.domain import Observation, Source, SourceKind
from stockguard.core.store import observations as obs_store

log = logging.getLogger("stockguard.workers")
DEFAULT_ACCOUNT = "default"


class Checker(Protocol):
    """Reads page sources: one Observation per source (sync.engine.SourceChecker)."""

    def __call__(self, sources: Sequence[Source]) -> Iterator[Observation]: ...


@dataclass(frozen=True)
class HostBatch:
    """One supplier host's due sources, checked by one worker under the host's lock."""

    account: str
    host: str
    sources: tuple[Source, ...]
    risk: float = 0.0

    def to_job(self) -> dict[str, Any]:
        """The job's JSON kwargs."""
        return {
            "account": self.account,
            "host": self.host,
            "risk": self.risk,
            "sources": [{k: v for k, v in asdict(s).items() if k != "kind"} for s in self.sources],
        }

    @classmethod
    def from_job(cls, kwargs: dict[str, Any]) -> HostBatch:
        """The batch back from a job's kwargs (written by ``to_job``)."""
        sources = tuple(Source(SourceKind.PAGE, **row) for row in kwargs["sources"])
        return cls(str(kwargs["account"]), str(kwargs["host"]), sources, float(kwargs["risk"]))


def host_lock(host: str) -> str:
    """The procrastinate lock (and queueing lock) of a supplier host. Not per account: two
    accounts checking one shop share its politeness."""
    return f"host:{host}"


class BatchRunner:
    """Checks host batches in one worker process (several hosts at once, one thread each)."""

    def __init__(
        self, db: Engine, checker: Checker, clock: Clock, *, min_gap: float, threads: int
    ) -> None:
        self.db = db
        self.checker = checker
        self.clock = clock
        self.min_gap = min_gap
        self.executor = ThreadPoolExecutor(max(threads, 1), thread_name_prefix="batch")

    def run(self, batch: HostBatch) -> int:
        """Check every source of ``batch``, storing each observation; returns how many."""
        # The tests kill a worker on this line: mid-batch.
        log.info(
            "batch started: %s, %d sources, pid %d", batch.host, len(batch.sources), os.getpid()
        )
        done = 0
        last_start = self.clock.monotonic()
        for observation in self.checker(batch.sources):
            obs_store.record_observations(self.db, [observation])
            done += 1
            last_start = self.clock.monotonic()
        # The host's gap, counted from the last answer (later than its start: safe side).
        wait = last_start + self.min_gap - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)
        log.info("batch done: %s, %d checks", batch.host, done)
        return done

    def close(self) -> None:
        """Stop the batch threads (after the worker has stopped taking jobs)."""
        self.executor.shutdown(wait=True, cancel_futures=True)


async def check_host_batch(context: Any, **kwargs: Any) -> int:
    """The procrastinate task: run the batch on the worker's BatchRunner (its own threads, so
    ``[workers] concurrency`` batches run at once, not the event loop's few default ones)."""
    runner: BatchRunner = context.additional_context["runner"]
    batch = HostBatch.from_job(kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(runner.executor, runner.run, batch)
