"""Orders API answers (v2026-01-01 and v0) -> domain Order / OrderItem.

v2026-01-01 (searchOrders/getOrder with includedData FULFILLMENT,CANCELLATION):
    order.fulfillment.fulfillmentStatus, orderItems[].cancellation.cancellationRequest.requester
    ("BUYER") and .cancellationExecution.cancelledBy (BUYER|MERCHANT|AMAZON).
v0 (getOrders + getOrderItems):
    OrderStatus in CamelCase, and per item BuyerRequestedCancel.IsBuyerRequestedCancel as the
    *string* "true"/"false" (pitfall 9: ``if "false":`` is truthy, so it is compared, not tested).

Pure: no HTTP, no ``sp_api``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from stockguard.core.domain import FulfilmentChannel, Order, OrderItem, OrderStatus, Party
from stockguard.core.errors import AmazonError

V0_STATUS = {
    "PendingAvailability": OrderStatus.PENDING_AVAILABILITY,
    "Pending": OrderStatus.PENDING,
    "Unshipped": OrderStatus.UNSHIPPED,
    "PartiallyShipped": OrderStatus.PARTIALLY_SHIPPED,
    "Shipped": OrderStatus.SHIPPED,
    "Canceled": OrderStatus.CANCELLED,
    "Cancelled": OrderStatus.CANCELLED,
    "Unfulfillable": OrderStatus.UNFULFILLABLE,
    "InvoiceUnconfirmed": OrderStatus.INVOICE_UNCONFIRMED,
}
V0_CHANNEL = {FulfilmentChannel.MERCHANT: "MERCHANT", FulfilmentChannel.AMAZON: "AMAZON"}


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 timestamp from Amazon as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise AmazonError(f"{where}: missing timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise AmazonError(f"{where}: unreadable timestamp {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)  # Amazon's times are UTC even when unmarked
    return parsed.astimezone(UTC)


def _optional_time(value: Any, where: str) -> datetime | None:
    return parse_time(value, where) if value else None


def amazon_bool(value: Any) -> bool:
    """v0's "true"/"false" strings (and real booleans from notifications) -> bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def _party(value: Any) -> Party | None:
    if isinstance(value, str) and value.upper() in Party.__members__:
        return Party(value.upper())
    return None


# --- v2026-01-01 ---------------------------------------------------------------------------


def order_from_v2026(raw: Mapping[str, Any]) -> Order:
    """One ``Order`` object of searchOrders/getOrder (v2026-01-01)."""
    order_id = str(raw.get("orderId") or "")
    where = f"order {order_id or '?'}"
    if not order_id:
        raise AmazonError("v2026 order without orderId")
    fulfillment = raw.get("fulfillment") or {}
    status_text = fulfillment.get("fulfillmentStatus")
    try:
        # Without FULFILLMENT data the status is not known: PENDING is the one state in which
        # nothing (cancel, acknowledge) may be done, so it is the safe reading.
        status = OrderStatus(status_text) if status_text else OrderStatus.PENDING
    except ValueError:
        raise AmazonError(f"{where}: unknown fulfillmentStatus {status_text!r}") from None
    items = tuple(_item_from_v2026(i, where) for i in raw.get("orderItems") or [])
    requested, executed, reason = _cancellation_v2026(raw.get("orderItems") or [])
    ship_by = fulfillment.get("shipByWindow") or {}
    return Order(
        order_id=order_id,
        marketplace_id=str((raw.get("salesChannel") or {}).get("marketplaceId") or ""),
        status=status,
        purchased_at=parse_time(raw.get("createdTime"), f"{where} createdTime"),
        last_updated_at=parse_time(raw.get("lastUpdatedTime"), f"{where} lastUpdatedTime"),
        fulfilled_by=str(fulfillment.get("fulfilledBy") or "MERCHANT"),
        items=items,
        cancel_requested_by=requested,
        cancelled_by=executed,
        cancel_reason=reason,
        latest_ship_date=_optional_time(ship_by.get("latestDateTime"), f"{where} shipByWindow"),
    )


