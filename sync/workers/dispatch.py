"""The dispatcher's side: due sources grouped into host batches, deferred; stalled ones retried.

``DispatchingEngine`` is the SyncEngine of `run --workers`. Its ``dispatch_round`` (the
"dispatch" job, on a scheduler lane of its own) asks the planner for the due page sources
(riskiest first, within the hourly and per-host budgets), as the one-process engine does, but
instead of fetching them defers one ``HostBatch`` per host (``Dispatcher.defer``). The check
pass takes in the observations workers stored since the last pass (``check_due``); the rest of
the pass is the engine's own: the decision queue picks up listings whose sources have new
observations, decides them and pushes through the outbox. Deferring apart from the pass
matters: a pass that pushes a few hundred changes waits seconds on Amazon's rate limits, and
hosts whose batch ended meanwhile would stand idle.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from procrastinate import exceptions as pex
from procrastinate.jobs import Status
from sqlalchemy import Engine, func, select

from stockguard.core.config import WorkersSettings
from stockguard.core.domain import Availability, ListingKey, Source, SourceKind
from stockguard.core.store import observations as obs_store
from stockguard.core.store.observation_tables import observations
from stockguard.sync.engine import PassReport, SyncEngine
from stockguard.sync.workers.batch import HostBatch, host_lock
from stockguard.sync.workers.jobs_app import TASK_NAME

log = logging.getLogger("stockguard.workers")
_T = TypeVar("_T")
_TIER = 1e12  # the planner's priority tiers (sync.planner): confirm 1e12, overdue 2e12, new 4e12


def job_priority(risk: float) -> int:
    """A procrastinate priority (higher runs first) from a planner priority: tiers keep their
    order (never checked > overdue > confirming a restore > any risk), risks log-scaled."""
    if not math.isfinite(risk) or risk <= 0:
        return 0
    if risk >= _TIER:
        return 1000 * min(int(risk // _TIER), 4) + 1000
    return min(int(100 * math.log10(1 + risk)), 999)


def host_of(ref: str) -> str:
    """The politeness key of a page URL: its host name, lower-cased (as the fetcher's)."""
    return (urlsplit(ref).hostname or "").lower()


def group_by_host(
    account: str, sources: Sequence[Source], risks: Sequence[float], batch_max: int
) -> list[HostBatch]:
    """One batch per host, in the order of each host's riskiest source; at most ``batch_max``
    sources each (the rest wait for a later round)."""
    grouped: dict[str, list[Source]] = {}
    risk: dict[str, float] = {}
    for source, value in zip(sources, risks, strict=True):
        host = host_of(source.ref)
        bucket = grouped.setdefault(host, [])
        if len(bucket) < batch_max:
            bucket.append(source)
        risk[host] = max(risk.get(host, -math.inf), value)
    return [HostBatch(account, h, tuple(s), risk[h]) for h, s in grouped.items()]


@dataclass
class Deferred:
    """What one round handed to the workers."""

    batches: int = 0
    sources: int = 0
    skipped_hosts: list[str] = field(default_factory=list)  # a batch already waiting


class Dispatcher:
    """Defers host batches and sweeps stalled jobs, through one App on its own event loop."""

    def __init__(self, app: Any, settings: WorkersSettings, account: str) -> None:
        self.app = app
        self.settings = settings
        self.account = account
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dispatch-loop")
        self._thread.start()
        self._call(self._open())

    async def _open(self) -> None:
        await self.app.open_async()

    def _call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def defer(self, batches: Sequence[HostBatch]) -> Deferred:
        """Defer each batch on its host's lock; a host with a batch still waiting is skipped."""
        return self._call(self._defer(batches))

    async def _defer(self, batches: Sequence[HostBatch]) -> Deferred:
        task = self.app.tasks[TASK_NAME]
        done = Deferred()
        for batch in batches:
            key = host_lock(batch.host)
            job = task.configure(lock=key, queueing_lock=key, priority=job_priority(batch.risk))
            try:
                await job.defer_async(**batch.to_job())
            except pex.AlreadyEnqueued:
                done.skipped_hosts.append(batch.host)
                continue
            done.batches += 1
            done.sources += len(batch.sources)
        return done

    def sweep(self) -> int:
        """Retry the batches of workers whose heartbeat stopped; returns how many."""
        return self._call(self._sweep())

    async def _sweep(self) -> int:
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=self.settings.queue,
            seconds_since_heartbeat=self.settings.stalled_after_seconds,
        )
        retried = 0
        for job in stalled:
            try:
                await manager.retry_job(job)
                retried += 1
            except Exception:  # the host has a newer batch waiting (queueing lock): drop this
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            log.warning("stalled batch %s (%s): its worker stopped; freed", job.id, job.lock)
        return retried

    def close(self) -> None:
        """Close the App and stop the loop."""
        try:
            self._call(self.app.close_async())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


