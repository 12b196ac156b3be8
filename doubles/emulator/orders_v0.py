"""Orders API v0 (deprecated, still python-amazon-sp-api's default): getOrders, getOrder,
getOrderItems, each wrapped in ``payload``.

``BuyerRequestedCancel.IsBuyerRequestedCancel`` is the *string* "true" or "false".
"""

from __future__ import annotations

from typing import Any

from stockguard.doubles.emulator import order_query as q
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.regions import sales_channel
from stockguard.doubles.emulator.state import V0_STATUSES, OrderItemState, OrderState
from stockguard.doubles.emulator.wire import (
    UNAUTHORIZED,
    Request,
    Response,
    error,
    invalid_input,
    iso,
    ok,
)

# Any of the four marketplace spellings python-amazon-sp-api adds.
_MARKETPLACE_KEYS = ("MarketplaceIds", "marketplaceIds", "MarketplaceId", "marketplace_ids")


def get_orders(ctx: EmulatorContext, req: Request) -> Response:
    """GET /orders/v0/orders -> {"payload": {"Orders": [...], "NextToken"?, "...Before"}}."""
    try:
        size = q.page_size(req.arg("MaxResultsPerPage"))
        flt = _filter(ctx, req)
    except q.OutOfRegion as exc:
        return error(403, *UNAUTHORIZED, str(exc))
    except q.QueryError as exc:
        return invalid_input(str(exc))
    page, token = q.run(list(ctx.state.orders.values()), flt, size)
    payload: dict[str, Any] = {"Orders": [order_body(o) for o in page]}
    if token:
        payload["NextToken"] = token
    if flt.by != "ids":
        payload["CreatedBefore" if flt.by == "created" else "LastUpdatedBefore"] = flt.before
    return ok({"payload": payload})


def _filter(ctx: EmulatorContext, req: Request) -> q.OrderFilter:
    token = req.arg("NextToken")
    if token:
        return q.from_token(token)
    marketplaces = next((req.arg_list(k) for k in _MARKETPLACE_KEYS if req.arg_list(k)), [])
    if not marketplaces:
        raise q.QueryError("MarketplaceIds is required.")
    order_ids = req.arg_list("AmazonOrderIds")
    if order_ids:
        by, after, before = "ids", None, None
    else:
        by, after, before = q.time_window(
            req.arg("CreatedAfter"),
            req.arg("CreatedBefore"),
            req.arg("LastUpdatedAfter"),
            req.arg("LastUpdatedBefore"),
            ctx.clock.now(),
        )
    return q.OrderFilter(
        by=by,
        after=after,
        before=before,
        statuses=q.check_values(req.arg_list("OrderStatuses"), V0_STATUSES, "OrderStatuses"),
        channels=q.check_values(
            req.arg_list("FulfillmentChannels"), ("MFN", "AFN"), "FulfillmentChannels"
        ),
        marketplaces=q.check_marketplaces(marketplaces, ctx.state.region),
        order_ids=order_ids,
    )


def get_order(ctx: EmulatorContext, req: Request) -> Response:
    """GET /orders/v0/orders/{orderId} -> {"payload": Order}."""
    order = ctx.state.orders.get(req.params["orderId"])
    if order is None:
        return error(404, "NotFound", f"Order {req.params['orderId']} not found.")
    return ok({"payload": order_body(order)})


def get_order_items(ctx: EmulatorContext, req: Request) -> Response:
    """GET /orders/v0/orders/{orderId}/orderItems -> {"payload": {AmazonOrderId, OrderItems}}."""
    order = ctx.state.orders.get(req.params["orderId"])
    if order is None:
        return error(404, "NotFound", f"Order {req.params['orderId']} not found.")
    items = [item_body(order, item) for item in order.items]
    return ok({"payload": {"AmazonOrderId": order.order_id, "OrderItems": items}})


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": str(amount)}


def order_body(order: OrderState) -> dict[str, Any]:
    """A v0 ``Order``."""
    shipped = sum(i.quantity_shipped for i in order.items)
    total = sum((i.price * i.quantity for i in order.items), start=0)
    body: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": iso(order.purchase_date),
        "LastUpdateDate": iso(order.last_update_date),
        "OrderStatus": order.status,
        "FulfillmentChannel": order.fulfillment_channel,
        "SalesChannel": sales_channel(order.marketplace_id),
        "MarketplaceId": order.marketplace_id,
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": sum(i.quantity for i in order.items) - shipped,
        "OrderType": "StandardOrder",
        "IsBusinessOrder": False,
        "IsPrime": False,
        "IsPremiumOrder": False,
        "IsReplacementOrder": False,
    }
    if order.status != "Pending":  # Amazon omits the total while payment is pending
        body["OrderTotal"] = _money(total, order.currency)
    if order.latest_ship_date:
        body["LatestShipDate"] = iso(order.latest_ship_date)
        body["EarliestShipDate"] = iso(order.purchase_date)
    return body


def item_body(order: OrderState, item: OrderItemState) -> dict[str, Any]:
    """A v0 ``OrderItem``; the buyer-cancel flag is a string."""
    body: dict[str, Any] = {
        "ASIN": item.asin,
        "SellerSKU": item.sku,
        "OrderItemId": item.order_item_id,
        "QuantityOrdered": item.quantity,
        "QuantityShipped": item.quantity_shipped,
        "BuyerRequestedCancel": {
            "IsBuyerRequestedCancel": "true" if item.buyer_cancel_requested else "false",
            "BuyerCancelReason": item.buyer_cancel_reason or "",
        },
    }
    if order.status != "Pending":  # pricing is omitted while the order is Pending
        body["ItemPrice"] = _money(item.price * item.quantity, order.currency)
    return body
