"""The order book's moves: a buyer orders, a buyer asks to cancel, someone cancels, it ships.

Amazon decrements a merchant-fulfilled listing's quantity when an order is placed, and puts
the units back when an order is cancelled for any reason except NoInventory.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from stockguard.core.domain import MARKETPLACES_BY_ID, FulfilmentChannel
from stockguard.doubles.emulator.state import (
    V2026_STATUS,
    EmulatorState,
    OrderItemState,
    OrderState,
)

NO_RESTOCK_REASON = "NoInventory"
_V2026_TO_V0 = {v: k for k, v in V2026_STATUS.items() if k != "InvoiceUnconfirmed"}


def v0_status(status: str) -> str:
    """Accept a v0 (``Unshipped``) or v2026 (``UNSHIPPED``) status name; return the v0 one."""
    if status in V2026_STATUS:
        return status
    if status in _V2026_TO_V0:
        return _V2026_TO_V0[status]
    raise ValueError(f"unknown order status {status!r}")


def new_order_id(state: EmulatorState, rng: random.Random) -> str:
    """A fresh 3-7-7 digit order id (``113-1234567-7654321``)."""
    while True:
        order_id = (
            f"1{rng.randint(1, 99):02d}-{rng.randint(0, 9_999_999):07d}-"
            f"{rng.randint(0, 9_999_999):07d}"
        )
        if order_id not in state.orders:
            return order_id


def new_item_id(rng: random.Random) -> str:
    """A 14-digit order item id (the AmazonOrderItemCode)."""
    return f"{rng.randint(10**13, 10**14 - 1)}"


def place_order(
    state: EmulatorState,
    rng: random.Random,
    at: datetime,
    lines: Sequence[tuple[str, int]],
    *,
    order_id: str | None = None,
    status: str = "Unshipped",
    channel: str = FulfilmentChannel.MERCHANT,
    decrement: bool = True,
    marketplace_id: str | None = None,
) -> OrderState:
    """Create an order for ``(sku, quantity)`` lines in a marketplace of the account's region
    (default: where the first SKU was first listed); decrement the SKUs' MFN inventory."""
    first = state.first_listing(lines[0][0]) if lines else None
    marketplace_id = marketplace_id or (first.marketplace_id if first else None)
    marketplace_id = marketplace_id or state.default_marketplace
    market = MARKETPLACES_BY_ID.get(marketplace_id)
    if market is None or market.region != state.region:
        raise ValueError(
            f"marketplace {marketplace_id}: this account takes orders in region {state.region} only"
        )
    items = [_item(state, rng, sku, quantity, marketplace_id) for sku, quantity in lines]
    handling = (first.handling_days if first else None) or 2
    order = OrderState(
        order_id=order_id or new_order_id(state, rng),
        marketplace_id=marketplace_id,
        status=v0_status(status),
        purchase_date=at,
        last_update_date=at,
        items=items,
        fulfillment_channel=channel,
        currency=market.currency,
        latest_ship_date=at + timedelta(days=handling),
    )
    state.orders[order.order_id] = order
    if decrement and channel == FulfilmentChannel.MERCHANT:
        for item in items:
            state.adjust_quantity(item.sku, -item.quantity, at, "order")
    return order


def _item(
    state: EmulatorState, rng: random.Random, sku: str, quantity: int, marketplace_id: str
) -> OrderItemState:
    listing = state.find_listing(sku, [marketplace_id]) or state.first_listing(sku)
    asin = listing.asin if listing else ""
    return OrderItemState(order_item_id=new_item_id(rng), sku=sku, asin=asin, quantity=quantity)


def cancel_order(
    state: EmulatorState,
    order: OrderState,
    at: datetime,
    by: str,
    reasons: dict[str, str] | None = None,
    default_reason: str | None = None,
) -> None:
    """Cancel every item; restock the units unless the item's reason is NoInventory."""
    order.status = "Canceled"
    order.cancelled_by = by
    order.last_update_date = at
    for item in order.items:
        reason = (reasons or {}).get(item.order_item_id, default_reason)
        item.cancel_reason = reason
        if reason != NO_RESTOCK_REASON and order.fulfillment_channel == FulfilmentChannel.MERCHANT:
            state.adjust_quantity(item.sku, item.quantity, at, "restock")
    order.cancel_reason = next((i.cancel_reason for i in order.items if i.cancel_reason), None)


def request_buyer_cancel(order: OrderState, at: datetime, reason: str) -> None:
    """The buyer used Amazon's Request Cancellation flow (per item, as v0 reports it)."""
    for item in order.items:
        item.buyer_cancel_requested = True
        item.buyer_cancel_reason = reason
    order.last_update_date = at


def set_status(order: OrderState, at: datetime, status: str) -> None:
    """Move an order to a status; Shipped marks every unit shipped."""
    order.status = v0_status(status)
    order.last_update_date = at
    if order.status == "Shipped":
        for item in order.items:
            item.quantity_shipped = item.quantity
