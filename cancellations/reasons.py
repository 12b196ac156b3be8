"""The reason router: which orders stockguard may cancel, with which reason, and which it must not.

Pure: the order, the supplier verdict for each ordered SKU and the seller's flags go in, a
``Route`` comes out. The rules (seller-rules.md, amazon-sp-api.md pitfalls 1, 2, 7, 15):

1. Only an open seller-fulfilled order whose items are all unshipped can be cancelled
   (``Unshipped``). Shipped, partially shipped, pending, already cancelled and Amazon-fulfilled
   orders are NEVER cancelled.
2. An official buyer request (``IsBuyerRequestedCancel`` on every item, or requester BUYER)
   -> AUTO_CANCEL with BuyerCanceled (excluded from the rate). Never NoInventory for it.
3. A supplier stock-out on every item, confirmed by a FRESH check (OUT_OF_STOCK observed after
   the order was placed and not older than ``max_age``) -> AUTO_CANCEL with NoInventory, and
   the listing is zeroed at once. Never a buyer reason for a stock-out; never ask the buyer.
4. Everything else goes TO_SELLER with advice: a contact-form request (reply text ready to
   paste), a price mistake, an undeliverable address, an UNKNOWN supplier state (never a
   stock-out; the listing is zeroed), a stale or partial stock-out, a partial buyer request.
5. An unshipped order with nothing wrong needs nothing: NONE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from stockguard.cancellations.rate import request_scope
from stockguard.cancellations.replies import CancelRequestReply, cancel_request_reply
from stockguard.core.domain import Availability, CancelReason, Order, OrderStatus

DEFAULT_MAX_AGE = timedelta(hours=24)

# Statuses in which an order can no longer (or not yet) be cancelled, and why.
NEVER_STATUSES: Mapping[OrderStatus, str] = {
    OrderStatus.SHIPPED: "already shipped: never cancel after ship confirmation",
    OrderStatus.PARTIALLY_SHIPPED: "partially shipped: a cancellation would refund shipped items",
    OrderStatus.INVOICE_UNCONFIRMED: "shipped (invoice unconfirmed): never cancel",
    OrderStatus.PENDING: "pending: Amazon is still verifying payment; it cannot be cancelled yet",
    OrderStatus.PENDING_AVAILABILITY: "pending availability (pre-order): cannot be cancelled yet",
    OrderStatus.CANCELLED: "already cancelled",
    OrderStatus.UNFULFILLABLE: "unfulfillable (Amazon multi-channel order): not ours to cancel",
}


_NOT_YET = frozenset({OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY})


class RouteKind(StrEnum):
    """Where an order goes."""

    AUTO_CANCEL = "auto-cancel"  # stockguard cancels it with ``Route.reason``
    TO_SELLER = "to-seller"  # the seller decides, with ``Route.advice``
    NEVER = "never"  # must not be cancelled (shipped, pending, cancelled, AFN)
    NONE = "none"  # nothing wrong: fulfil it


class SellerFlag(StrEnum):
    """Something the seller (or intake) knows about an order that the API does not say."""

    CANCEL_MESSAGE = "cancel-message"  # buyer asked to cancel via contact form / message
    PRICE_MISTAKE = "price-mistake"
    UNDELIVERABLE_ADDRESS = "undeliverable-address"


class ZeroCause(StrEnum):
    """Why an order makes stockguard zero a listing."""

    OUT_OF_STOCK = "out-of-stock"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SupplierCheck:
    """The supplier state of one ordered SKU's sources: what, why, and when it was seen."""

    availability: Availability
    evidence: str
    checked_at: datetime


@dataclass(frozen=True)
class Route:
    """The router's answer for one order."""

    kind: RouteKind
    order_id: str
    reason: CancelReason | None = None  # set exactly for AUTO_CANCEL
    advice: str = ""
    evidence: str = ""
    item_ids: tuple[str, ...] = ()  # the items to cancel (all of them: Failure cancels the order)
    zero_skus: tuple[tuple[str, ZeroCause], ...] = ()  # listings to zero now
    reply: CancelRequestReply | None = None  # for a contact-form request: text to paste


