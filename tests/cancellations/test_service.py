"""Plan, then apply, against the emulator over real HTTP with the real SP-API client.

The emulator, the gateway and the service share one ManualClock: feed processing (a couple of
emulated seconds) happens while the gateway "waits", so no test sleeps. Crashes are simulated
with the apply hook (raise at a stage), then a fresh gateway resumes, as a new process would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from stockguard.cancellations.pull import DEFAULT_LOOKBACK, PULL_OVERLAP, pull_orders
from stockguard.cancellations.reasons import RouteKind, SupplierCheck
from stockguard.cancellations.service import (
    apply_cancellations,
    plan_cancellations,
    run_cancellations,
)
from stockguard.cancellations.store import cancellation_plan as plan_store
from stockguard.cancellations.store.cancellation_plan import CancelState
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import Availability, OrderStatus, Party
from stockguard.core.store.orders import load_order, status_history
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

ACK_FEED = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
SEED: dict[str, Any] = {
    "seller_id": EMULATOR_SELLER_ID,
    "listings": [
        {"sku": sku, "quantity": 1, "handling_days": 4}
        for sku in ("SKU-OUT", "SKU-BUYER", "SKU-OK", "SKU-SHIP", "SKU-ODD")
    ],
}


class CrashError(Exception):
    """Stands for the process dying at a given stage of apply."""


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(SEED, clock=clock) as emu:
        yield emu


def new_gateway(emulator: Emulator, clock: ManualClock) -> AmazonGateway:
    settings = AmazonSettings(
        seller_id=EMULATOR_SELLER_ID,
        endpoint=emulator.base_url,
        lwa_endpoint=emulator.base_url,
        poll_initial_seconds=0.5,
    )
    return AmazonGateway(settings, EMULATOR_SECRETS, clock, rng=random.Random(3))


@pytest.fixture
def gateway(emulator: Emulator, clock: ManualClock) -> Iterator[AmazonGateway]:
    with new_gateway(emulator, clock) as gw:
        yield gw


def out_of_stock(clock: ManualClock) -> SupplierCheck:
    return SupplierCheck(Availability.OUT_OF_STOCK, "#availability: 在庫切れ", clock.now())


def ack_feeds(emulator: Emulator) -> list[Any]:
    """The createFeed requests for order acknowledgements the emulator answered."""
    return [
        r
        for r in emulator.request_log
        if r.operation == "createFeed"
        and isinstance(r.body, dict)
        and r.body.get("feedType") == ACK_FEED
        and r.status < 300
    ]


def stock_out_and_buyer_request(
    emulator: Emulator, clock: ManualClock
) -> tuple[str, str, dict[str, SupplierCheck]]:
    """One order whose supplier is out (fresh check), one the buyer asked to cancel."""
    out = emulator.add_order("SKU-OUT").order_id
    buyer = emulator.add_order("SKU-BUYER").order_id
    clock.advance(600)
    emulator.set_buyer_cancel_request(buyer, "Ordered by mistake")
    clock.advance(60)
    return out, buyer, {"SKU-OUT": out_of_stock(clock)}


def test_plan_then_apply_sends_one_feed_with_the_right_reasons(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    out, buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    fine = emulator.add_order("SKU-OK").order_id
    pull_orders(db, gateway, clock)
    plan = plan_cancellations(db, clock, verdicts, zero=_gateway_zero(gateway))
    routes = {e.order.order_id: (e.route.kind, e.route.reason) for e in plan.entries}
    assert routes == {
        out: (RouteKind.AUTO_CANCEL, "NoInventory"),
        buyer: (RouteKind.AUTO_CANCEL, "BuyerCanceled"),
    }
    assert fine not in routes
    assert plan.new_rows == 2
    assert plan.zeroed == (("SKU-OUT", "out-of-stock"),)  # zeroed at once, before any cancel

    result = apply_cancellations(db, gateway, clock)

    assert result.done == {out: "NoInventory", buyer: "BuyerCanceled"}
    assert result.ok
    assert len(ack_feeds(emulator)) == 1
    assert emulator.order(out).status == "Canceled"
    assert emulator.order(out).items[0].cancel_reason == "NoInventory"
    assert emulator.order(buyer).items[0].cancel_reason == "BuyerCanceled"
    # Amazon restocked the BuyerCanceled unit; stockguard set it back to 0 afterwards.
    causes = [cause for _at, _qty, cause in emulator.quantity_history("SKU-BUYER")]
    assert causes[-2:] == ["restock", "patch"]
    assert emulator.quantity("SKU-BUYER") == 0
    assert result.zeroed == ["SKU-BUYER"]
    # NoInventory does not restock.
    assert "restock" not in [c for _a, _q, c in emulator.quantity_history("SKU-OUT")]
    assert emulator.quantity("SKU-OUT") == 0
    rows = plan_store.all_rows(db)
    assert {(r.order_id, r.state, r.feed_id) for r in rows} == {
        (out, CancelState.DONE, result.feed_ids[0]),
        (buyer, CancelState.DONE, result.feed_ids[0]),
    }


def _gateway_zero(gateway: AmazonGateway) -> Any:
    from stockguard.cancellations.ports import gateway_zeroer

    return gateway_zeroer(gateway)


def test_applying_twice_sends_nothing_the_second_time(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    _out, _buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    pull_orders(db, gateway, clock)
    plan_cancellations(db, clock, verdicts)
    apply_cancellations(db, gateway, clock)
    clock.advance(300)
    # Planning again (the orders still look cancellable until pulled) records nothing new.
    assert plan_cancellations(db, clock, verdicts).new_rows == 0
    second = apply_cancellations(db, gateway, clock)
    assert second.feed_ids == []
    assert second.done == {}
    assert len(ack_feeds(emulator)) == 1
    assert second.zeroed == []  # the restock zero is not repeated either


def test_an_order_shipped_in_the_meantime_is_refused_not_sent(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    order_id = emulator.add_order("SKU-SHIP").order_id
    clock.advance(300)
    pull_orders(db, gateway, clock)
    plan_cancellations(db, clock, {"SKU-SHIP": out_of_stock(clock)})
    clock.advance(300)
    emulator.set_order_status(order_id, "Shipped")
    clock.advance(300)

    result = apply_cancellations(db, gateway, clock)

    assert order_id in result.refused
    assert "shipped" in result.refused[order_id]
    assert ack_feeds(emulator) == []
    (row,) = plan_store.all_rows(db)
    assert row.state is CancelState.REFUSED
    assert emulator.order(order_id).status == "Shipped"


def test_report_errors_keep_those_orders_open_and_reported(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    out, buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    pull_orders(db, gateway, clock)
    plan_cancellations(db, clock, verdicts)

    def ship_behind_our_back(stage: str) -> None:
        if stage == "sending":  # after the re-check, before Amazon processes the feed
            emulator.set_order_status(out, "Shipped")

    result = apply_cancellations(db, gateway, clock, hook=ship_behind_our_back)

    assert result.done == {buyer: "BuyerCanceled"}
    assert list(result.failed) == [out]
    assert "shipped" in result.failed[out]
    assert not result.ok
    states = {r.order_id: r.state for r in plan_store.all_rows(db)}
    assert states == {out: CancelState.FAILED, buyer: CancelState.DONE}
    # A failed cancellation is not retried by a plain apply.
    again = apply_cancellations(db, gateway, clock)
    assert again.feed_ids == []
    assert len(ack_feeds(emulator)) == 1


@pytest.mark.parametrize("stage", ["sending", "submitted", "sent"])
def test_a_crash_during_apply_is_resumed_without_a_duplicate(
    stage: str, db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    out, buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    pull_orders(db, gateway, clock)
    plan_cancellations(db, clock, verdicts)

    def crash(at: str) -> None:
        if at == stage:
            raise CrashError(at)

    with pytest.raises(CrashError):
        apply_cancellations(db, gateway, clock, hook=crash)
    left = {r.state for r in plan_store.all_rows(db)}
    assert left == {CancelState.SENT if stage == "sent" else CancelState.SENDING}
    clock.advance(120)  # the restart takes a while; Amazon processes what it received

    with new_gateway(emulator, clock) as restarted:
        result = apply_cancellations(db, restarted, clock)

    assert set(result.done) == {out, buyer}
    assert len(ack_feeds(emulator)) == 1  # exactly one createFeed for these orders
    assert {r.state for r in plan_store.all_rows(db)} == {CancelState.DONE}
    if stage == "sent":
        assert result.resumed == [plan_store.all_rows(db)[0].feed_id]
    assert emulator.quantity("SKU-BUYER") == 0


def test_orders_pull_is_incremental_and_keeps_who_cancelled(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    first = emulator.add_order("SKU-OK").order_id
    clock.advance(300)
    before = clock.now()
    pulled = pull_orders(db, gateway, clock)
    assert (pulled.new, pulled.fetched) == (1, 1)
    assert pulled.updated_after == before - DEFAULT_LOOKBACK
    assert pulled.high_water == emulator.order(first).last_update_date
    clock.advance(3600)
    emulator.auto_cancel(first)
    clock.advance(300)
    again = pull_orders(db, gateway, clock)
    assert again.updated_after == pulled.high_water - PULL_OVERLAP
    assert again.status_changes == 1
    stored = load_order(db, first)
    assert stored is not None
    assert stored.status is OrderStatus.CANCELLED
    assert stored.cancelled_by is Party.AMAZON
    assert [h.status for h in status_history(db, first)] == [
        OrderStatus.UNSHIPPED,
        OrderStatus.CANCELLED,
    ]


def test_the_scheduled_run_plans_only_unless_told_to_apply(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    _out, _buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    planned = run_cancellations(db, gateway, clock, verdicts, auto_apply=False)
    assert planned.applied is None
    assert len(planned.plan.auto) == 2
    assert ack_feeds(emulator) == []
    clock.advance(300)
    applied = run_cancellations(db, gateway, clock, verdicts, auto_apply=True)
    assert applied.applied is not None
    assert len(applied.applied.done) == 2
    assert len(ack_feeds(emulator)) == 1


def test_a_v0_fallback_pull_reads_the_buyer_flag_string_and_routes_it(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    asked = emulator.add_order("SKU-BUYER").order_id
    quiet = emulator.add_order("SKU-OK").order_id
    emulator.set_buyer_cancel_request(asked, "Found it cheaper")
    clock.advance(300)
    emulator.faults.fail("searchOrders", 5, status=403)  # v2026 not granted: v0 is used

    pull_orders(db, gateway, clock)

    assert any(r.operation == "getOrders" for r in emulator.request_log)
    stored_asked, stored_quiet = load_order(db, asked), load_order(db, quiet)
    assert stored_asked is not None
    assert stored_quiet is not None
    assert stored_asked.items[0].buyer_requested_cancel is True
    assert stored_asked.items[0].buyer_cancel_reason == "Found it cheaper"
    assert stored_quiet.items[0].buyer_requested_cancel is False  # "false" is not truthy here
    plan = plan_cancellations(db, clock, {})
    assert [(e.order.order_id, e.route.reason) for e in plan.entries] == [(asked, "BuyerCanceled")]


def test_a_resend_racing_the_first_feed_is_not_reported_as_a_failure(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    """The one window no store can close: the crash hit after Amazon accepted the feed but
    before its id was written, and the restart came before Amazon processed it. The order
    still looks open, so it is sent again; Amazon's "already cancelled" answer is then
    recognised (the order is fetched) and the cancellation is done, not failed."""
    out, buyer, verdicts = stock_out_and_buyer_request(emulator, clock)
    pull_orders(db, gateway, clock)
    plan_cancellations(db, clock, verdicts)

    def crash(at: str) -> None:
        if at == "submitted":
            raise CrashError(at)

    with pytest.raises(CrashError):
        apply_cancellations(db, gateway, clock, hook=crash)
    with new_gateway(emulator, clock) as restarted:  # no time passes: Amazon is still busy
        result = apply_cancellations(db, restarted, clock)

    assert len(ack_feeds(emulator)) == 2
    assert set(result.done) == {out, buyer}
    assert result.failed == {}
    assert "already cancelled" in result.done[out]
    assert emulator.quantity("SKU-BUYER") == 0
