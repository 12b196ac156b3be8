"""Fetching orders with their items: Orders v2026-01-01 first, Orders v0 as the fallback.

v2026 ``searchOrders`` returns items inline (includedData FULFILLMENT,CANCELLATION); v0 needs
``getOrders`` then one ``getOrderItems`` per order. Both page (``paginationToken`` /
``NextToken``; the library exposes either as ``ApiResponse.next_token``). ``OrdersReader``
chooses the version and falls back to v0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from stockguard.core.amazon import orders_parse
from stockguard.core.amazon.caller import Caller, must
from stockguard.core.domain import Order
from stockguard.core.errors import AmazonAuthError, AmazonError, AmazonRejected

# the gateway's own warning, under its name
log = logging.getLogger("stockguard.core.amazon.gateway")
T = TypeVar("T")

ORDER_DATA = ["FULFILLMENT", "CANCELLATION"]
VERSIONS = ("auto", "v0", "2026-01-01")
MARKETPLACES_PER_CALL = 50  # getOrders / searchOrders take at most 50 MarketplaceIds


class OrdersReader:
    """Orders v2026-01-01 first, Orders v0 when it fails; stops asking v2026 once refused.

    ``version`` of each read: "auto" (v2026-01-01, falling back to v0 when it fails),
    "2026-01-01" or "v0". The clients are made on first use, by the gateway.
    """

    def __init__(
        self, call: Caller, v2026_client: Callable[[], Any], v0_client: Callable[[], Any]
    ) -> None:
        self._call = call
        self._v2026_client = v2026_client
        self._v0_client = v0_client
        self._v2026_unsupported = False

    def search(
        self, marketplace_ids: Sequence[str], updated_after: datetime, version: str
    ) -> list[Order]:
        """Orders of these marketplaces updated after ``updated_after``, with their items
        (one search per 50 marketplaces)."""
        ids = list(dict.fromkeys(marketplace_ids))
        if not ids:
            raise ValueError("an order search needs at least one marketplace id")
        found: list[Order] = []
        for start in range(0, len(ids), MARKETPLACES_PER_CALL):
            found += self._search_chunk(
                ids[start : start + MARKETPLACES_PER_CALL], updated_after, version
            )
        return found

    def _search_chunk(self, ids: list[str], updated_after: datetime, version: str) -> list[Order]:
        return self._with_fallback(
            version,
            lambda: search_v2026(self._call, self._v2026_client(), ids, updated_after),
            lambda: search_v0(self._call, self._v0_client(), ids, updated_after),
        )

    def get(self, order_id: str, version: str) -> Order | None:
        """One order with its items, or None when Amazon does not know it."""
        return self._with_fallback(
            version,
            lambda: get_v2026(self._call, self._v2026_client(), order_id),
            lambda: get_v0(self._call, self._v0_client(), order_id),
        )

    def _with_fallback(self, version: str, v2026: Callable[[], T], v0: Callable[[], T]) -> T:
        if version not in VERSIONS:
            raise ValueError(f"unknown Orders API version {version!r}")
        if version == "v0" or (version == "auto" and self._v2026_unsupported):
            return v0()
        try:
            return v2026()
        except AmazonError as exc:
            if version != "auto":
                raise
            if isinstance(exc, AmazonAuthError | AmazonRejected):
                self._v2026_unsupported = True  # not authorised or not offered: stop asking
            log.warning("Orders v2026-01-01 failed (%s); using Orders v0", exc)
            return v0()


def iso(moment: datetime) -> str:
    """Amazon's ISO 8601 form of an aware datetime (UTC, ``Z``)."""
    if moment.tzinfo is None:
        raise ValueError("the time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_v2026(
    call: Caller, client: Any, marketplace_ids: Sequence[str], updated_after: datetime
) -> list[Order]:
    """searchOrders: merchant-fulfilled orders updated after ``updated_after``."""
    params: dict[str, Any] = {
        "lastUpdatedAfter": iso(updated_after),
        "marketplaceIds": list(marketplace_ids),
        "fulfilledBy": ["MERCHANT"],
        "includedData": ORDER_DATA,
        "maxResultsPerPage": 100,
    }
    orders: list[Order] = []
    token: str | None = None
    while True:
        page = dict(params, paginationToken=token) if token else dict(params)
        answer = must(call, "searchOrders", partial(client.search_orders, **page))
        orders.extend(orders_parse.order_from_v2026(o) for o in answer.payload.get("orders", []))
        token = answer.next_token
        if not token:
            return orders


def get_v2026(call: Caller, client: Any, order_id: str) -> Order | None:
    """getOrder (v2026-01-01); None when Amazon does not know the order."""
    answer = call(
        "getOrder",
        partial(client.get_order, order_id, includedData=ORDER_DATA),
        f"order {order_id}",
        missing_ok=True,
    )
    return None if answer is None else orders_parse.order_from_v2026(answer.payload["order"])


def search_v0(
    call: Caller, client: Any, marketplace_ids: Sequence[str], updated_after: datetime
) -> list[Order]:
    """getOrders (MFN) and getOrderItems for each order."""
    params: dict[str, Any] = {
        "LastUpdatedAfter": iso(updated_after),
        "MarketplaceIds": list(marketplace_ids),
        "FulfillmentChannels": ["MFN"],
    }
    raw_orders: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = dict(params, NextToken=token) if token else dict(params)
        answer = must(call, "getOrders", partial(client.get_orders, **page))
        raw_orders.extend(answer.payload.get("Orders", []))
        token = answer.next_token
        if not token:
            break
    return [
        orders_parse.order_from_v0(raw, items_v0(call, client, raw["AmazonOrderId"]))
        for raw in raw_orders
    ]


def get_v0(call: Caller, client: Any, order_id: str) -> Order | None:
    """getOrder + getOrderItems (v0); None when Amazon does not know the order."""
    answer = call(
        "getOrderV0", partial(client.get_order, order_id), f"order {order_id}", missing_ok=True
    )
    if answer is None:
        return None
    return orders_parse.order_from_v0(answer.payload, items_v0(call, client, order_id))


def items_v0(call: Caller, client: Any, order_id: str) -> list[dict[str, Any]]:
    """Every page of getOrderItems for one order."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        answer = must(
            call,
            "getOrderItems",
            partial(client.get_order_items, order_id, **extra),
            f"order {order_id}",
        )
        items.extend(answer.payload.get("OrderItems", []))
        token = answer.next_token
        if not token:
            return items