def choose_route(
    order: Order,
    verdicts: Mapping[str, SupplierCheck | None],
    flags: frozenset[SellerFlag] = frozenset(),
    *,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Route:
    """Route one order. ``verdicts`` maps each ordered SKU to its fresh check (or None)."""
    zero = _zero_skus(order, verdicts)
    blocked = why_not_cancellable(order)
    if blocked is not None:
        # A pending order still comes: its listing must not keep selling a sold-out item.
        keep = zero if order.status in _NOT_YET and order.fulfilled_by == "MERCHANT" else ()
        return Route(RouteKind.NEVER, order.order_id, advice=blocked, zero_skus=keep)
    if request_scope(order) == "whole":
        return _buyer_canceled(order, zero)
    fresh_oos = {i.sku for i in order.items if _fresh_oos(order, verdicts.get(i.sku), now, max_age)}
    # A buyer's request on some items is never cancelled as a stock-out: the seller decides.
    if fresh_oos == {i.sku for i in order.items} and request_scope(order) != "partial":
        return _no_inventory(order, verdicts, zero)
    advice = _seller_advice(order, verdicts, flags, fresh_oos, now, max_age)
    if not advice:
        return Route(RouteKind.NONE, order.order_id, evidence=_evidence(order, verdicts))
    wants_reply = SellerFlag.CANCEL_MESSAGE in flags and not _any_oos(order, verdicts)
    return Route(
        RouteKind.TO_SELLER,
        order.order_id,
        advice=" ".join(advice),
        evidence=_evidence(order, verdicts),
        zero_skus=zero,
        reply=cancel_request_reply(order.order_id) if wants_reply else None,
    )


def why_not_cancellable(order: Order) -> str | None:
    """Why ``order`` must not be cancelled now, or None when it may be."""
    if order.fulfilled_by != "MERCHANT":
        return "fulfilled by Amazon (AFN): not a seller cancellation"
    if order.status in NEVER_STATUSES:
        return NEVER_STATUSES[order.status]
    if any(item.quantity_shipped > 0 for item in order.items):
        return "an item is already shipped: never cancel after ship confirmation"
    if not order.items:
        return "no order items known yet: pull the order again"
    return None


def _fresh_oos(
    order: Order, verdict: SupplierCheck | None, now: datetime, max_age: timedelta
) -> bool:
    """OUT_OF_STOCK seen after the order was placed, and recent: a stock-out we can prove."""
    if verdict is None or verdict.availability is not Availability.OUT_OF_STOCK:
        return False
    return order.purchased_at <= verdict.checked_at and now - verdict.checked_at <= max_age


def _any_oos(order: Order, verdicts: Mapping[str, SupplierCheck | None]) -> bool:
    return any(
        (v := verdicts.get(i.sku)) is not None and v.availability is Availability.OUT_OF_STOCK
        for i in order.items
    )


def _zero_skus(
    order: Order, verdicts: Mapping[str, SupplierCheck | None]
) -> tuple[tuple[str, ZeroCause], ...]:
    """Every ordered SKU whose supplier is out of stock or unknown is zeroed, stale or not."""
    found: dict[str, ZeroCause] = {}
    for item in order.items:
        verdict = verdicts.get(item.sku)
        if verdict is None or verdict.availability is Availability.IN_STOCK:
            continue
        cause = (
            ZeroCause.OUT_OF_STOCK
            if verdict.availability is Availability.OUT_OF_STOCK
            else ZeroCause.UNKNOWN
        )
        found.setdefault(item.sku, cause)
    return tuple(found.items())


def _buyer_canceled(order: Order, zero: tuple[tuple[str, ZeroCause], ...]) -> Route:
    reasons = sorted({i.buyer_cancel_reason for i in order.items if i.buyer_cancel_reason})
    said = f" (buyer: {'; '.join(reasons)})" if reasons else ""
    return Route(
        RouteKind.AUTO_CANCEL,
        order.order_id,
        reason=CancelReason.BUYER_CANCELED,
        advice="official buyer request: cancel with BuyerCanceled (not counted in the rate); "
        "the listing is re-zeroed afterwards because Amazon restocks the units",
        evidence=f"IsBuyerRequestedCancel on every item{said}",
        item_ids=tuple(i.order_item_id for i in order.items),
        zero_skus=zero,
    )


def _no_inventory(
    order: Order,
    verdicts: Mapping[str, SupplierCheck | None],
    zero: tuple[tuple[str, ZeroCause], ...],
) -> Route:
    return Route(
        RouteKind.AUTO_CANCEL,
        order.order_id,
        reason=CancelReason.NO_INVENTORY,
        advice="supplier stock-out confirmed after the order: cancel now with NoInventory "
        "(counts in the rate; never ask the buyer to cancel)",
        evidence=_evidence(order, verdicts),
        item_ids=tuple(i.order_item_id for i in order.items),
        zero_skus=zero,
    )


def _seller_advice(
    order: Order,
    verdicts: Mapping[str, SupplierCheck | None],
    flags: frozenset[SellerFlag],
    fresh_oos: set[str],
    now: datetime,
    max_age: timedelta,
) -> list[str]:
    advice: list[str] = []
    if request_scope(order) == "partial":
        advice.append(
            "the buyer officially requested cancelling some items only: cancel those items in "
            "Seller Central (reason BuyerCanceled); a partial cancel is not sent as a feed."
        )
    if fresh_oos:
        advice.append(
            f"out of stock: {', '.join(sorted(fresh_oos))}, but not every item: cancel those "
            "items yourself with NoInventory in Seller Central, or fulfil the order."
        )
    stale = [i.sku for i in order.items if _stale_oos(order, verdicts.get(i.sku), now, max_age)]
    if stale:
        advice.append(
            f"last check says out of stock ({', '.join(stale)}) but it is older than the order "
            "or too old: check the supplier again; if it is out, cancel with NoInventory."
        )
    unknown = [i.sku for i in order.items if _is_unknown(verdicts.get(i.sku))]
    if unknown:
        advice.append(
            f"supplier state unknown for {', '.join(unknown)} (never treated as a stock-out): "
            "check the supplier by hand; the listing is zeroed meanwhile."
        )
    advice.extend(_FLAG_ADVICE[flag] for flag in SellerFlag if flag in flags)
    if SellerFlag.CANCEL_MESSAGE in flags and _any_oos(order, verdicts):
        advice.append("the item is out of stock: do NOT ask the buyer to cancel.")
    return advice


def _stale_oos(
    order: Order, verdict: SupplierCheck | None, now: datetime, max_age: timedelta
) -> bool:
    return (
        verdict is not None
        and verdict.availability is Availability.OUT_OF_STOCK
        and not _fresh_oos(order, verdict, now, max_age)
    )


def _is_unknown(verdict: SupplierCheck | None) -> bool:
    return verdict is not None and verdict.availability is Availability.UNKNOWN


_FLAG_ADVICE: Mapping[SellerFlag, str] = {
    SellerFlag.CANCEL_MESSAGE: (
        "the buyer asked to cancel by message: a cancellation now would count against you; "
        'ask the buyer to use "Cancel items" in Your Orders (reply below), then it arrives '
        "as an official request and is cancelled with BuyerCanceled."
    ),
    SellerFlag.PRICE_MISTAKE: (
        "price mistake: any cancellation you make counts in the cancellation rate; decide "
        "whether to fulfil; if you cancel, do it in Seller Central (not a stock-out reason)."
    ),
    SellerFlag.UNDELIVERABLE_ADDRESS: (
        "undeliverable address: contact the buyer to correct it first; if it cannot be "
        "delivered, cancel in Seller Central with ShippingAddressUndeliverable (it counts)."
    ),
}


def _evidence(order: Order, verdicts: Mapping[str, SupplierCheck | None]) -> str:
    parts = []
    for item in order.items:
        verdict = verdicts.get(item.sku)
        if verdict is None:
            parts.append(f"{item.sku}: no supplier check")
            continue
        seen = verdict.checked_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"{item.sku}: {verdict.availability.value} at {seen} ({verdict.evidence})")
    return "; ".join(parts)
