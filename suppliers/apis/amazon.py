"""Amazon as a supplier through SP-API Product Pricing: getItemOffersBatch offers -> verdicts.

``AmazonOffersApi`` is the ItemApi for one marketplace (``amazon-jp``…): 20 ASINs per call,
0.1 calls per second, burst 1 (productPricingV0.json). The HTTP call itself is the
transport's (core/amazon/gateway_pricing.py, python-amazon-sp-api); this module only reads
the answer, so it is pure and testable on plain dicts.

An item is buyable iff some New offer ships now (``ShippingTime.availabilityType == NOW``)
and meets the seller's ``SourcingRule`` (sold by Amazon itself, FBA, Prime, a maximum landed
price = listing price + shipping - points). The price is the cheapest such offer's landed
price. ``ActiveButTooSoonForProcessing``, per-item errors and a missing answer are UNKNOWN
with a reason. Negatives Amazon is known to give falsely (amazon-sp-api issues 2670, 4909:
zero offers for items that have some, Amazon's own offer left out, and a list cut at 20) are
UNKNOWN ``UNCONFIRMED``: the checker makes them OUT_OF_STOCK only when a second read or the
page agrees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from stockguard.core.domain import Money, UnknownReason
from stockguard.suppliers.apis.base import ApiQuota
from stockguard.suppliers.base import Reading, in_stock, out_of_stock, unknown

BATCH_SIZE = 20  # ItemOffersRequestList maxItems
QUOTA = ApiQuota(calls_per_second=0.1, burst=1)  # getItemOffersBatch's usage plan
# The marketplace's own retail offer (amazon-sp-api.md / supplier-apis.md §3a: Amazon.co.jp).
RETAIL_SELLER_IDS = {"JP": "AN1VRQENFRJN5"}


class OffersTransport(Protocol):
    """One getItemOffersBatch call (New, Consumer) for up to 20 ASINs.

    Returns the answer's ``responses`` list; raises ``ApiQuotaRefused`` on a 429 and
    ``ApiCallFailed`` when the call as a whole failed.
    """

    def item_offers_batch(self, asins: Sequence[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SourcingRule:
    """Which New offers that ship now the seller buys from (all of them by default)."""

    sold_by: str | None = None  # a SellerId the offer must have (Amazon's retail id)
    fulfilled_by_amazon: bool = False
    prime: bool = False
    max_landed_price: Decimal | None = None

    def refuses(self, offer: Mapping[str, Any]) -> str | None:
        """Why this offer is outside the rule, or None when it is inside."""
        if self.sold_by and offer.get("SellerId") != self.sold_by:
            return f"not sold by {self.sold_by}"
        if self.fulfilled_by_amazon and offer.get("IsFulfilledByAmazon") is not True:
            return "not fulfilled by Amazon"
        if self.prime and (offer.get("PrimeInformation") or {}).get("IsPrime") is not True:
            return "not Prime"
        if self.max_landed_price is not None and landed(offer) > self.max_landed_price:
            return f"landed price {landed(offer)} above {self.max_landed_price}"
        return None


class AmazonOffersApi:
    """The ItemApi of one Amazon marketplace, over an ``OffersTransport``."""

    batch_size = BATCH_SIZE

    def __init__(
        self,
        name: str,
        transport: OffersTransport,
        rule: SourcingRule | None = None,
        quota: ApiQuota = QUOTA,
    ) -> None:
        self.name = name
        self.quota = quota
        self.transport = transport
        self.rule = rule or SourcingRule()

    def read(self, codes: Sequence[str]) -> Mapping[str, Reading]:
        """One getItemOffersBatch call; a verdict for every ASIN it answered."""
        verdicts: dict[str, Reading] = {}
        for answer in self.transport.item_offers_batch(list(codes)):
            asin = _asin_of(answer)
            if asin in codes:
                verdicts[asin] = read_answer(answer, self.rule)
        return verdicts


def _asin_of(answer: Mapping[str, Any]) -> str:
    request = answer.get("request") or {}
    payload = (answer.get("body") or {}).get("payload") or {}
    return str(request.get("Asin") or payload.get("ASIN") or "")


def read_answer(answer: Mapping[str, Any], rule: SourcingRule) -> Reading:
    """One ItemOffersResponse of the batch -> a verdict."""
    status = (answer.get("status") or {}).get("statusCode")
    body = answer.get("body") or {}
    payload = body.get("payload")
    if status != 200 or not isinstance(payload, dict):
        errors = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in body.get("errors") or [])
        reason = UnknownReason.BLOCKED if status in (401, 403, 429) else UnknownReason.ERROR
        return unknown(reason, f"getItemOffersBatch item {status}: {errors or 'no payload'}")
    return read_offers(payload, rule)


def read_offers(payload: Mapping[str, Any], rule: SourcingRule) -> Reading:
    """A GetOffersResult (New condition) -> a verdict under the sourcing rule."""
    status = payload.get("status")
    if status == "ActiveButTooSoonForProcessing":
        when = (payload.get("Summary") or {}).get("OffersAvailableTime", "later")
        return unknown(UnknownReason.ERROR, f"ActiveButTooSoonForProcessing (offers {when})")
    if status != "Success":
        return unknown(UnknownReason.ERROR, f"offers status {status!r}")
    offers: list[dict[str, Any]] = list(payload.get("Offers") or [])
    total = int((payload.get("Summary") or {}).get("TotalOfferCount", len(offers)) or 0)
    if not offers:
        return unknown(
            UnknownReason.UNCONFIRMED,
            f"0 offers (TotalOfferCount {total}): Amazon has answered 0 for items with offers",
        )
    ships_now = [o for o in offers if _is_new(o) and _ships_now(o)]
    buyable = [o for o in ships_now if rule.refuses(o) is None]
    if buyable:
        best = min(buyable, key=landed)
        return in_stock(
            f"New offer ships now: {_describe(best, rule)}; {len(buyable)} of {total} offers",
            price=_money(best, landed(best)),
        )
    suspect = _suspect(offers, total, rule)
    if suspect:
        return unknown(UnknownReason.UNCONFIRMED, f"no buyable New offer, but {suspect}")
    if ships_now:
        cheapest = min(ships_now, key=landed)
        why = rule.refuses(cheapest)
        return out_of_stock(
            f"no New offer that ships now meets the sourcing rule (cheapest: {why})",
            price=_money(cheapest, landed(cheapest)),
        )
    kinds = sorted({str((o.get("ShippingTime") or {}).get("availabilityType")) for o in offers})
    return out_of_stock(f"no New offer ships now ({', '.join(kinds)}; {total} offers)")


def _suspect(offers: Sequence[Mapping[str, Any]], total: int, rule: SourcingRule) -> str:
    """Why a negative may be one of Amazon's false ones ("" when it is plain)."""
    if total > len(offers):
        return f"only {len(offers)} of {total} offers were listed"
    if rule.sold_by and not any(o.get("SellerId") == rule.sold_by for o in offers):
        return f"{rule.sold_by}'s own offer is absent (Amazon has left it out of answers)"
    return ""


