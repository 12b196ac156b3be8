"""What each dashboard page shows, gathered through the queries the CLI already uses.

`status` (sync.status / sync.status_query), `why` (decision_history, outbox.history), the
cancellation report (cancellations.report_run.gather_reports), feed history
(SqlFeedStore.imports, the kept refused feeds) and the planned cancellations
(cancellation_plan.rows_in): the same numbers as the commands, by construction. Only values
leave here; every word a seller reads is in the templates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from stockguard.cancellations.rate import COUNTED, Treatment, classify, local_day, seller_orders
from stockguard.cancellations.report import MarketplaceReport
from stockguard.cancellations.report_run import gather_reports
from stockguard.cancellations.store.cancellation_plan import OPEN_STATES, CancellationRow, rows_in
from stockguard.core.config import Settings
from stockguard.core.domain import Listing, Observation, Order
from stockguard.core.store import outbox
from stockguard.core.store.feeds import FeedImportRow, SqlFeedStore
from stockguard.core.store.listings import find_listings
from stockguard.core.store.observations import (
    DecisionRecord,
    decision_history,
    recent_observations,
    sku_accounts,
)
from stockguard.core.store.orders import load_orders
from stockguard.core.store.refused_feeds import KeptFeed, kept_feeds
from stockguard.sync.host_health import HostHealth, host_health
from stockguard.sync.status import Status, read_status
from stockguard.sync.status_query import (
    ListingFilter,
    ListingState,
    find_listing_states,
    listing_states,
)

PAGE_SIZE = 100
TIMELINE_DEPTH = 50  # decisions, checks and pushes each, newest first


@dataclass(frozen=True)
class Overview:
    """The front page."""

    status: Status
    hosts: list[HostHealth]
    unknown_by_reason: Counter[str]
    reports: list[MarketplaceReport]


def overview(db: Engine, settings: Settings, now: datetime) -> Overview:
    """`status`, the hosts' health and each marketplace's 7-day rate."""
    status = read_status(db, now)
    with db.connect() as conn:
        hosts = host_health(conn, now)
    unknown: Counter[str] = Counter()
    for host in hosts:
        unknown.update(host.unknown)
    return Overview(status, hosts, unknown, gather_reports(db, settings.cancellations, now))


@dataclass(frozen=True)
class ListingsPage:
    """One page of the listings table, and the values its filters offer."""

    rows: list[ListingState]
    total: int
    offset: int
    choices: dict[str, list[str]]


def listings_page(db: Engine, wanted: ListingFilter, offset: int) -> ListingsPage:
    """The listings matching ``wanted``, ``PAGE_SIZE`` from ``offset``."""
    with db.connect() as conn:
        rows, total = find_listing_states(conn, wanted, PAGE_SIZE, offset)
        groups = listing_states(conn)
    choices = {
        "amazon": sorted({g.amazon for g in groups}),
        "policy": sorted({g.policy for g in groups}),
        "reason": sorted({g.reason for g in groups if g.reason}),
        "why": sorted({g.why for g in groups}),
    }
    return ListingsPage(rows, total, offset, choices)


@dataclass(frozen=True)
class Event:
    """One line of a listing's timeline: a check, a decision or a push."""

    at: datetime | None
    kind: str  # check | decision | push
    item: Any  # Observation | DecisionRecord | OutboxRow


@dataclass(frozen=True)
class ListingDetail:
    """`why` in the browser: the decision in force, its evidence, and the whole timeline."""

    sku: str
    listing: Listing | None
    in_force: DecisionRecord | None
    timeline: list[Event] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # two or more: choose, never guessed


