"""Orders API v2026-01-01: searchOrders and getOrder (no ``payload`` wrapper).

With ``includedData=CANCELLATION`` each item says who asked for a cancellation
(``cancellationRequest.requester`` BUYER) and who executed one (``cancellationExecution
.cancelledBy`` BUYER | MERCHANT | AMAZON); ``FULFILLMENT`` adds the fulfillment status.
"""

from __future__ import annotations

from typing import Any

from stockguard.doubles.emulator import order_query as q
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.regions import sales_channel
from stockguard.doubles.emulator.state import V2026_STATUS, OrderItemState, OrderState
from stockguard.doubles.emulator.wire import (
    UNAUTHORIZED,
    Request,
    Response,
    error,
    invalid_input,
    iso,
    ok,
)

INCLUDED = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
)
STATUSES = (
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
)
_TO_V0 = {v2026: v0 for v0, v2026 in V2026_STATUS.items() if v0 != "InvoiceUnconfirmed"}
_CHANNEL = {"MERCHANT": "MFN", "AMAZON": "AFN"}


def search_orders(ctx: EmulatorContext, req: Request) -> Response:
    """GET /orders/2026-01-01/orders."""
    try:
        included = q.check_values(req.arg_list("includedData"), INCLUDED, "includedData")
        size = q.page_size(req.arg("maxResultsPerPage"))
        flt = _filter(ctx, req)
    except q.OutOfRegion as exc:
        return error(403, *UNAUTHORIZED, str(exc))
    except q.QueryError as exc:
        return invalid_input(str(exc))
    page, token = q.run(list(ctx.state.orders.values()), flt, size)
    body: dict[str, Any] = {"orders": [order_body(o, included) for o in page]}
    if token:
        body["pagination"] = {"nextToken": token}
    body["createdBefore" if flt.by == "created" else "lastUpdatedBefore"] = flt.before
    return ok(body)


def _filter(ctx: EmulatorContext, req: Request) -> q.OrderFilter:
    token = req.arg("paginationToken")
    if token:
        return q.from_token(token)
    by, after, before = q.time_window(
        req.arg("createdAfter"),
        req.arg("createdBefore"),
        req.arg("lastUpdatedAfter"),
        req.arg("lastUpdatedBefore"),
        ctx.clock.now(),
    )
    statuses = q.check_values(req.arg_list("fulfillmentStatuses"), STATUSES, "fulfillmentStatuses")
    v0 = [_TO_V0[s] for s in statuses]
    if "UNSHIPPED" in statuses:
        v0.append("InvoiceUnconfirmed")
    fulfilled_by = q.check_values(
        req.arg_list("fulfilledBy"), ("MERCHANT", "AMAZON"), "fulfilledBy"
    )
    return q.OrderFilter(
        by=by,
        after=after,
        before=before,
        statuses=v0,
        channels=[_CHANNEL[f] for f in fulfilled_by],
        marketplaces=q.check_marketplaces(req.arg_list("marketplaceIds"), ctx.state.region),
    )


def get_order(ctx: EmulatorContext, req: Request) -> Response:
    """GET /orders/2026-01-01/orders/{orderId} -> {"order": ...}."""
    try:
        included = q.check_values(req.arg_list("includedData"), INCLUDED, "includedData")
    except q.QueryError as exc:
        return invalid_input(str(exc))
    order = ctx.state.orders.get(req.params["orderId"])
    if order is None:
        return error(404, "NotFound", f"Order {req.params['orderId']} not found.")
    return ok({"order": order_body(order, included)})


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def order_body(order: OrderState, included: list[str]) -> dict[str, Any]:
    """An ``Order`` with the requested data sets that the emulator models."""
    body: dict[str, Any] = {
        "orderId": order.order_id,
        "createdTime": iso(order.purchase_date),
        "lastUpdatedTime": iso(order.last_update_date),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace_id,
            "marketplaceName": sales_channel(order.marketplace_id),
        },
        "orderItems": [_item_body(order, item, included) for item in order.items],
    }
    if "FULFILLMENT" in included:
        fulfillment: dict[str, Any] = {
            "fulfillmentStatus": V2026_STATUS[order.status],
            "fulfilledBy": "MERCHANT" if order.fulfillment_channel == "MFN" else "AMAZON",
        }
        if order.latest_ship_date:
            fulfillment["shipByWindow"] = {"latestDateTime": iso(order.latest_ship_date)}
        body["fulfillment"] = fulfillment
    if "PROCEEDS" in included:
        total = sum((i.price * i.quantity for i in order.items), start=0)
        body["proceeds"] = {"grandTotal": _money(total, order.currency)}
    return body


def _item_body(order: OrderState, item: OrderItemState, included: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderItemId": item.order_item_id,
        "quantityOrdered": item.quantity,
        "product": {
            "asin": item.asin,
            "sellerSku": item.sku,
            "price": {"unitPrice": _money(item.price, order.currency)},
        },
    }
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "quantityFulfilled": item.quantity_shipped,
            "quantityUnfulfilled": item.quantity - item.quantity_shipped,
        }
    if "CANCELLATION" in included:
        cancellation: dict[str, Any] = {}
        if item.buyer_cancel_requested:
            cancellation["cancellationRequest"] = {
                "requester": "BUYER",
                "cancelReason": item.buyer_cancel_reason or "",
            }
        if order.status == "Canceled" and order.cancelled_by:
            cancellation["cancellationExecution"] = {
                "cancelledBy": order.cancelled_by,
                "cancelReason": item.cancel_reason or order.cancel_reason or "",
            }
        if cancellation:
            body["cancellation"] = cancellation
    return body
