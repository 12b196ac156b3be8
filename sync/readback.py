"""Read accepted quantities back from Amazon: ACCEPTED is not "applied" (pitfall 5).

``verify`` is the second half of a push (sync/pusher.py re-exports it): a row Amazon accepted
becomes ``applied`` only once Amazon shows its quantity; otherwise it goes back to ``pending``
so the next push sends it again. More than ``BULK_AFTER`` rows are read from one All Listings
Report per marketplace instead of one getListingsItem each (5 per second: 100,000 rows would
take 5.5 hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.amazon.listings_report import ListingQuantities
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.errors import AmazonAuthError, AmazonError
from stockguard.core.store import outbox as ob
from stockguard.core.store import outbox_order as order
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

    Only the newest target of each SKU and marketplace is compared with Amazon (an older one
    is history: a newer target replaces it). ``limit``: at most this many rows, oldest first,
    so one run ends quickly (getListingsItem allows 5 per second); the rest wait their turn.
    """
    now = (clock or SystemClock()).now()
    with db.connect() as conn:
        rows = ob.latest_accepted(conn, skus)
    if limit is not None:
        rows = rows[: max(0, limit)]
    result = VerifyReport([], [], [])
    shown = _read_all(gateway, rows) if len(rows) > bulk_after else None
    for row in rows:
        if shown is not None:
            if row.marketplace_id not in shown:
                result.unreadable.append(row.sku)
                continue
            _settle(db, row, shown[row.marketplace_id].get(row.sku), now, result)
            continue
        try:
            quantity = gateway.get_quantity(row.sku, marketplace_id=row.marketplace_id)
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
            result.unreadable.append(row.sku)
            continue
        _settle(db, row, quantity, now, result)
    return result


def _read_all(gateway: QuantityReader, rows: Sequence[ob.OutboxRow]) -> dict[str, dict[str, int]]:
    """Per marketplace id: Amazon's quantities from one listings report (absent: unreadable)."""
    found: dict[str, dict[str, int]] = {}
    for market_id in sorted({r.marketplace_id for r in rows}):
        try:
            found[market_id] = gateway.read_quantities(market_id).quantities
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
    return found


def _settle(
    db: Engine, row: ob.OutboxRow, shown: int | None, now: datetime, result: VerifyReport
) -> None:
    """Applied, or re-queued; one commit per row, so a crash keeps what was read back."""
    with db.begin() as conn:
        if shown == row.quantity:
            change = {"id": row.id, "state": State.APPLIED}
            result.applied.append(row.sku)
        elif order.has_newer_target(conn, row):
            return  # a newer target arrived while we read: it is the one to compare
        else:
            error = f"ACCEPTED but Amazon shows {shown}; re-queued"
            change = {"id": row.id, "state": State.PENDING, "error": error}
            result.requeued.append((row.sku, shown))
        ob.set_states(conn, [change], now)
