"""Product Pricing v0: getItemOffers and getItemOffersBatch over the emulator's OfferBook.

Answers follow productPricingV0.json (GetOffersResponse / GetItemOffersBatchResponse; held to
the model by tests/amazon/test_pricing_conformance.py): offers sorted by landed price and cut
at 20, a Summary with offer counts, lowest and Buy Box prices, and the batch's per-item status
lines. An unknown ASIN is a per-item 400 in a batch (404 alone); an ASIN in
``false_zero`` is answered with no offers by the batch only (Amazon's bug, issue 2670).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.offers import SupplierItem, SupplierOffer, currency
from stockguard.doubles.emulator.wire import Request, Response, error, invalid_input, iso, ok

CONDITIONS = ("New", "Used", "Collectible", "Refurbished", "Club")
MAX_BATCH = 20
MAX_OFFERS = 20
_ITEM_URI = re.compile(r"^/products/pricing/v0/items/([^/?]+)/offers$")


def get_item_offers(ctx: EmulatorContext, req: Request) -> Response:
    """GET /products/pricing/v0/items/{Asin}/offers."""
    asin = req.params["Asin"]
    problem = _params(req.arg("MarketplaceId"), req.arg("ItemCondition"), req.arg("CustomerType"))
    if problem:
        return invalid_input(problem)
    item = ctx.state.offer_book.find(str(req.arg("MarketplaceId")), asin)
    if item is None:
        return error(404, "NotFound", f"Item {asin} not found in marketplace")
    condition = str(req.arg("ItemCondition"))
    return ok({"payload": offers_result(item, condition, ctx.clock.now(), zero=False)})


def get_item_offers_batch(ctx: EmulatorContext, req: Request) -> Response:
    """POST /batches/products/pricing/v0/itemOffers: up to 20 getItemOffers in one call."""
    try:
        body = req.json()
    except ValueError:
        return invalid_input("the body is not JSON")
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not 1 <= len(requests) <= MAX_BATCH:
        return invalid_input(f"requests: expected a list of 1 to {MAX_BATCH} requests")
    for n, one in enumerate(requests):
        problem = _batch_request(one)
        if problem:
            return invalid_input(f"requests[{n}]: {problem}")
    now = ctx.clock.now()
    return ok({"responses": [_one(ctx, one, now) for one in requests]})


def _batch_request(one: Any) -> str | None:
    if not isinstance(one, dict):
        return "expected an object"
    if one.get("method") != "GET" or not _ITEM_URI.match(str(one.get("uri", ""))):
        return "expected method GET and uri /products/pricing/v0/items/{Asin}/offers"
    return _params(one.get("MarketplaceId"), one.get("ItemCondition"), one.get("CustomerType"))


def _params(marketplace_id: Any, condition: Any, customer: Any) -> str | None:
    if not isinstance(marketplace_id, str) or not marketplace_id:
        return "MarketplaceId is required"
    if condition not in CONDITIONS:
        return f"ItemCondition must be one of {', '.join(CONDITIONS)}"
    if customer not in (None, "Consumer", "Business"):
        return "CustomerType must be Consumer or Business"
    return None


def _one(ctx: EmulatorContext, one: dict[str, Any], now: datetime) -> dict[str, Any]:
    match = _ITEM_URI.match(one["uri"])
    asin = match.group(1) if match else ""
    request = {
        "MarketplaceId": one["MarketplaceId"],
        "ItemCondition": one["ItemCondition"],
        "Asin": asin,
    }
    if one.get("CustomerType"):
        request["CustomerType"] = one["CustomerType"]
    headers = {
        "x-amzn-RequestId": f"emu-{ctx.state.next_id()}",
        "Date": now.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    item = ctx.state.offer_book.find(one["MarketplaceId"], asin)
    if item is None:
        body = {
            "errors": [
                {
                    "code": "InvalidInput",
                    "message": f"ASIN {asin} is not valid for marketplace {one['MarketplaceId']}",
                }
            ]
        }
        status = {"statusCode": 400, "reasonPhrase": "Bad Request"}
        return {"status": status, "body": body, "headers": headers, "request": request}
    zero = asin in ctx.state.offer_book.false_zero
    payload = offers_result(item, one["ItemCondition"], now, zero=zero)
    status = {"statusCode": 200, "reasonPhrase": "OK"}
    return {"status": status, "body": {"payload": payload}, "headers": headers, "request": request}


def offers_result(
    item: SupplierItem, condition: str, now: datetime, *, zero: bool
) -> dict[str, Any]:
    """The GetOffersResult of one item (New offers only: the emulator holds no used ones)."""
    money = currency(item.marketplace_id)
    offers = [] if zero or condition != "New" or item.status != "Success" else item.offers
    ranked = sorted(offers, key=lambda o: o.landed)
    summary: dict[str, Any] = {"TotalOfferCount": len(ranked)}
    if ranked:
        summary["NumberOfOffers"] = _counts(ranked)
        summary["LowestPrices"] = [_price_point(o, money, lowest=True) for o in ranked[:1]]
        summary["BuyBoxPrices"] = [_price_point(o, money, lowest=False) for o in ranked[:1]]
    if item.status != "Success":
        summary["OffersAvailableTime"] = iso(now + timedelta(minutes=10))
    return {
        "marketplaceId": item.marketplace_id,
        "ASIN": item.asin,
        "ItemCondition": "New",
        "status": item.status,
        "Identifier": {
            "MarketplaceId": item.marketplace_id,
            "ItemCondition": "New",
            "ASIN": item.asin,
        },
        "Summary": summary,
        "Offers": [_offer(o, money, winner=n == 0) for n, o in enumerate(ranked[:MAX_OFFERS])],
    }


def _counts(offers: list[SupplierOffer]) -> list[dict[str, Any]]:
    channels = {"Amazon": sum(o.fba for o in offers), "Merchant": sum(not o.fba for o in offers)}
    return [
        {"condition": "new", "fulfillmentChannel": channel, "OfferCount": n}
        for channel, n in channels.items()
        if n
    ]


def _money(amount: Decimal, code: str) -> dict[str, Any]:
    return {"CurrencyCode": code, "Amount": float(amount)}


def _points(offer: SupplierOffer, code: str) -> dict[str, Any]:
    return {
        "PointsNumber": offer.points,
        "PointsMonetaryValue": _money(Decimal(offer.points), code),
    }


def _price_point(offer: SupplierOffer, code: str, *, lowest: bool) -> dict[str, Any]:
    point: dict[str, Any] = {
        "condition": "new",
        "LandedPrice": _money(offer.landed, code),
        "ListingPrice": _money(offer.price, code),
        "Shipping": _money(offer.shipping, code),
    }
    if offer.points:
        point["Points"] = _points(offer, code)
    if lowest:
        point["fulfillmentChannel"] = "Amazon" if offer.fba else "Merchant"
    else:
        point["sellerId"] = offer.seller_id
    return point


def _offer(offer: SupplierOffer, code: str, *, winner: bool) -> dict[str, Any]:
    shipping_time: dict[str, Any] = {"availabilityType": offer.ships}
    if offer.ships == "NOW":
        shipping_time.update(minimumHours=0, maximumHours=24)
    elif offer.available_date:
        shipping_time["availableDate"] = offer.available_date
    detail: dict[str, Any] = {
        "SellerId": offer.seller_id,
        "SubCondition": "new",
        "ListingPrice": _money(offer.price, code),
        "Shipping": _money(offer.shipping, code),
        "ShippingTime": shipping_time,
        "ShipsFrom": {"Country": "JP"},
        "PrimeInformation": {"IsPrime": offer.prime, "IsNationalPrime": offer.prime},
        "IsFulfilledByAmazon": offer.fba,
        "IsBuyBoxWinner": winner and offer.ships == "NOW",
        "IsFeaturedMerchant": True,
    }
    if offer.points:
        detail["Points"] = _points(offer, code)
    return detail
