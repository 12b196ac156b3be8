"""Orders in the store: upsert what a pull fetched, keep the status history, read them back.

Times are UTC in and out (the tables' ``UTCDateTime`` columns convert). ``load_orders``
returns domain ``Order`` values, which is all the cancellation-rate report needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from stockguard.core.domain import Order, OrderItem, OrderStatus, Party
from stockguard.core.store.order_tables import (
    order_items,
    order_pull_state,
    order_status_history,
    orders,
)

PULL_MARK = "orders"


@dataclass(frozen=True)
class UpsertResult:
    """What storing a batch of orders changed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0  # history rows written for orders already known


@dataclass(frozen=True)
class StatusChange:
    """One row of an order's status history."""

    order_id: str
    status: OrderStatus
    cancel_requested_by: Party | None
    cancelled_by: Party | None
    buyer_requested_cancel: bool
    changed_at: datetime
    recorded_at: datetime


def upsert_orders(db: Engine, batch: Iterable[Order], now: datetime) -> UpsertResult:
    """Insert new orders, update known ones, and add a history row when the state changed."""
    new = updated = unchanged = changes = 0
    with db.begin() as conn:
        for order in batch:
            before = _load_one(conn, order.order_id)
            if before is None:
                _insert_order(conn, order, now)
                _add_history(conn, order, now)
                new += 1
                continue
            if _state(before) != _state(order):
                _add_history(conn, order, now)
                changes += 1
            if before == order:
                unchanged += 1
                continue
            _update_order(conn, order, now)
            updated += 1
    return UpsertResult(new=new, updated=updated, unchanged=unchanged, status_changes=changes)


def _state(order: Order) -> tuple[Any, ...]:
    """What a history row records: status, who requested/executed a cancel, the buyer flag."""
    return (
        order.status,
        order.cancel_requested_by,
        order.cancelled_by,
        any(i.buyer_requested_cancel for i in order.items),
    )


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "marketplace_id": order.marketplace_id,
        "status": order.status.value,
        "purchased_at": order.purchased_at,
        "last_updated_at": order.last_updated_at,
        "fulfilled_by": order.fulfilled_by,
        "cancel_requested_by": order.cancel_requested_by,
        "cancelled_by": order.cancelled_by,
        "cancel_reason": order.cancel_reason,
        "latest_ship_date": order.latest_ship_date,
    }


def _insert_order(conn: Connection, order: Order, now: datetime) -> None:
    conn.execute(
        insert(orders).values(
            order_id=order.order_id,
            first_seen_at=now,
            pulled_at=now,
            **_order_values(order),
        )
    )
    _write_items(conn, order)


def _update_order(conn: Connection, order: Order, now: datetime) -> None:
    conn.execute(
        update(orders)
        .where(orders.c.order_id == order.order_id)
        .values(pulled_at=now, **_order_values(order))
    )
    # Items are replaced as a whole: an order's item list is Amazon's, not ours.
    conn.execute(delete(order_items).where(order_items.c.order_id == order.order_id))
    _write_items(conn, order)


def _write_items(conn: Connection, order: Order) -> None:
    rows = [
        {
            "order_id": order.order_id,
            "order_item_id": item.order_item_id,
            "position": position,
            "sku": item.sku,
            "asin": item.asin,
            "quantity": item.quantity,
            "quantity_shipped": item.quantity_shipped,
            "buyer_requested_cancel": item.buyer_requested_cancel,
            "buyer_cancel_reason": item.buyer_cancel_reason,
        }
        for position, item in enumerate(order.items)
    ]
    if rows:
        conn.execute(insert(order_items), rows)


def _add_history(conn: Connection, order: Order, now: datetime) -> None:
    conn.execute(
        insert(order_status_history).values(
            order_id=order.order_id,
            status=order.status.value,
            cancel_requested_by=order.cancel_requested_by,
            cancelled_by=order.cancelled_by,
            buyer_requested_cancel=any(i.buyer_requested_cancel for i in order.items),
            changed_at=order.last_updated_at,
            recorded_at=now,
        )
    )


