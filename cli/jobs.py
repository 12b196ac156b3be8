"""The scheduled service's jobs, composed from the engine, the pusher and cancellations.

Each job is a plain function of the wired parts; ``sync.scheduler.Service`` runs them: the
push-resume and read-back jobs on their own thread, so they never delay a check pass.
Composition lives here (in the CLI layer) because it is the only place allowed to
import the engine, the supplier side and the cancellations package together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from stockguard.cancellations.apply import ApplyResult
from stockguard.cancellations.ports import outbox_zeroer
from stockguard.cancellations.pull import pull_orders
from stockguard.cancellations.reasons import SupplierCheck
from stockguard.cancellations.report import write_csv
from stockguard.cancellations.report_run import gather_reports
from stockguard.cancellations.service import apply_cancellations, plan_cancellations
from stockguard.cancellations.verdicts import combine_sources
from stockguard.cli.notices import Notices
from stockguard.cli.wiring import Wired
from stockguard.core.clock import Clock
from stockguard.core.config import Settings
from stockguard.core.domain import ListingKey, OrderStatus, PoolKey, primary_first
from stockguard.core.store import observations as obs_store
from stockguard.core.store.orders import get_high_water, load_orders, pull_mark
from stockguard.sync.pusher import push, verify
from stockguard.sync.runlock import RunLock
from stockguard.sync.scheduler import JobSpec

log = logging.getLogger("stockguard.jobs")
# One read-back run stops after this many rows (10 s at getListingsItem's 5 per second); the
# oldest accepted rows go first, the rest in the next run.
READBACKS_PER_RUN = 50
NOTIFY_EVERY = 30.0  # seconds between looks at the store and at the digest's interval


@dataclass
class JobCounters:
    """What the jobs did, for the closing summary."""

    passes: int = 0
    changes: int = 0
    orders_pulled: int = 0
    cancellations_planned: int = 0
    notes: list[str] = field(default_factory=list)


def build_jobs(
    wired: Wired,
    settings: Settings,
    clock: Clock,
    lock: RunLock,
    counters: JobCounters,
    notices: Notices | None = None,
) -> list[JobSpec]:
    """The jobs of `stockguard run`, with their intervals from ``[scheduler]``.

    With ``notices``, every report a job gets back is told to it (printed as actions, batched
    into digests), the engine's checker is wrapped to count checks per host, and a "notify"
    job watches the store and sends the digest when it is due."""
    every = settings.scheduler
    engine = wired.engine
    voice = notices or Notices(settings, clock, lambda _line: None, None)
    if notices is not None:
        engine.checker = notices.checker(engine.checker)

    def check_pass() -> None:
        budget = max(1, int(settings.planner.checks_per_hour * every.check_every / 3600))
        # The read-back and the learning of Amazon's quantities have jobs of their own on the
        # other thread: reading hundreds of quantities never delays the next check's zeroings.
        report = engine.sync_once(budget, verify=False, learn=False)
        counters.passes += 1
        counters.changes += len(report.changes)
        voice.passed(report)

    def push_resume() -> None:
        for account, gateway in wired.gateways.items():
            voice.pushed(push(wired.db, gateway, None, clock, account=account))

    def read_back() -> None:
        for account, gateway in wired.gateways.items():
            found = verify(wired.db, gateway, clock=clock, limit=READBACKS_PER_RUN, account=account)
            voice.verified(found)
        engine.learn_unknown()  # listings never set: decided again by the next check pass

    def orders_and_cancellations() -> None:
        counters.orders_pulled += pull_and_reconcile(wired, clock)
        run_cancellation_pass(wired, settings, clock, counters, voice)
        voice.rates_seen(gather_reports(wired.db, settings.cancellations, clock.now()))

    def apply_cancellations_job() -> None:
        result = apply_planned_cancellations(wired, settings, clock)
        if result is not None:
            voice.cancelled(result)

    def notify() -> None:
        voice.watch_store(wired.db)
        voice.tick()

    def daily_report() -> None:
        out = Path(every.report_dir)
        out.mkdir(parents=True, exist_ok=True)
        reports = gather_reports(wired.db, settings.cancellations, clock.now())
        several = len(wired.engine.gateways) > 1  # one gateway per seller account
        write_csv(reports, out / f"cancellations-{clock.now():%Y-%m-%d}.csv", several=several)

    return [
        JobSpec("heartbeat", lock.heartbeat, every.heartbeat_every, own_thread=True),
        JobSpec("checks", check_pass, every.check_every),
        JobSpec("catalogue", engine.load, every.catalogue_every),
        JobSpec("schedule", engine.save_schedule, every.schedule_every),
        JobSpec("push", push_resume, every.push_every, io=True),
        JobSpec("read-back", read_back, every.verify_every, io=True),
        JobSpec("orders", orders_and_cancellations, every.orders_every),
        JobSpec("cancellations", apply_cancellations_job, every.orders_every, io=True),
        JobSpec("report", daily_report, every.report_every),
    ] + ([JobSpec("notify", notify, NOTIFY_EVERY, io=True)] if notices is not None else [])


def pull_and_reconcile(wired: Wired, clock: Clock) -> int:
    """Pull orders; re-read and re-assert the quantity of every SKU an order touched since the
    last pull (a sale lowered it; a BuyerCanceled cancellation restocked it). New orders."""
    marks = [get_high_water(wired.db, pull_mark(account)) for account in wired.gateways]
    new = 0
    for account, gateway in wired.gateways.items():  # each account's orders, its own limits
        new += pull_orders(wired.db, gateway, clock, account=account).new
    known = [m for m in marks if m is not None]
    since = min(known) if len(known) == len(marks) else clock.now() - timedelta(days=1)
    touched = {
        line.sku
        for order in load_orders(wired.db, since=since - timedelta(days=30))
        if order.last_updated_at >= since
        for line in order.items
    }
    if touched:
        if not wired.engine.listings:
            wired.engine.load()
        wired.engine.reconcile(touched)
    return new


def run_cancellation_pass(
    wired: Wired,
    settings: Settings,
    clock: Clock,
    counters: JobCounters,
    notices: Notices | None = None,
) -> None:
    """Fresh-check the sources of open orders, route them and push the zeroings the plan
    queued (the cancellations job applies them, when configured)."""
    open_orders = load_orders(wired.db, statuses=(OrderStatus.UNSHIPPED,))
    skus = {item.sku for order in open_orders for item in order.items}
    verdicts = fresh_verdicts(wired, skus, notices)
    for account, gateway in wired.gateways.items():  # each account's orders and listings
        zero = outbox_zeroer(wired.db, clock, account=account)
        plan = plan_cancellations(wired.db, clock, verdicts, zero=zero, account=account)
        counters.cancellations_planned += plan.new_rows
        # The zeroings the plan queued, through the account's own gateway.
        pushed = push(wired.db, gateway, None, clock, account=account)
        if notices is not None:
            notices.pushed(pushed)


def apply_planned_cancellations(
    wired: Wired, settings: Settings, clock: Clock
) -> ApplyResult | None:
    """With ``[cancellations] auto_apply``: send the planned cancellations (one
    acknowledgement feed, waited for) and push the re-zeroings. Runs on the outbox thread:
    waiting for the feed must not hold the checks back."""
    if not settings.cancellations.auto_apply:
        return None
    result = ApplyResult()
    for account, gateway in wired.gateways.items():
        zero = outbox_zeroer(wired.db, clock, account=account)
        some = apply_cancellations(wired.db, gateway, clock, zero=zero, account=account)
        push(wired.db, gateway, None, clock, account=account)
        result.add(some)
    return result


def fresh_verdicts(
    wired: Wired, skus: Iterable[str], notices: Notices | None = None
) -> Callable[[ListingKey], SupplierCheck | None]:
    """Check the ordered SKUs' page sources now, then combine each listing's sources: per
    listing (an order's SKU in its marketplace), else any listing of the SKU (one pool)."""
    engine = wired.engine
    if not engine.listings:
        engine.load()
    wanted = set(skus)
    items = [item for item in engine.listings.values() if item.sku in wanted]
    report = engine.check_now(items)
    if notices is not None:
        notices.passed(report)
    refs = sorted({s.ref for item in items for s in item.sources})
    latest = obs_store.latest_observations(wired.db, refs)
    found = {item.key: combine_sources(item, latest) for item in items}
    by_pool: dict[PoolKey, SupplierCheck | None] = {}
    for key in sorted(found, key=primary_first):  # the same sources: the primary's check
        by_pool.setdefault(key.pool, found[key])

    def lookup(key: ListingKey) -> SupplierCheck | None:
        return found[key] if key in found else by_pool.get(key.pool)

    return lookup
