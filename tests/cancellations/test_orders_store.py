"""Orders, status history, the pull mark and the cancellation plan, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from stockguard.cancellations.store import cancellation_plan as plan
from stockguard.cancellations.store.cancellation_plan import CancelState, NewCancellation
from stockguard.core.domain import Order, OrderItem, OrderStatus, Party
from stockguard.core.store.order_tables import cancellations
from stockguard.core.store.orders import (
    cancelled_at,
    get_high_water,
    load_order,
    load_orders,
    set_high_water,
    status_history,
    upsert_orders,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JST = timezone(timedelta(hours=9))


def order(
    order_id: str = "112-0000001-0000001",
    *,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    updated: datetime = T0,
    purchased: datetime = T0,
    marketplace_id: str = "ATVPDKIKX0DER",
    buyer: bool = False,
    items: int = 2,
) -> Order:
    return Order(
        order_id=order_id,
        marketplace_id=marketplace_id,
        status=status,
        purchased_at=purchased,
        last_updated_at=updated,
        items=tuple(
            OrderItem(
                order_item_id=f"1000000000000{n}",
                sku=f"SKU-{n}",
                quantity=n + 1,
                asin=f"B00000000{n}",
                buyer_requested_cancel=buyer,
                buyer_cancel_reason="Changed mind" if buyer else None,
            )
            for n in range(items)
        ),
        latest_ship_date=purchased + timedelta(days=2),
    )


def test_orders_round_trip_with_items_in_order_and_aware_times(db: Engine) -> None:
    first = order(purchased=T0.astimezone(JST))
    result = upsert_orders(db, [first], T0)
    assert (result.new, result.updated) == (1, 0)
    loaded = load_order(db, first.order_id)
    assert loaded == first
    assert loaded is not None
    assert loaded.purchased_at.tzinfo is not None
    assert [i.sku for i in loaded.items] == ["SKU-0", "SKU-1"]


def test_an_unchanged_order_writes_nothing_and_a_change_is_kept_in_history(
    db: Engine,
) -> None:
    upsert_orders(db, [order()], T0)
    again = upsert_orders(db, [order()], T0 + timedelta(minutes=5))
    assert (again.new, again.updated, again.unchanged, again.status_changes) == (0, 0, 1, 0)
    requested = replace(order(buyer=True), last_updated_at=T0 + timedelta(hours=1))
    cancelled = replace(
        requested,
        status=OrderStatus.CANCELLED,
        cancelled_by=Party.MERCHANT,
        cancel_requested_by=Party.BUYER,
        last_updated_at=T0 + timedelta(hours=2),
    )
    upsert_orders(db, [requested], T0 + timedelta(hours=1))
    result = upsert_orders(db, [cancelled], T0 + timedelta(hours=2))
    assert result.status_changes == 1
    history = status_history(db, order().order_id)
    assert [(h.status, h.buyer_requested_cancel, h.cancelled_by) for h in history] == [
        (OrderStatus.UNSHIPPED, False, None),
        (OrderStatus.UNSHIPPED, True, None),
        (OrderStatus.CANCELLED, True, Party.MERCHANT),
    ]
    assert history[-1].changed_at == T0 + timedelta(hours=2)
    assert cancelled_at(db) == {order().order_id: T0 + timedelta(hours=2)}
    assert load_order(db, order().order_id) == cancelled


def test_an_order_losing_an_item_is_replaced_whole(db: Engine) -> None:
    upsert_orders(db, [order(items=2)], T0)
    upsert_orders(db, [order(items=1, updated=T0 + timedelta(minutes=1))], T0)
    loaded = load_order(db, order().order_id)
    assert loaded is not None
    assert [i.sku for i in loaded.items] == ["SKU-0"]


def test_load_orders_filters_by_marketplace_purchase_time_and_status(db: Engine) -> None:
    upsert_orders(
        db,
        [
            order("112-0000001-0000001", purchased=T0),
            order("112-0000002-0000002", purchased=T0 + timedelta(days=1)),
            order(
                "503-0000003-0000003",
                purchased=T0 + timedelta(days=2),
                marketplace_id="A1VC38T7YXB528",
                status=OrderStatus.SHIPPED,
            ),
        ],
        T0,
    )
    assert [o.order_id for o in load_orders(db)] == [
        "112-0000001-0000001",
        "112-0000002-0000002",
        "503-0000003-0000003",
    ]
    assert [o.order_id for o in load_orders(db, "A1VC38T7YXB528")] == ["503-0000003-0000003"]
    since = [o.order_id for o in load_orders(db, since=T0 + timedelta(hours=1))]
    assert since == ["112-0000002-0000002", "503-0000003-0000003"]
    open_only = load_orders(db, statuses=[OrderStatus.UNSHIPPED])
    assert len(open_only) == 2


def test_the_high_water_mark_never_moves_back(db: Engine) -> None:
    assert get_high_water(db) is None
    set_high_water(db, T0, T0)
    set_high_water(db, T0 - timedelta(hours=1), T0)
    assert get_high_water(db) == T0
    set_high_water(db, T0 + timedelta(hours=1), T0)
    assert get_high_water(db) == T0 + timedelta(hours=1)


def planned(
    order_id: str = "112-0000001-0000001", item: str = "10000000000000", reason: str = "NoInventory"
) -> NewCancellation:
    return NewCancellation(
        order_id, item, "SKU-0", "ATVPDKIKX0DER", reason, "auto-cancel", "SKU-0: OUT_OF_STOCK"
    )


def test_a_cancellation_is_recorded_once_per_key(db: Engine) -> None:
    assert plan.record_planned(db, [planned(), planned()], T0) == 1
    assert plan.record_planned(db, [planned()], T0 + timedelta(hours=1)) == 0
    rows = plan.all_rows(db)
    assert [(r.idempotency_key, r.state) for r in rows] == [
        ("112-0000001-0000001:10000000000000:NoInventory", CancelState.PLANNED)
    ]
    # The database itself refuses a second row with the same key.
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(
            insert(cancellations).values(
                idempotency_key=rows[0].idempotency_key,
                order_id="x",
                order_item_id="y",
                sku="z",
                marketplace_id="m",
                reason="NoInventory",
                route="auto-cancel",
                evidence="",
                state="planned",
                planned_at=T0,
                updated_at=T0,
            )
        )


def test_a_new_reason_supersedes_a_planned_one_but_not_one_in_flight(db: Engine) -> None:
    plan.record_planned(db, [planned()], T0)
    assert plan.record_planned(db, [planned(reason="BuyerCanceled")], T0) == 1
    states = [(r.reason, r.state, r.detail) for r in plan.all_rows(db)]
    assert states == [
        ("NoInventory", CancelState.REFUSED, "superseded by BuyerCanceled"),
        ("BuyerCanceled", CancelState.PLANNED, None),
    ]
    live = plan.rows_in(db, [CancelState.PLANNED])
    plan.claim(db, live, CancelState.PLANNED, CancelState.SENDING, T0)
    assert plan.record_planned(db, [planned(reason="GeneralAdjustment")], T0) == 0


def test_claiming_is_atomic_and_journaled(db: Engine) -> None:
    plan.record_planned(db, [planned()], T0)
    rows = plan.rows_in(db, [CancelState.PLANNED])
    assert plan.claim(db, rows, CancelState.PLANNED, CancelState.SENDING, T0) == [rows[0].id]
    # A second applier holding the same stale rows claims nothing.
    assert plan.claim(db, rows, CancelState.PLANNED, CancelState.SENDING, T0) == []
    sending = plan.rows_in(db, [CancelState.SENDING])
    plan.claim(
        db,
        sending,
        CancelState.SENDING,
        CancelState.SENT,
        T0,
        feed_id="F1",
        message_ids={"112-0000001-0000001": 1},
    )
    plan.finish(db, [rows[0].id], CancelState.DONE, T0 + timedelta(minutes=3), "feed F1")
    (row,) = plan.all_rows(db)
    assert (row.state, row.feed_id, row.message_id) == (CancelState.DONE, "F1", 1)
    assert [(s, f) for s, f, _d, _at in plan.journal(db, row.id)] == [
        ("planned", None),
        ("sending", None),
        ("sent", "F1"),
        ("done", "F1"),
    ]


def test_restock_zeros_are_pending_until_recorded(db: Engine) -> None:
    plan.record_planned(db, [planned(reason="BuyerCanceled"), planned("112-0000002-0000002")], T0)
    ids = [r.id for r in plan.all_rows(db)]
    plan.finish(db, ids, CancelState.DONE, T0)
    pending = plan.pending_restock_zeros(db, "BuyerCanceled")
    assert pending == [("112-0000001-0000001", "SKU-0", "ATVPDKIKX0DER")]
    plan.record_zero(db, "112-0000001-0000001", "SKU-0", plan.RESTOCK_CAUSE, "ATVPDKIKX0DER", T0)
    plan.record_zero(db, "112-0000001-0000001", "SKU-0", plan.RESTOCK_CAUSE, "ATVPDKIKX0DER", T0)
    assert plan.pending_restock_zeros(db, "BuyerCanceled") == []
    assert plan.zero_recorded(db, "112-0000001-0000001", "SKU-0", plan.RESTOCK_CAUSE)
