"""Order builders for the rate and report tests (plain domain values, no store)."""

from __future__ import annotations

from datetime import datetime

from stockguard.core.domain import MARKETPLACES, Order, OrderItem, OrderStatus, Party

US = MARKETPLACES["US"].marketplace_id
JP = MARKETPLACES["JP"].marketplace_id


def at(text: str) -> datetime:
    """An aware UTC instant from ``2026-03-04T08:00Z``-style text."""
    return datetime.fromisoformat(text)


def order(
    order_id: str,
    purchased: str,
    *,
    market: str = US,
    cancelled_by: Party | None = None,
    requested_by: Party | None = None,
    item_flag: bool = False,
    reason: str | None = None,
    fulfilled_by: str = "MERCHANT",
    sku: str = "SKU-1",
    status: OrderStatus | None = None,
) -> Order:
    """One order; cancelled when ``cancelled_by`` or ``status=CANCELLED`` is given."""
    when = at(purchased)
    cancelled = cancelled_by is not None or status is OrderStatus.CANCELLED
    return Order(
        order_id=order_id,
        marketplace_id=market,
        status=status or (OrderStatus.CANCELLED if cancelled else OrderStatus.SHIPPED),
        purchased_at=when,
        last_updated_at=when,
        fulfilled_by=fulfilled_by,
        items=(OrderItem(f"{order_id}-1", sku, 1, buyer_requested_cancel=item_flag),),
        cancel_requested_by=requested_by,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
    )


def plain(count: int, purchased: str, *, market: str = US, prefix: str = "p") -> list[Order]:
    """``count`` shipped orders purchased at the same instant."""
    return [order(f"{prefix}{i:03d}", purchased, market=market) for i in range(count)]
