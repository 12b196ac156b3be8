"""`stockguard worker` and the dispatcher half of `stockguard run --workers` (sync/workers/).

Both need the store on PostgreSQL (a SQLite store is a configuration error, exit 2); both
apply procrastinate's schema on first use. The worker builds the same checker as `run` (the
Fetcher and the page adapters) and checks the host batches the dispatcher defers.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import click

from stockguard.cli.context import AppContext
from stockguard.cli.wiring import Wired, page_checker
from stockguard.core.accounts import accounts
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.config import Settings
from stockguard.sync.scheduler import JobSpec
from stockguard.sync.workers.jobs_app import require_postgres

# procrastinate (the `workers` extra) is imported only by the commands that use it.

commands: list[click.Command] = []


def account_of(settings: Settings) -> str:
    """The first seller account's lock key (see ``lock_keys``)."""
    return lock_keys(settings)[0]


def lock_keys(settings: Settings) -> list[str]:
    """One lock key per configured seller account: its seller id (Amazon's limits are the
    seller's, whichever store pushes for it), else its name (``default``)."""
    return [a.amazon.seller_id or a.name for a in accounts(settings)]


def start_dispatching(wired: Wired, settings: Settings, clock: Clock) -> list[JobSpec]:
    """Make ``wired`` the dispatcher: its engine defers host batches instead of fetching,
    under one lock per seller account (its pushes and feeds keep Amazon's per-account limits
    cluster-wide: a second dispatcher for any of them is refused). Returns the extra jobs of
    `run` (the dispatch rounds, on a thread of their own, and the stalled-job sweep);
    everything opened here closes with ``wired``."""
    from stockguard.sync.workers.batch import check_host_batch
    from stockguard.sync.workers.dispatch import Dispatcher, DispatchingEngine
    from stockguard.sync.workers.jobs_app import build_app, ensure_schema
    from stockguard.sync.workers.locks import AccountLock

    conninfo = require_postgres(settings)
    ensure_schema(conninfo)
    keys = lock_keys(settings)
    for key in keys:  # released by the stack, also when a later one is refused
        lock = AccountLock(conninfo, key)
        lock.acquire()
        wired.stack.callback(lock.release)
    app = build_app(conninfo, check_host_batch, settings.workers.queue)
    # A batch is a host's sources, shared by the accounts that list them: labelled by all.
    dispatcher = Dispatcher(app, settings.workers, ",".join(keys))
    wired.stack.callback(dispatcher.close)
    old = wired.engine
    engine = DispatchingEngine(wired.db, wired.gateways, old.checker, settings, clock)
    engine.attach(dispatcher)
    wired.engine = engine
    sweep_every = max(settings.workers.stalled_after_seconds / 4, 0.5)
    return [
        JobSpec("dispatch", engine.dispatch_round, settings.scheduler.check_every, dispatch=True),
        JobSpec("stalled", dispatcher.sweep, sweep_every, io=True),
    ]


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(min=1), help="Host batches checked at once.")
@click.option("--name", help="This worker's name in the logs (default host:pid).")
@click.pass_obj
def worker_command(app: AppContext, concurrency: int | None, name: str | None) -> int:
    """Check supplier host batches for `stockguard run --workers` (PostgreSQL store only).

    Start any number, on any machine sharing the database; each takes batches of one
    supplier host at a time (a host is never checked by two workers at once) and paces them
    at [suppliers] min_gap_seconds and max_in_flight_per_host. A worker killed mid-batch
    stops sending heartbeats; the dispatcher retries its batches on another worker after
    [workers] stalled_after_seconds. SIGTERM or Ctrl-C stops after the running batches.

    \b
    Example:
      stockguard --db postgresql+psycopg://stockguard@db/stockguard worker --concurrency 32
    """
    from stockguard.core.store import open_store
    from stockguard.suppliers.fetch import Fetcher
    from stockguard.sync.workers.batch import BatchRunner, check_host_batch
    from stockguard.sync.workers.jobs_app import build_app, ensure_schema

    settings = app.settings
    conninfo = require_postgres(settings)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("stockguard.workers").setLevel(logging.INFO)
    ensure_schema(conninfo)
    work = settings.workers
    threads = concurrency or work.concurrency
    clock = SystemClock()
    db = open_store(settings.store.url)
    fetcher = Fetcher(settings.suppliers, clock)
    checker = page_checker(fetcher, seller_phrases=settings.suppliers.phrases)
    runner = BatchRunner(
        db, checker, clock, min_gap=settings.suppliers.min_gap_seconds, threads=threads
    )
    jobs = build_app(conninfo, check_host_batch, work.queue, pool_size=threads + 2)
    options: dict[str, Any] = {
        "queues": [work.queue],
        "concurrency": threads,
        "name": name or f"{socket.gethostname()}:{os.getpid()}",
        "fetch_job_polling_interval": work.poll_seconds,
        "update_heartbeat_interval": work.heartbeat_seconds,
        "stalled_worker_timeout": work.stalled_after_seconds,
        "additional_context": {"runner": runner},
        "delete_jobs": "successful",
    }
    try:
        jobs.run_worker(**options)
    finally:
        runner.close()
        fetcher.close()
        db.dispose()
    return 0


commands.append(worker_command)
