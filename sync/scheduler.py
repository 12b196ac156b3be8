"""APScheduler 3 wiring for `stockguard run`, and nothing else.

Jobs run on four threads (executors), one worker each: the checks (and the jobs that decide)
one at a time on ``default``; the outbox's push-resume and read-back jobs on ``io``, so a feed
poll or a minute of read-backs never delays the check that finds a stock-out (the two threads
share the outbox through its claims and a per-database push lock, sync/pusher.py); the run
lock's heartbeat on ``housekeeping`` (it touches no stock data); with `run --workers`, the
deferral of host batches on ``dispatch`` (sync/workers/dispatch.py). A job that raises is
logged and counted and simply runs again at its next time (never a silent stop); SIGTERM or
Ctrl-C stops the service after the running job finishes, so nothing is left half-written. A
job waiting on Amazon (a feed quota's next token, a backoff) ends its wait at once instead:
the gateways' clock is interrupted by the same stop (``core.clock.Interrupted``), and a push
claimed but not sent is sent by the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from stockguard.core.clock import Clock, Interrupted

log = logging.getLogger("stockguard.scheduler")


@dataclass(frozen=True)
class JobSpec:
    """A recurring job: its name, what it does, and how often."""

    name: str
    run: Callable[[], object]
    every_seconds: float
    # Housekeeping that touches no stock data (the run lock's heartbeat) runs on a thread of
    # its own, so a long pass or a feed wait cannot starve it into looking dead.
    own_thread: bool = False
    # Outbox work (push resume, read-back) that must never sit in front of a check.
    io: bool = False
    # The distributed runner's deferral of host batches: never behind a pass's pushes.
    dispatch: bool = False


@dataclass
class JobStats:
    """What a job has done so far: runs, failures, and the last error's text."""

    runs: int = 0
    failures: int = 0
    last_error: str | None = None
    last_run_at: datetime | None = None


@dataclass
class ServiceStats:
    """Per-job statistics of the running service."""

    jobs: dict[str, JobStats] = field(default_factory=dict)


def guarded(spec: JobSpec, stats: ServiceStats, clock: Clock) -> Callable[[], None]:
    """Wrap a job so its exception is logged and counted instead of stopping anything."""
    job_stats = stats.jobs.setdefault(spec.name, JobStats())

    def run_job() -> None:
        job_stats.runs += 1
        job_stats.last_run_at = clock.now()
        try:
            spec.run()
        except Interrupted:  # the service is stopping: the next start resumes the work
            log.info("job %s: stopped while waiting on Amazon", spec.name)
        except Exception as exc:  # a job's failure must never stop the service
            job_stats.failures += 1
            job_stats.last_error = f"{exc.__class__.__name__}: {exc}"
            log.exception(
                "job %s failed (%d failures so far); it runs again next time",
                spec.name,
                job_stats.failures,
            )

    return run_job


class Service:
    """The scheduled service: start the jobs, wait for a stop signal, stop cleanly."""

    def __init__(
        self, jobs: list[JobSpec], clock: Clock, stopping: threading.Event | None = None
    ) -> None:
        """``stopping``: the event a stop sets (an interrupting SystemClock's, so waits on
        Amazon end with the service)."""
        self.clock = clock
        self.stats = ServiceStats()
        self.stopping = stopping or threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers=1),
                "io": ThreadPoolExecutor(max_workers=1),
                "housekeeping": ThreadPoolExecutor(max_workers=1),
                "dispatch": ThreadPoolExecutor(max_workers=1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for spec in jobs:
            self.scheduler.add_job(
                guarded(spec, self.stats, clock),
                "interval",
                seconds=spec.every_seconds,
                id=spec.name,
                name=spec.name,
                executor=_thread(spec),
                next_run_time=clock.now(),
            )

    def run_until_stopped(self, stop_after: float | None = None) -> ServiceStats:
        """Run until SIGTERM/SIGINT (or ``stop_after`` seconds); return the job statistics."""
        previous = self._install_signal_handlers()
        self.scheduler.start()
        try:
            self.stopping.wait(stop_after)
        finally:
            self.scheduler.shutdown(wait=True)  # lets the running job finish its transaction
            self._restore_signal_handlers(previous)
        return self.stats

    def stop(self, *_: Any) -> None:
        """Ask the service to stop after the running job."""
        self.stopping.set()

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the running job", signum)
        self.stop()

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _thread(spec: JobSpec) -> str:
    if spec.own_thread:
        return "housekeeping"
    if spec.dispatch:
        return "dispatch"
    return "io" if spec.io else "default"
