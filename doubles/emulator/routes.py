"""The emulator's route table: every path it answers and the operation name it meters."""

from __future__ import annotations

from stockguard.doubles.emulator import (
    documents,
    feeds,
    listings,
    orders_v0,
    orders_v2026,
    pricing,
    reports,
)
from stockguard.doubles.emulator import listings_write as writes
from stockguard.doubles.emulator.server import Route, route
from stockguard.doubles.emulator.wire import Request, Response


def _never(ctx: object, req: Request) -> Response:  # pragma: no cover - answered by the server
    raise AssertionError("the token endpoint is answered by the dispatcher")


LISTINGS = "/listings/2021-08-01/items/{sellerId}"
FEEDS = "/feeds/2021-06-30"
ORDERS = "/orders/2026-01-01"
REPORTS = "/reports/2021-06-30"


def build_routes() -> list[Route]:
    """All routes, most specific first."""
    table = [
        route("POST", "/auth/o2/token", "lwaToken", _never),
        route("GET", LISTINGS + "/{sku}", "getListingsItem", listings.get_listings_item),
        route("PATCH", LISTINGS + "/{sku}", "patchListingsItem", writes.patch_listings_item),
        route("PUT", LISTINGS + "/{sku}", "putListingsItem", writes.put_listings_item),
        route("DELETE", LISTINGS + "/{sku}", "deleteListingsItem", writes.delete_listings_item),
        route("GET", LISTINGS, "searchListingsItems", listings.search_listings_items),
    ]
    table += [
        route("POST", FEEDS + "/documents", "createFeedDocument", feeds.create_feed_document),
        route(
            "GET", FEEDS + "/documents/{feedDocumentId}", "getFeedDocument", feeds.get_feed_document
        ),
        route("POST", FEEDS + "/feeds", "createFeed", feeds.create_feed),
        route("GET", FEEDS + "/feeds", "getFeeds", feeds.get_feeds),
        route("GET", FEEDS + "/feeds/{feedId}", "getFeed", feeds.get_feed),
        route("DELETE", FEEDS + "/feeds/{feedId}", "cancelFeed", feeds.cancel_feed),
        route("PUT", "/_docs/{docId}", "uploadDocument", documents.upload),
        route("GET", "/_docs/{docId}", "downloadDocument", documents.download),
        route("GET", ORDERS + "/orders", "searchOrders", orders_v2026.search_orders),
        route("GET", ORDERS + "/orders/{orderId}", "getOrder", orders_v2026.get_order),
        route("GET", "/orders/v0/orders", "getOrders", orders_v0.get_orders),
        route("GET", "/orders/v0/orders/{orderId}", "getOrderV0", orders_v0.get_order),
        route(
            "GET",
            "/orders/v0/orders/{orderId}/orderItems",
            "getOrderItems",
            orders_v0.get_order_items,
        ),
        route("POST", REPORTS + "/reports", "createReport", reports.create_report),
        route("GET", REPORTS + "/reports", "getReports", reports.get_reports),
        route("GET", REPORTS + "/reports/{reportId}", "getReport", reports.get_report),
        route(
            "GET",
            REPORTS + "/documents/{reportDocumentId}",
            "getReportDocument",
            reports.get_report_document,
        ),
        route(
            "GET",
            "/products/pricing/v0/items/{Asin}/offers",
            "getItemOffers",
            pricing.get_item_offers,
        ),
        route(
            "POST",
            "/batches/products/pricing/v0/itemOffers",
            "getItemOffersBatch",
            pricing.get_item_offers_batch,
        ),
    ]
    return table