def _is_new(offer: Mapping[str, Any]) -> bool:
    return str(offer.get("SubCondition", "")).lower() == "new"


def _ships_now(offer: Mapping[str, Any]) -> bool:
    return (offer.get("ShippingTime") or {}).get("availabilityType") == "NOW"


def _amount(money: Any) -> Decimal:
    if not isinstance(money, Mapping) or money.get("Amount") is None:
        return Decimal(0)
    amount = Decimal(str(money["Amount"]))
    # 1980.0 (a JSON float) is 1980: yen have no decimals, and evidence reads better
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount


def landed(offer: Mapping[str, Any]) -> Decimal:
    """Listing price + shipping - the points' monetary value (what the item really costs)."""
    points = (offer.get("Points") or {}).get("PointsMonetaryValue")
    return _amount(offer.get("ListingPrice")) + _amount(offer.get("Shipping")) - _amount(points)


def _money(offer: Mapping[str, Any], amount: Decimal) -> Money:
    currency = str((offer.get("ListingPrice") or {}).get("CurrencyCode") or "JPY")
    return Money(amount, currency)


def _describe(offer: Mapping[str, Any], rule: SourcingRule) -> str:
    seller = offer.get("SellerId") or "?"
    who = "Amazon" if rule.sold_by and seller == rule.sold_by else f"seller {seller}"
    flags = [
        flag
        for flag, on in (
            ("FBA", offer.get("IsFulfilledByAmazon") is True),
            ("Prime", (offer.get("PrimeInformation") or {}).get("IsPrime") is True),
        )
        if on
    ]
    points = _amount((offer.get("Points") or {}).get("PointsMonetaryValue"))
    price = (
        f"{_amount(offer.get('ListingPrice'))} + {_amount(offer.get('Shipping'))} shipping"
        f" - {points} points = {landed(offer)}"
    )
    return ", ".join([who, *flags, price])