class DispatchingEngine(SyncEngine):
    """The engine of `run --workers`: checks go to workers as host batches."""

    dispatcher: Dispatcher
    _seen_mark: int | None = None

    def attach(self, dispatcher: Dispatcher) -> None:
        """Send checks through ``dispatcher`` (before the first pass)."""
        self.dispatcher = dispatcher
        self._round_lock = threading.Lock()  # a round never sees a catalogue half loaded
        self._api_lock = threading.Lock()
        self._api_due: list[Source] = []  # picked by a round, read by the next check pass

    def load(self, *, planner: bool = True) -> None:
        """Read the catalogue (``SyncEngine.load``), no dispatch round meanwhile. The
        engine's lock first, as everywhere: a round never takes it, so no two wait on
        each other."""
        with self._lock, self._round_lock:
            super().load(planner=planner)

    def dispatch_round(self) -> Deferred:
        """Defer the due page sources as host batches (the "dispatch" job)."""
        with self._round_lock:
            if not self.listings:  # before the first pass has loaded the catalogue
                return Deferred()
            every = self.settings.scheduler.check_every
            budget = max(1, int(self.settings.planner.checks_per_hour * every / 3600))
            ranked = self.planner.ranked_due(self.clock.now(), budget)
            by_ref = self.by_ref
        picked = [(by_ref[ref][0][1], risk) for ref, risk in ranked if ref in by_ref]
        # Item-API sources are paced by their quota, not a host: the check pass reads them.
        api = [source for source, _ in picked if source.kind is SourceKind.API]
        if api:
            with self._api_lock:
                self._api_due += api
        picked = [(source, risk) for source, risk in picked if source.kind is not SourceKind.API]
        # A source never checked leaves its listings at 0 until the workers' first look
        # (the first law: no evidence, no live listing), then a restore follows its checks.
        batches = group_by_host(
            self.dispatcher.account,
            [source for source, _ in picked],
            [risk for _, risk in picked],
            self.dispatcher.settings.batch_max,
        )
        if not batches:
            return Deferred()
        done = self.dispatcher.defer(batches)
        log.info("deferred %d host batches, %d sources", done.batches, done.sources)
        return done

    def check_due(self, report: PassReport, budget: int | None = None) -> set[ListingKey]:
        """Take in the workers' observations; read the item-API sources the rounds picked
        (``budget``: spent by the dispatch rounds, not here)."""
        touched = self.absorb(report)
        with self._api_lock:
            api, self._api_due = self._api_due, []
        return touched | self._check(api, report)

    def absorb(self, report: PassReport) -> set[ListingKey]:
        """Tell the planner what workers saw since the last pass; return the listings touched
        (the decision queue would find them too: this decides them in this pass)."""
        if self._seen_mark is None:  # earlier ones: in the stored schedule and decision marks
            self._seen_mark = _max_id(self.db)
        touched: set[ListingKey] = set()
        while True:
            rows = obs_store.observations_since(self.db, self._seen_mark)
            if not rows:
                return touched
            self._seen_mark = rows[-1][0]
            for obs_id, observation in rows:
                pairs = self.by_ref.get(observation.source_ref, [])
                if not pairs or pairs[0][1].kind is not SourceKind.PAGE:
                    continue  # feed rows are the engine's own
                self._observation_ids[observation.source_ref] = obs_id
                report.checked[observation.availability.value] += 1
                if observation.availability is Availability.UNKNOWN:
                    report.unknown_by_supplier[host_of(observation.source_ref)] += 1
                for item, source in pairs:
                    self.planner.observe(
                        source.ref, item.key.pool.label, host_of(source.ref), observation
                    )
                    touched.add(item.key)


def _max_id(db: Engine) -> int:
    with db.connect() as conn:
        found = conn.execute(select(func.coalesce(func.max(observations.c.id), 0))).scalar()
    return int(found or 0)
