"""The cancellation plan and journal in the store: planned rows, state changes, listing zeroings.

A row's life: planned -> sending -> sent (with feed id) -> done | failed; or refused (never
sent: shipped meanwhile, superseded). ``sending`` is written and committed BEFORE the feed is
submitted, and ``sent`` with the feed id right after, so a crash at any point leaves enough
behind to resume without sending the same cancellation twice. Every change adds a journal row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, insert, select, update

from stockguard.core.store.order_tables import (
    cancellation_journal,
    cancellations,
    order_listing_zeros,
)
from stockguard.core.store.rows import from_row


class CancelState(StrEnum):
    """Where a planned cancellation stands."""

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"


OPEN_STATES = (CancelState.PLANNED, CancelState.SENDING, CancelState.SENT)
RESTOCK_CAUSE = "restock"  # the listing re-zeroed after a cancellation that restocks it


@dataclass(frozen=True)
class CancellationRow:
    """One planned cancellation of one order item."""

    id: int
    idempotency_key: str
    order_id: str
    order_item_id: str
    sku: str
    marketplace_id: str
    reason: str
    route: str
    evidence: str
    state: CancelState
    feed_id: str | None
    message_id: int | None
    detail: str | None
    planned_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewCancellation:
    """What the planner records for one order item."""

    order_id: str
    order_item_id: str
    sku: str
    marketplace_id: str
    reason: str
    route: str
    evidence: str

    @property
    def idempotency_key(self) -> str:
        """order id + item id + reason: the same cancellation is recorded once, ever."""
        return f"{self.order_id}:{self.order_item_id}:{self.reason}"


def _to_row(row: Row[Any]) -> CancellationRow:
    return from_row(CancellationRow, row, state=CancelState(row.state))


def record_planned(db: Engine, wanted: Iterable[NewCancellation], now: datetime) -> int:
    """Insert the cancellations not yet known; supersede other planned reasons for an item.

    Returns how many rows were new. A key already present (in any state) is left alone, and an
    item with a cancellation already in flight (sending/sent) gets no second one.
    """
    created = 0
    with db.begin() as conn:
        for new in wanted:
            if _key_exists(conn, new.idempotency_key) or _in_flight(conn, new):
                continue
            _supersede(conn, new, now)
            result = conn.execute(
                insert(cancellations).values(
                    idempotency_key=new.idempotency_key,
                    order_id=new.order_id,
                    order_item_id=new.order_item_id,
                    sku=new.sku,
                    marketplace_id=new.marketplace_id,
                    reason=new.reason,
                    route=new.route,
                    evidence=new.evidence,
                    state=CancelState.PLANNED.value,
                    planned_at=now,
                    updated_at=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # a plain INSERT always reports its new key
            row_id = int(key[0])
            _journal(conn, row_id, CancelState.PLANNED, None, new.evidence, now)
            created += 1
    return created


def _key_exists(conn: Connection, key: str) -> bool:
    found = conn.scalar(select(cancellations.c.id).where(cancellations.c.idempotency_key == key))
    return found is not None


def _same_item(new: NewCancellation) -> Any:
    return and_(
        cancellations.c.order_id == new.order_id,
        cancellations.c.order_item_id == new.order_item_id,
    )


def _in_flight(conn: Connection, new: NewCancellation) -> bool:
    query = select(cancellations.c.id).where(
        _same_item(new),
        cancellations.c.state.in_([CancelState.SENDING.value, CancelState.SENT.value]),
    )
    return conn.scalar(query) is not None


def _supersede(conn: Connection, new: NewCancellation, now: datetime) -> None:
    query = select(cancellations.c.id).where(
        _same_item(new), cancellations.c.state == CancelState.PLANNED.value
    )
    for row_id in conn.scalars(query).all():
        _set(conn, row_id, CancelState.REFUSED, now, detail=f"superseded by {new.reason}")


def rows_in(db: Engine, states: Sequence[CancelState]) -> list[CancellationRow]:
    """Rows in any of ``states``, oldest first."""
    query = (
        select(cancellations)
        .where(cancellations.c.state.in_([s.value for s in states]))
        .order_by(cancellations.c.id)
    )
    with db.connect() as conn:
        return [_to_row(row) for row in conn.execute(query)]


def all_rows(db: Engine, order_id: str | None = None) -> list[CancellationRow]:
    """Every cancellation row (of one order), oldest first."""
    query = select(cancellations).order_by(cancellations.c.id)
    if order_id is not None:
        query = query.where(cancellations.c.order_id == order_id)
    with db.connect() as conn:
        return [_to_row(row) for row in conn.execute(query)]


def claim(
    db: Engine,
    rows: Sequence[CancellationRow],
    source: CancelState,
    target: CancelState,
    now: datetime,
    *,
    feed_id: str | None = None,
    message_ids: dict[str, int] | None = None,
) -> list[int]:
    """Move rows from ``source`` to ``target`` atomically; return the ids actually moved.

    The ``WHERE state = source`` makes two concurrent appliers unable to send one row twice.
    """
    moved: list[int] = []
    with db.begin() as conn:
        for row in rows:
            values: dict[str, Any] = {"state": target.value, "updated_at": now}
            if feed_id is not None:
                values["feed_id"] = feed_id
            if message_ids is not None and row.order_id in message_ids:
                values["message_id"] = message_ids[row.order_id]
            result = conn.execute(
                update(cancellations)
                .where(cancellations.c.id == row.id, cancellations.c.state == source.value)
                .values(**values)
            )
            if result.rowcount == 1:
                _journal(conn, row.id, target, feed_id, None, now)
                moved.append(row.id)
    return moved


def finish(
    db: Engine,
    row_ids: Iterable[int],
    state: CancelState,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Set the final (or refused) state of rows, with why."""
    with db.begin() as conn:
        for row_id in row_ids:
            _set(conn, row_id, state, now, detail=detail)


