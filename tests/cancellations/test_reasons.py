"""The reason router: named cases first, then every combination against the invariants."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockguard.cancellations.reasons import (
    Route,
    RouteKind,
    SellerFlag,
    SupplierCheck,
    ZeroCause,
    choose_route,
    why_not_cancellable,
)
from stockguard.cancellations.replies import cancel_request_reply
from stockguard.core.domain import Availability, CancelReason, Order, OrderItem, OrderStatus, Party

ORDERED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = ORDERED + timedelta(hours=48)
RECENT = NOW - timedelta(hours=1)

# Reading kinds a SKU can have, relative to the order above (max age: 24 hours).
VERDICTS: dict[str, SupplierCheck | None] = {
    "none": None,
    "in": SupplierCheck(Availability.IN_STOCK, "カートに入れる", RECENT),
    "oos": SupplierCheck(Availability.OUT_OF_STOCK, "在庫切れ", RECENT),
    "oos-before": SupplierCheck(
        Availability.OUT_OF_STOCK, "在庫切れ", ORDERED - timedelta(minutes=1)
    ),
    "oos-old": SupplierCheck(Availability.OUT_OF_STOCK, "在庫切れ", ORDERED + timedelta(hours=1)),
    "unknown": SupplierCheck(Availability.UNKNOWN, "captcha", RECENT),
}
FRESH_OOS = {"oos"}
ANY_OOS = {"oos", "oos-before", "oos-old"}


def make_order(
    status: OrderStatus = OrderStatus.UNSHIPPED,
    *,
    buyer: tuple[bool, ...] = (False,),
    requester: Party | None = None,
    fulfilled_by: str = "MERCHANT",
    shipped: int = 0,
) -> Order:
    items = tuple(
        OrderItem(
            order_item_id=f"1234567890123{n}",
            sku=f"SKU-{n}",
            quantity=1,
            quantity_shipped=shipped if n == 0 else 0,
            buyer_requested_cancel=flag,
            buyer_cancel_reason="Changed mind" if flag else None,
        )
        for n, flag in enumerate(buyer)
    )
    return Order(
        order_id="112-1234567-1234567",
        marketplace_id="ATVPDKIKX0DER",
        status=status,
        purchased_at=ORDERED,
        last_updated_at=ORDERED,
        fulfilled_by=fulfilled_by,
        items=items,
        cancel_requested_by=requester,
    )


def route(order: Order, *kinds: str, flags: frozenset[SellerFlag] = frozenset()) -> Route:
    verdicts = {item.sku: VERDICTS[kind] for item, kind in zip(order.items, kinds, strict=True)}
    return choose_route(order, verdicts, flags, now=NOW)


CASES = [
    # (name, order, verdict kinds, flags, expected kind, expected reason)
    (
        "official request",
        make_order(buyer=(True,)),
        ("in",),
        set(),
        RouteKind.AUTO_CANCEL,
        CancelReason.BUYER_CANCELED,
    ),
    (
        "official request on a stock-out stays BuyerCanceled",
        make_order(buyer=(True,)),
        ("oos",),
        set(),
        RouteKind.AUTO_CANCEL,
        CancelReason.BUYER_CANCELED,
    ),
    (
        "v2026 requester BUYER",
        make_order(requester=Party.BUYER),
        ("in",),
        set(),
        RouteKind.AUTO_CANCEL,
        CancelReason.BUYER_CANCELED,
    ),
    (
        "fresh stock-out",
        make_order(),
        ("oos",),
        set(),
        RouteKind.AUTO_CANCEL,
        CancelReason.NO_INVENTORY,
    ),
    (
        "fresh stock-out with a cancel message is still NoInventory",
        make_order(),
        ("oos",),
        {SellerFlag.CANCEL_MESSAGE},
        RouteKind.AUTO_CANCEL,
        CancelReason.NO_INVENTORY,
    ),
    (
        "stock-out seen before the order",
        make_order(),
        ("oos-before",),
        set(),
        RouteKind.TO_SELLER,
        None,
    ),
    ("stock-out too old", make_order(), ("oos-old",), set(), RouteKind.TO_SELLER, None),
    ("unknown supplier", make_order(), ("unknown",), set(), RouteKind.TO_SELLER, None),
    ("in stock", make_order(), ("in",), set(), RouteKind.NONE, None),
    ("not checked", make_order(), ("none",), set(), RouteKind.NONE, None),
    (
        "contact-form request",
        make_order(),
        ("in",),
        {SellerFlag.CANCEL_MESSAGE},
        RouteKind.TO_SELLER,
        None,
    ),
    ("price mistake", make_order(), ("in",), {SellerFlag.PRICE_MISTAKE}, RouteKind.TO_SELLER, None),
    (
        "undeliverable",
        make_order(),
        ("in",),
        {SellerFlag.UNDELIVERABLE_ADDRESS},
        RouteKind.TO_SELLER,
        None,
    ),
    (
        "one of two items out",
        make_order(buyer=(False, False)),
        ("oos", "in"),
        set(),
        RouteKind.TO_SELLER,
        None,
    ),
    (
        "both items out",
        make_order(buyer=(False, False)),
        ("oos", "oos"),
        set(),
        RouteKind.AUTO_CANCEL,
        CancelReason.NO_INVENTORY,
    ),
    (
        "partial buyer request",
        make_order(buyer=(True, False)),
        ("in", "in"),
        set(),
        RouteKind.TO_SELLER,
        None,
    ),
    (
        "partial request + requester BUYER is still partial",
        make_order(buyer=(True, False), requester=Party.BUYER),
        ("in", "in"),
        set(),
        RouteKind.TO_SELLER,
        None,
    ),
    (
        "shipped",
        make_order(OrderStatus.SHIPPED, buyer=(True,)),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
    (
        "partially shipped",
        make_order(OrderStatus.PARTIALLY_SHIPPED),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
    ("an item shipped", make_order(shipped=1), ("oos",), set(), RouteKind.NEVER, None),
    (
        "pending",
        make_order(OrderStatus.PENDING, buyer=(True,)),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
    (
        "pending availability",
        make_order(OrderStatus.PENDING_AVAILABILITY),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
    (
        "already cancelled",
        make_order(OrderStatus.CANCELLED, buyer=(True,)),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
    (
        "Amazon-fulfilled",
        make_order(fulfilled_by="AMAZON", buyer=(True,)),
        ("oos",),
        set(),
        RouteKind.NEVER,
        None,
    ),
]


@pytest.mark.parametrize(
    ("order", "kinds", "flags", "kind", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_named_cases(
    order: Order,
    kinds: tuple[str, ...],
    flags: set[SellerFlag],
    kind: RouteKind,
    reason: CancelReason | None,
) -> None:
    got = route(order, *kinds, flags=frozenset(flags))
    assert (got.kind, got.reason) == (kind, reason)
    if kind is RouteKind.AUTO_CANCEL:
        assert got.item_ids == tuple(i.order_item_id for i in order.items)
    if kind in (RouteKind.TO_SELLER, RouteKind.NEVER):
        assert got.advice


def test_a_contact_form_request_gets_the_reply_ready_to_paste() -> None:
    got = route(make_order(), "in", flags=frozenset({SellerFlag.CANCEL_MESSAGE}))
    assert got.reply == cancel_request_reply("112-1234567-1234567")
    assert "Cancel items" in got.reply.english
    assert "注文のキャンセルをリクエスト" in got.reply.japanese
    assert "112-1234567-1234567" in got.reply.text("ja")


def test_the_buyer_is_never_asked_to_cancel_a_stock_out() -> None:
    got = route(make_order(), "oos-before", flags=frozenset({SellerFlag.CANCEL_MESSAGE}))
    assert got.kind is RouteKind.TO_SELLER
    assert got.reply is None
    assert "do NOT ask the buyer" in got.advice


def test_the_reply_exists_in_english_and_japanese_only() -> None:
    reply = cancel_request_reply("112-1234567-1234567")
    with pytest.raises(ValueError, match="'fr'"):
        reply.text("fr")


def test_evidence_names_the_sku_the_phrase_and_the_time() -> None:
    got = route(make_order(), "oos")
    assert got.evidence == "SKU-0: OUT_OF_STOCK at 2026-03-04 08:00 UTC (在庫切れ)"


def test_unknown_zeroes_the_listing_and_a_pending_order_zeroes_too() -> None:
    assert route(make_order(), "unknown").zero_skus == (("SKU-0", ZeroCause.UNKNOWN),)
    pending = route(make_order(OrderStatus.PENDING), "oos")
    assert pending.kind is RouteKind.NEVER
    assert pending.zero_skus == (("SKU-0", ZeroCause.OUT_OF_STOCK),)


# --- every combination ---------------------------------------------------------------------

BUYER_STATES = {
    "no request": ((False, False), None),
    "all items": ((True, True), None),
    "some items": ((True, False), None),
    "order-level requester": ((False, False), Party.BUYER),
}
FLAG_SETS = [
    frozenset(c) for n in range(len(SellerFlag) + 1) for c in itertools.combinations(SellerFlag, n)
]
COMBINATIONS = list(
    itertools.product(
        OrderStatus, ("MERCHANT", "AMAZON"), (0, 1), BUYER_STATES, VERDICTS, VERDICTS, FLAG_SETS
    )
)


def test_every_combination_keeps_the_rules() -> None:
    assert len(COMBINATIONS) == 8 * 2 * 2 * 4 * 6 * 6 * 8
    for status, channel, shipped, buyer_state, kind_a, kind_b, flags in COMBINATIONS:
        buyer, requester = BUYER_STATES[buyer_state]
        order = make_order(
            status, buyer=buyer, requester=requester, fulfilled_by=channel, shipped=shipped
        )
        got = route(order, kind_a, kind_b, flags=flags)
        where = f"{status} {channel} shipped={shipped} {buyer_state} {kind_a}/{kind_b} {set(flags)}"
        _check_invariants(order, (kind_a, kind_b), flags, got, where)


def _check_invariants(
    order: Order,
    kinds: tuple[str, str],
    flags: frozenset[SellerFlag],
    got: Route,
    where: str,
) -> None:
    cancellable = (
        order.status is OrderStatus.UNSHIPPED
        and order.fulfilled_by == "MERCHANT"
        and all(i.quantity_shipped == 0 for i in order.items)
    )
    flagged = [i.buyer_requested_cancel for i in order.items]
    official = all(flagged) or (order.cancel_requested_by is Party.BUYER and not any(flagged))
    all_fresh_oos = all(k in FRESH_OOS for k in kinds)
    at_risk = {
        sku for sku, k in zip(("SKU-0", "SKU-1"), kinds, strict=True) if k in ANY_OOS | {"unknown"}
    }

    assert (why_not_cancellable(order) is None) == cancellable, where
    assert (got.kind is RouteKind.NEVER) == (not cancellable), where
    assert (got.reason is not None) == (got.kind is RouteKind.AUTO_CANCEL), where
    if got.kind is RouteKind.AUTO_CANCEL:
        assert got.item_ids == ("12345678901230", "12345678901231"), where
    # An official request is cancelled as such, never as a stock-out.
    if cancellable and official:
        assert got.reason is CancelReason.BUYER_CANCELED, where
    if got.reason is CancelReason.BUYER_CANCELED:
        assert official, where
    # A stock-out is NoInventory only when every item is confirmed by a fresh check.
    if got.reason is CancelReason.NO_INVENTORY:
        assert all_fresh_oos, where
        assert not any(flagged), where
        assert "unknown" not in kinds, where
    if cancellable and not any(flagged) and requester_absent(order) and all_fresh_oos:
        assert got.reason is CancelReason.NO_INVENTORY, where
    # Seller flags alone never cancel: they go to the seller.
    if got.kind is RouteKind.AUTO_CANCEL:
        assert official or all_fresh_oos, where
    if cancellable and got.kind is not RouteKind.AUTO_CANCEL:
        needs_seller = bool(flags) or any(flagged) or bool(at_risk)
        assert got.kind is (RouteKind.TO_SELLER if needs_seller else RouteKind.NONE), where
    if got.kind is RouteKind.TO_SELLER:
        assert got.advice, where
    # The buyer is asked to use "Cancel items" only for a message, never on a stock-out.
    if got.reply is not None:
        assert SellerFlag.CANCEL_MESSAGE in flags, where
        assert got.kind is RouteKind.TO_SELLER, where
        assert not any(k in ANY_OOS for k in kinds), where
    if cancellable and got.kind is RouteKind.TO_SELLER and SellerFlag.CANCEL_MESSAGE in flags:
        assert (got.reply is None) == any(k in ANY_OOS for k in kinds), where
    # Listings at risk (out of stock, or unknown) are zeroed while the order is open.
    open_order = cancellable or (
        order.status in (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY)
        and order.fulfilled_by == "MERCHANT"
    )
    expected = at_risk if open_order else set()
    assert {sku for sku, _ in got.zero_skus} == expected, where


def requester_absent(order: Order) -> bool:
    return order.cancel_requested_by is None
