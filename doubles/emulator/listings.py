"""Listings Items API 2021-08-01: getListingsItem and searchListingsItems, and the checks and
answers the writes (listings_write.py: patch, put, delete) share.

A listing is a SKU's offer in one marketplace; its ``fulfillment_availability`` (the MFN
quantity and handling time) is the SKU's, shared by every marketplace that lists it.
"""

from __future__ import annotations

import base64
from typing import Any

from stockguard.core.domain import MARKETPLACES_BY_ID
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.regions import refusal
from stockguard.doubles.emulator.state import QTY_ATTR, ListingState
from stockguard.doubles.emulator.wire import (
    Request,
    Response,
    error,
    invalid_input,
    iso,
    not_found,
    ok,
)

ITEM_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
SORT_KEYS = {"sku": "sku", "createdDate": "created_at", "lastUpdatedDate": "updated_at"}


def marketplaces(ctx: EmulatorContext, req: Request) -> list[str] | Response:
    """The request's marketplaceIds, or the error Amazon answers (absent, unknown, region)."""
    ids = req.arg_list("marketplaceIds")
    if not ids:
        return invalid_input("Missing required parameter 'marketplaceIds'.")
    return refusal(ctx.state.region, ids) or ids


def included_data(req: Request, allowed: tuple[str, ...], default: str) -> list[str] | Response:
    data = req.arg_list("includedData") or [default]
    unknown = [d for d in data if d not in allowed]
    if unknown:
        return invalid_input(f"Invalid includedData value(s): {', '.join(unknown)}.")
    return data


def wrong_seller(ctx: EmulatorContext, req: Request) -> Response | None:
    if req.params["sellerId"] != ctx.state.seller_id:
        return error(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The sellerId does not match the authorized selling partner.",
        )
    return None


def _read_scope(ctx: EmulatorContext, req: Request) -> tuple[list[str], list[str]] | Response:
    """(marketplace ids, included data sets) of a listings GET, or the error Amazon answers.

    The two GETs check their arguments in the same order, so the first problem found is the
    one reported: marketplaceIds, then includedData, then the sellerId.
    """
    marketplace_ids = marketplaces(ctx, req)
    if isinstance(marketplace_ids, Response):
        return marketplace_ids
    included = included_data(req, ITEM_DATA, "summaries")
    if isinstance(included, Response):
        return included
    refused = wrong_seller(ctx, req)
    if refused:
        return refused
    return marketplace_ids, included


def _find(ctx: EmulatorContext, sku: str, marketplace_ids: list[str]) -> ListingState | Response:
    listing = ctx.state.find_listing(sku, marketplace_ids)
    if listing is None:
        return not_found(
            f"Requested item, {sku}, not found in marketplace(s) {','.join(marketplace_ids)}."
        )
    return listing


def get_listings_item(ctx: EmulatorContext, req: Request) -> Response:
    """GET /listings/2021-08-01/items/{sellerId}/{sku}."""
    scope = _read_scope(ctx, req)
    if isinstance(scope, Response):
        return scope
    marketplace_ids, included = scope
    listing = _find(ctx, req.params["sku"], marketplace_ids)
    if isinstance(listing, Response):
        return listing
    return ok(item_body(listing, included))


def item_body(listing: ListingState, included: list[str]) -> dict[str, Any]:
    """An ``Item`` with the requested data sets."""
    body: dict[str, Any] = {"sku": listing.sku}
    qty = listing.quantity
    if "summaries" in included:
        summary: dict[str, Any] = {
            "marketplaceId": listing.marketplace_id,
            "asin": listing.asin,
            "productType": listing.product_type,
            "conditionType": "new_new",
            "status": ["BUYABLE", "DISCOVERABLE"] if qty else ["DISCOVERABLE"],
            "itemName": listing.item_name or listing.sku,
            "createdDate": iso(listing.created_at),
            "lastUpdatedDate": iso(listing.updated_at),
        }
        body["summaries"] = [summary]
    if "attributes" in included:
        body["attributes"] = _attributes_body(listing)
    if "issues" in included:
        body["issues"] = []
    if "offers" in included:
        body["offers"] = _offers(listing)
    if "fulfillmentAvailability" in included:
        body["fulfillmentAvailability"] = [
            {"fulfillmentChannelCode": e["fulfillment_channel_code"]}
            | ({"quantity": e["quantity"]} if isinstance(e.get("quantity"), int) else {})
            for e in listing.attributes.get(QTY_ATTR, [])
            if e.get("fulfillment_channel_code")
        ]
    if "procurement" in included:
        body["procurement"] = []
    if "relationships" in included:
        body["relationships"] = [{"marketplaceId": listing.marketplace_id, "relationships": []}]
    if "productTypes" in included:
        body["productTypes"] = [
            {"marketplaceId": listing.marketplace_id, "productType": listing.product_type}
        ]
    return body