def _item_from_v2026(raw: Mapping[str, Any], where: str) -> OrderItem:
    product = raw.get("product") or {}
    cancellation = raw.get("cancellation") or {}
    request = cancellation.get("cancellationRequest") or {}
    fulfilled = (raw.get("fulfillment") or {}).get("quantityFulfilled")
    return OrderItem(
        order_item_id=str(raw.get("orderItemId") or ""),
        sku=str(product.get("sellerSku") or ""),
        quantity=_count(raw.get("quantityOrdered"), f"{where} quantityOrdered"),
        asin=str(product.get("asin") or ""),
        quantity_shipped=_count(fulfilled or 0, f"{where} quantityFulfilled"),
        buyer_requested_cancel=_party(request.get("requester")) is Party.BUYER,
        buyer_cancel_reason=request.get("cancelReason")
        if _party(request.get("requester")) is Party.BUYER
        else None,
    )


def _cancellation_v2026(
    items: Sequence[Mapping[str, Any]],
) -> tuple[Party | None, Party | None, str | None]:
    requested: Party | None = None
    executed: Party | None = None
    reason: str | None = None
    for item in items:
        cancellation = item.get("cancellation") or {}
        request = cancellation.get("cancellationRequest") or {}
        execution = cancellation.get("cancellationExecution") or {}
        requested = requested or _party(request.get("requester"))
        executed = executed or _party(execution.get("cancelledBy"))
        reason = reason or execution.get("cancelReason") or request.get("cancelReason")
    return requested, executed, reason


# --- v0 ------------------------------------------------------------------------------------


def order_from_v0(raw: Mapping[str, Any], raw_items: Sequence[Mapping[str, Any]]) -> Order:
    """A v0 ``Order`` plus its ``OrderItems`` (from getOrderItems)."""
    order_id = str(raw.get("AmazonOrderId") or "")
    if not order_id:
        raise AmazonError("v0 order without AmazonOrderId")
    where = f"order {order_id}"
    status_text = str(raw.get("OrderStatus") or "")
    if status_text not in V0_STATUS:
        raise AmazonError(f"{where}: unknown OrderStatus {status_text!r}")
    items = tuple(_item_from_v0(i, where) for i in raw_items)
    requested = Party.BUYER if any(i.buyer_requested_cancel for i in items) else None
    reason = next((i.buyer_cancel_reason for i in items if i.buyer_cancel_reason), None)
    return Order(
        order_id=order_id,
        marketplace_id=str(raw.get("MarketplaceId") or ""),
        status=V0_STATUS[status_text],
        purchased_at=parse_time(raw.get("PurchaseDate"), f"{where} PurchaseDate"),
        last_updated_at=parse_time(raw.get("LastUpdateDate"), f"{where} LastUpdateDate"),
        fulfilled_by=V0_CHANNEL.get(_channel(raw), "MERCHANT"),
        items=items,
        cancel_requested_by=requested,
        cancelled_by=None,  # v0 does not say who executed a cancellation
        cancel_reason=reason,
        latest_ship_date=_optional_time(raw.get("LatestShipDate"), f"{where} LatestShipDate"),
    )


def _item_from_v0(raw: Mapping[str, Any], where: str) -> OrderItem:
    cancel = raw.get("BuyerRequestedCancel") or {}
    requested = amazon_bool(cancel.get("IsBuyerRequestedCancel"))
    return OrderItem(
        order_item_id=str(raw.get("OrderItemId") or ""),
        sku=str(raw.get("SellerSKU") or ""),
        quantity=_count(raw.get("QuantityOrdered"), f"{where} QuantityOrdered"),
        asin=str(raw.get("ASIN") or ""),
        quantity_shipped=_count(raw.get("QuantityShipped") or 0, f"{where} QuantityShipped"),
        buyer_requested_cancel=requested,
        buyer_cancel_reason=(cancel.get("BuyerCancelReason") or None) if requested else None,
    )


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise AmazonError(f"{where}: expected a count, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AmazonError(f"{where}: expected a count, got {value!r}") from None


def _channel(raw: Mapping[str, Any]) -> FulfilmentChannel:
    """The v0 order's FulfillmentChannel (MFN when absent or unknown)."""
    value = str(raw.get("FulfillmentChannel") or "")
    return (
        FulfilmentChannel.AMAZON
        if value == FulfilmentChannel.AMAZON
        else (FulfilmentChannel.MERCHANT)
    )