def _set(
    conn: Connection, row_id: int, state: CancelState, now: datetime, detail: str | None
) -> None:
    conn.execute(
        update(cancellations)
        .where(cancellations.c.id == row_id)
        .values(state=state.value, detail=detail, updated_at=now)
    )
    feed_id = conn.scalar(select(cancellations.c.feed_id).where(cancellations.c.id == row_id))
    _journal(conn, row_id, state, feed_id, detail, now)


def _journal(
    conn: Connection,
    row_id: int,
    state: CancelState,
    feed_id: str | None,
    detail: str | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(cancellation_journal).values(
            cancellation_id=row_id, state=state.value, feed_id=feed_id, detail=detail, at=now
        )
    )


def journal(db: Engine, row_id: int) -> list[tuple[str, str | None, str | None, datetime]]:
    """(state, feed id, detail, time) of every change of one row, oldest first."""
    query = (
        select(cancellation_journal)
        .where(cancellation_journal.c.cancellation_id == row_id)
        .order_by(cancellation_journal.c.id)
    )
    with db.connect() as conn:
        return [(r.state, r.feed_id, r.detail, r.at) for r in conn.execute(query)]


def zero_recorded(db: Engine, order_id: str, sku: str, cause: str) -> bool:
    """True when this order already made stockguard zero ``sku`` for ``cause``."""
    query = select(order_listing_zeros.c.sku).where(
        order_listing_zeros.c.order_id == order_id,
        order_listing_zeros.c.sku == sku,
        order_listing_zeros.c.cause == cause,
    )
    with db.connect() as conn:
        return conn.scalar(query) is not None


def record_zero(
    db: Engine, order_id: str, sku: str, cause: str, marketplace_id: str, now: datetime
) -> None:
    """Remember that ``sku`` was zeroed because of ``order_id`` (so it is done once)."""
    if zero_recorded(db, order_id, sku, cause):
        return
    with db.begin() as conn:
        conn.execute(
            insert(order_listing_zeros).values(
                order_id=order_id,
                sku=sku,
                cause=cause,
                marketplace_id=marketplace_id,
                zeroed_at=now,
            )
        )


def pending_restock_zeros(db: Engine, reason: str) -> list[tuple[str, str, str]]:
    """(order id, SKU, marketplace) of done ``reason`` cancellations not yet re-zeroed."""
    zeros = order_listing_zeros
    query = (
        select(cancellations.c.order_id, cancellations.c.sku, cancellations.c.marketplace_id)
        .outerjoin(
            zeros,
            and_(
                zeros.c.order_id == cancellations.c.order_id,
                zeros.c.sku == cancellations.c.sku,
                zeros.c.cause == RESTOCK_CAUSE,
            ),
        )
        .where(
            cancellations.c.state == CancelState.DONE.value,
            cancellations.c.reason == reason,
            zeros.c.order_id.is_(None),
        )
        .distinct()
        .order_by(cancellations.c.order_id, cancellations.c.sku)
    )
    with db.connect() as conn:
        return [(r.order_id, r.sku, r.marketplace_id) for r in conn.execute(query)]
