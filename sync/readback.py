"""Read accepted quantities back from Amazon: ACCEPTED is not "applied" (pitfall 5).

``verify`` is the second half of a push (sync/pusher.py re-exports it): a row Amazon accepted
becomes ``applied`` only once Amazon shows its quantity; otherwise it goes back to ``pending``
so the next push sends it again. A pool's push names one marketplace but sets the SKU's
quantity in all of them, so it is read back in each marketplace the catalogue lists the SKU in
(and in the one it named): applied only when every one shows it. More than ``BULK_AFTER``
rows are read from one All Listings Report per marketplace instead of one getListingsItem
each (5 per second: 100,000 rows would take 5.5 hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.amazon.listings_report import ListingQuantities
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.domain import MARKETPLACES_BY_ID
from stockguard.core.errors import AmazonAuthError, AmazonError
from stockguard.core.store import outbox as ob
from stockguard.core.store import outbox_order as order
from stockguard.core.store.listings import pool_marketplaces
from stockguard.core.store.outbox import State


class QuantityReader(Protocol):
    """The part of AmazonGateway the read-back uses (pusher.QuantityGateway satisfies it)."""

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None: ...

    def read_quantities(self, marketplace_id: str | None = None) -> ListingQuantities: ...


BULK_AFTER = 50  # more rows than this are read back through a listings report


@dataclass(frozen=True)
class VerifyReport:
    """Read-back: rows confirmed applied, rows re-queued because Amazon shows otherwise."""

    applied: list[str]
    requeued: list[tuple[str, int | None]]
    unreadable: list[str]


def verify(
    db: Engine,
    gateway: QuantityReader,
    skus: Sequence[str] | None = None,
    clock: Clock | None = None,
    *,
    limit: int | None = None,
    bulk_after: int = BULK_AFTER,
) -> VerifyReport:
    """Read accepted quantities back; mark them applied, or re-queue what Amazon did not apply.

    Only the newest target of each pool is compared with Amazon (an older one is history: a
    newer target replaces it), in every marketplace of the pool. ``limit``: at most this many
    rows, oldest first, so one run ends quickly (getListingsItem allows 5 per second); the
    rest wait their turn.
    """
    now = (clock or SystemClock()).now()
    with db.connect() as conn:
        rows = ob.latest_accepted(conn, skus)
    if limit is not None:
        rows = rows[: max(0, limit)]
    result = VerifyReport([], [], [])
    listed = pool_marketplaces(db, sorted({r.sku for r in rows}))
    markets = {r.id: _markets(r, listed.get(r.sku, [])) for r in rows}
    reports = _read_all(gateway, markets.values()) if len(rows) > bulk_after else None
    for row in rows:
        shown = _read_pool(gateway, row, markets[row.id], reports)
        if shown is None:
            result.unreadable.append(row.sku)
            continue
        _settle(db, row, shown, now, result)
    return result


def _markets(row: ob.OutboxRow, listed: Sequence[str]) -> list[str]:
    """The marketplaces a pool's row is read back in: the one it named, then the catalogue's."""
    return [row.marketplace_id, *(m for m in listed if m != row.marketplace_id)]


def _read_pool(
    gateway: QuantityReader,
    row: ob.OutboxRow,
    markets: Sequence[str],
    reports: dict[str, dict[str, int]] | None,
) -> dict[str, int | None] | None:
    """What each marketplace of the row's pool shows (None: one could not be read)."""
    shown: dict[str, int | None] = {}
    for market_id in markets:
        if reports is not None:
            if market_id not in reports:
                return None
            shown[market_id] = reports[market_id].get(row.sku)
            continue
        try:
            shown[market_id] = gateway.get_quantity(row.sku, marketplace_id=market_id)
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
            return None
    return shown


def _read_all(
    gateway: QuantityReader, markets: Iterable[Sequence[str]]
) -> dict[str, dict[str, int]]:
    """Per marketplace id: Amazon's quantities from one listings report (absent: unreadable)."""
    found: dict[str, dict[str, int]] = {}
    for market_id in sorted({m for some in markets for m in some}):
        try:
            found[market_id] = gateway.read_quantities(market_id).quantities
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
    return found


def _settle(
    db: Engine,
    row: ob.OutboxRow,
    shown: dict[str, int | None],
    now: datetime,
    result: VerifyReport,
) -> None:
    """Applied (every marketplace of the pool shows it), or re-queued; one commit per row,
    so a crash keeps what was read back."""
    wrong = {m: q for m, q in shown.items() if q != row.quantity}
    with db.begin() as conn:
        if not wrong:
            change = {"id": row.id, "state": State.APPLIED}
            result.applied.append(row.sku)
        elif order.has_newer_target(conn, row):
            return  # a newer target arrived while we read: it is the one to compare
        else:
            error = f"ACCEPTED but Amazon shows {_shown(wrong, row.marketplace_id)}; re-queued"
            change = {"id": row.id, "state": State.PENDING, "error": error}
            result.requeued.append((row.sku, next(iter(wrong.values()))))
        ob.set_states(conn, [change], now)


def _shown(wrong: dict[str, int | None], named: str) -> str:
    """``3`` when the marketplace the push named shows 3, else ``3 in CA`` (a sibling)."""
    if set(wrong) == {named}:
        return str(wrong[named])
    codes = {m: (MARKETPLACES_BY_ID[m].code if m in MARKETPLACES_BY_ID else m) for m in wrong}
    return ", ".join(f"{q} in {codes[m]}" for m, q in wrong.items())