def _offers(listing: ListingState) -> list[dict[str, Any]]:
    """The listing's own offer in its marketplace (the price is per marketplace)."""
    market = MARKETPLACES_BY_ID.get(listing.marketplace_id)
    if listing.price is None or market is None:
        return []
    price = {"currencyCode": market.currency, "amount": str(listing.price)}
    return [{"marketplaceId": listing.marketplace_id, "offerType": "B2C", "price": price}]


def _attributes_body(listing: ListingState) -> dict[str, Any]:
    # Amazon echoes marketplace_id inside each marketplace-specific attribute entry.
    out: dict[str, Any] = {}
    for name, entries in listing.attributes.items():
        out[name] = [
            {**e, "marketplace_id": listing.marketplace_id} if name == QTY_ATTR else dict(e)
            for e in entries
        ]
    return out


def search_listings_items(ctx: EmulatorContext, req: Request) -> Response:
    """GET /listings/2021-08-01/items/{sellerId}: filter by SKU/ASIN, sort, page (<= 20)."""
    scope = _read_scope(ctx, req)
    if isinstance(scope, Response):
        return scope
    marketplace_ids, included = scope
    try:
        page_size = int(req.arg("pageSize") or 10)
        offset = _decode_token(req.arg("pageToken"))
    except ValueError:
        return invalid_input("Invalid pageSize or pageToken.")
    if not 1 <= page_size <= 20:
        return invalid_input("'pageSize' must be between 1 and 20.")
    found = _matching(ctx, req, marketplace_ids)
    if isinstance(found, Response):
        return found
    page = found[offset : offset + page_size]
    body: dict[str, Any] = {
        "numberOfResults": len(found),
        "items": [item_body(listing, included) for listing in page],
    }
    pagination: dict[str, str] = {}
    if offset + page_size < min(len(found), 1000):
        pagination["nextToken"] = _encode_token(offset + page_size)
    if offset > 0:
        pagination["previousToken"] = _encode_token(max(0, offset - page_size))
    if pagination:
        body["pagination"] = pagination
    return ok(body)


def _matching(
    ctx: EmulatorContext, req: Request, marketplace_ids: list[str]
) -> list[ListingState] | Response:
    wanted_marketplaces = set(marketplace_ids)
    listings = [ls for ls in ctx.state.every_listing() if ls.marketplace_id in wanted_marketplaces]
    identifiers = req.arg_list("identifiers")
    if identifiers:
        kind = req.arg("identifiersType")
        if kind not in ("SKU", "ASIN"):
            return invalid_input("'identifiersType' must be SKU or ASIN with 'identifiers'.")
        if len(identifiers) > 20:
            return invalid_input("At most 20 identifiers.")
        wanted = set(identifiers)
        listings = [ls for ls in listings if (ls.sku if kind == "SKU" else ls.asin) in wanted]
    sort_by = req.arg("sortBy") or "lastUpdatedDate"
    if sort_by not in SORT_KEYS:
        return invalid_input("'sortBy' must be sku, createdDate or lastUpdatedDate.")
    descending = (req.arg("sortOrder") or "DESC") == "DESC"
    listings.sort(key=lambda ls: getattr(ls, SORT_KEYS[sort_by]), reverse=descending)
    return listings


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    text = base64.urlsafe_b64decode(token.encode()).decode()
    if not text.startswith("o:"):
        raise ValueError(token)
    return int(text[2:])