def load_orders(
    db: Engine,
    marketplace_id: str | None = None,
    since: datetime | None = None,
    *,
    statuses: Sequence[OrderStatus] | None = None,
) -> list[Order]:
    """Stored orders (purchased at or after ``since``), oldest purchase first, with items."""
    query = select(orders).order_by(orders.c.purchased_at, orders.c.order_id)
    if statuses is not None:
        query = query.where(orders.c.status.in_([s.value for s in statuses]))
    if marketplace_id is not None:
        query = query.where(orders.c.marketplace_id == marketplace_id)
    if since is not None:
        query = query.where(orders.c.purchased_at >= since)
    with db.connect() as conn:
        rows = conn.execute(query).all()
        items = _items_for(conn, [r.order_id for r in rows])
    return [_to_order(row, items.get(row.order_id, ())) for row in rows]


def load_order(db: Engine, order_id: str) -> Order | None:
    """One stored order, or None."""
    with db.connect() as conn:
        return _load_one(conn, order_id)


def _load_one(conn: Connection, order_id: str) -> Order | None:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
    if row is None:
        return None
    return _to_order(row, _items_for(conn, [order_id]).get(order_id, ()))


def _items_for(conn: Connection, order_ids: Sequence[str]) -> dict[str, tuple[OrderItem, ...]]:
    found: dict[str, list[OrderItem]] = {}
    # Chunked: SQLite limits bound parameters per statement.
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        query = (
            select(order_items)
            .where(order_items.c.order_id.in_(chunk))
            .order_by(order_items.c.order_id, order_items.c.position)
        )
        for row in conn.execute(query):
            found.setdefault(row.order_id, []).append(
                OrderItem(
                    order_item_id=row.order_item_id,
                    sku=row.sku,
                    quantity=row.quantity,
                    asin=row.asin,
                    quantity_shipped=row.quantity_shipped,
                    buyer_requested_cancel=bool(row.buyer_requested_cancel),
                    buyer_cancel_reason=row.buyer_cancel_reason,
                )
            )
    return {key: tuple(value) for key, value in found.items()}


def _party(value: str | None) -> Party | None:
    return None if value is None else Party(value)


def _to_order(row: Row[Any], items: tuple[OrderItem, ...]) -> Order:
    return Order(
        order_id=row.order_id,
        marketplace_id=row.marketplace_id,
        status=OrderStatus(row.status),
        purchased_at=row.purchased_at,
        last_updated_at=row.last_updated_at,
        fulfilled_by=row.fulfilled_by,
        items=items,
        cancel_requested_by=_party(row.cancel_requested_by),
        cancelled_by=_party(row.cancelled_by),
        cancel_reason=row.cancel_reason,
        latest_ship_date=row.latest_ship_date,
    )


def status_history(db: Engine, order_id: str | None = None) -> list[StatusChange]:
    """Status history rows, oldest first (all orders, or one)."""
    query = select(order_status_history).order_by(order_status_history.c.id)
    if order_id is not None:
        query = query.where(order_status_history.c.order_id == order_id)
    with db.connect() as conn:
        return [
            StatusChange(
                order_id=row.order_id,
                status=OrderStatus(row.status),
                cancel_requested_by=_party(row.cancel_requested_by),
                cancelled_by=_party(row.cancelled_by),
                buyer_requested_cancel=bool(row.buyer_requested_cancel),
                changed_at=row.changed_at,
                recorded_at=row.recorded_at,
            )
            for row in conn.execute(query)
        ]


def cancelled_at(db: Engine) -> dict[str, datetime]:
    """When each cancelled order was first seen cancelled (Amazon's lastUpdateDate then)."""
    query = (
        select(order_status_history.c.order_id, order_status_history.c.changed_at)
        .where(order_status_history.c.status == OrderStatus.CANCELLED.value)
        .order_by(order_status_history.c.id)
    )
    found: dict[str, datetime] = {}
    with db.connect() as conn:
        for order_id, changed in conn.execute(query):
            found.setdefault(order_id, changed)
    return found


def get_high_water(db: Engine, name: str = PULL_MARK) -> datetime | None:
    """The lastUpdatedAfter mark of the last successful pull, or None before the first."""
    with db.connect() as conn:
        value = conn.scalar(
            select(order_pull_state.c.high_water).where(order_pull_state.c.name == name)
        )
    return None if value is None else value


def set_high_water(db: Engine, high_water: datetime, now: datetime, name: str = PULL_MARK) -> None:
    """Record the mark; it never moves backwards."""
    current = get_high_water(db, name)
    with db.begin() as conn:
        if current is None:
            conn.execute(
                insert(order_pull_state).values(name=name, high_water=high_water, pulled_at=now)
            )
            return
        conn.execute(
            update(order_pull_state)
            .where(order_pull_state.c.name == name)
            .values(high_water=max(current, high_water), pulled_at=now)
        )
