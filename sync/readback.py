"""Read accepted quantities back from Amazon: ACCEPTED is not "applied" (pitfall 5).

``verify`` is the second half of a push (sync/pusher.py re-exports it): a row Amazon accepted
becomes ``applied`` only once Amazon shows its quantity; otherwise it goes back to ``pending``
so the next push sends it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from sync.clock import Clock, SystemClock
from sync.errors import AmazonAuthError, AmazonError
from sync.store import outbox as ob
from sync.store import outbox_order as order
from sync.store.outbox import State


class QuantityReader(Protocol):
    """The part of AmazonGateway the read-back uses (pusher.QuantityGateway satisfies it)."""

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None: ...


@dataclass(frozen=True)
class VerifyReport:
    """Read-back: rows confirmed applied, rows re-queued because Amazon shows otherwise."""

    applied: list[str]
    requeued: list[tuple[str, int | None]]
    unreadable: list[str]


def verify(
    engine: Engine,
    gateway: QuantityReader,
    skus: Sequence[str] | None = None,
    clock: Clock | None = None,
    *,
    limit: int | None = None,
) -> VerifyReport:
    """Read accepted quantities back; mark them applied, or re-queue what Amazon did not apply.

    Only the newest target of each SKU and marketplace is compared with Amazon (an older one
    is history: a newer target replaces it). ``limit``: at most this many rows, oldest first,
    so one run ends quickly (getListingsItem allows 5 per second); the rest wait their turn.
    """
    now = (clock or SystemClock()).now()
    with engine.connect() as conn:
        rows = ob.latest_accepted(conn, skus)
    if limit is not None:
        rows = rows[: max(0, limit)]
    applied: list[str] = []
    requeued: list[tuple[str, int | None]] = []
    unreadable: list[str] = []
    for row in rows:
        try:
            shown = gateway.get_quantity(row.sku, marketplace_id=row.marketplace_id)
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
            unreadable.append(row.sku)
            continue
        # One commit per row: a crash mid-way keeps what was already read back.
        with engine.begin() as conn:
            if shown == row.quantity:
                change = {"id": row.id, "state": State.APPLIED}
                applied.append(row.sku)
            elif order.has_newer_target(conn, row):
                continue  # a newer target arrived while we read: it is the one to compare
            else:
                error = f"ACCEPTED but Amazon shows {shown}; re-queued"
                change = {"id": row.id, "state": State.PENDING, "error": error}
                requeued.append((row.sku, shown))
            ob.set_states(conn, [change], now)
    return VerifyReport(applied, requeued, unreadable)