def listing_detail(
    db: Engine, sku: str, marketplace: str | None, now: datetime, account: str | None = None
) -> ListingDetail:
    """The listing's sources, decisions (with their observations), checks and pushes; a SKU
    that two seller accounts list without ``account`` shows neither, only the accounts."""
    holders = sku_accounts(db, sku)
    if account is None and len(holders) > 1:
        return ListingDetail(sku, None, None, accounts=holders)
    # codes: the page's edge
    found = find_listings(db, sku=sku, marketplace=marketplace, account=account)
    listing = found[0] if found else None
    decided = decision_history(db, sku, until=now, limit=TIMELINE_DEPTH, account=account)
    refs = [source.ref for source in listing.sources] if listing else []
    checks: list[Observation] = []
    for seen in recent_observations(db, TIMELINE_DEPTH, refs).values():
        checks.extend(seen)
    with db.connect() as conn:
        pushes = outbox.history(conn, sku, account)[-TIMELINE_DEPTH:]
    events = [Event(d.decision.decided_at, "decision", d) for d in decided]
    events += [Event(o.checked_at, "check", o) for o in checks]
    events += [Event(p.closed_at or p.created_at, "push", p) for p in pushes]
    events.sort(key=lambda e: (e.at or datetime.min.replace(tzinfo=UTC), e.kind), reverse=True)
    return ListingDetail(sku, listing, decided[0] if decided else None, events, holders)


def hosts(db: Engine, now: datetime) -> list[HostHealth]:
    """Every supplier host checked in the last 24 hours, least healthy first."""
    with db.connect() as conn:
        return host_health(conn, now)


def feed_imports(db: Engine, limit: int = 20) -> dict[str, list[FeedImportRow]]:
    """Each supplier's latest imports, applied and refused (`feeds history`)."""
    store = SqlFeedStore(db)
    return {supplier: store.imports(supplier, limit) for supplier in store.suppliers()}


@dataclass(frozen=True)
class DriftedFeed:
    """A refused feed the store kept: its figures and those of the applied import before it."""

    kept: KeptFeed
    refused: FeedImportRow
    previous: FeedImportRow | None


def drifted_feeds(db: Engine) -> dict[str, KeptFeed]:
    """Each supplier's kept refused feed (the Feeds page offers to accept these)."""
    return kept_feeds(db)


def drifted_feed(db: Engine, supplier: str) -> DriftedFeed | None:
    """``supplier``'s kept refused feed with the figures the drift guard compared, if any."""
    kept = kept_feeds(db).get(supplier)
    if kept is None:
        return None
    rows = SqlFeedStore(db).imports(supplier, limit=1000)
    refused = next((row for row in rows if row.id == kept.import_id), None)
    if refused is None:
        return None
    applied = (row for row in rows if row.id < kept.import_id and row.status == "applied")
    return DriftedFeed(kept, refused, next(applied, None))


@dataclass(frozen=True)
class WindowOrder:
    """An order of the current 7-day window and how it enters the rate."""

    order: Order
    treatment: Treatment
    counted: bool


@dataclass(frozen=True)
class Cancellations:
    """The plan waiting for approval, and each marketplace's rate with its orders."""

    waiting: list[CancellationRow]
    reports: list[MarketplaceReport]
    window_orders: dict[str, list[WindowOrder]]  # marketplace code -> orders


def cancellations(db: Engine, settings: Settings, now: datetime) -> Cancellations:
    """Open planned cancellations, the rate reports and the orders of each current window."""
    reports = gather_reports(db, settings.cancellations, now)
    earliest = min((r.current.first_day for r in reports), default=now.date())
    since = datetime.combine(earliest - timedelta(days=1), time(), tzinfo=UTC)
    stored = load_orders(db, since=since)
    window_orders = {}
    for report in reports:
        market, day = report.marketplace, report.current
        mine = [
            o
            for o in seller_orders(stored, market.marketplace_id)
            if day.first_day <= local_day(o.purchased_at, market.timezone) <= day.day
        ]
        mine.sort(key=lambda o: o.purchased_at, reverse=True)
        window_orders[market.code] = [
            WindowOrder(o, classify(o), classify(o) in COUNTED) for o in mine
        ]
    return Cancellations(rows_in(db, OPEN_STATES), reports, window_orders)
