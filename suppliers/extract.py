"""Shared evidence readers: JSON-LD, microdata and Open Graph availability and price.

Availability values come in many spellings (``http://schema.org/InStock``,
``https:\\/\\/schema.org\\/InStock``, bare ``InStock``, ``in_stock``, ``instock``,
``in stock``): ``normalise_availability`` maps them all to the three states, and says None
for a value it does not know rather than guessing. JSON-LD is read only from the page's own
Product (top level, ``@graph``, ``mainEntity``), its offers and its variants, never from
related items listed elsewhere in the data.

Phrase lists, quantities and delays live in ``suppliers.phrases``; prices in
``suppliers.prices``; both are re-exported here for adapters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from suppliers import narrow
from suppliers.phrases import delay_days, find, normal, parse_quantity, snippet
from suppliers.prices import parse_price, parse_price_range, price_from_value
from sync.domain import Availability, Money

__all__ = [
    "StructuredOffer",
    "delay_days",
    "find",
    "json_ld_offers",
    "microdata_offers",
    "normal",
    "normalise_availability",
    "open_graph_offers",
    "parse_price",
    "parse_price_range",
    "parse_quantity",
    "price_from_value",
    "snippet",
    "structured_offers",
]

_IN = {"instock", "limitedavailability", "onlineonly", "available", "in", "yes", "true"}
_OUT = {
    "outofstock", "soldout", "discontinued", "instoreonly", "oos", "unavailable",
    "preorder", "presale", "backorder", "no", "false", "out",
}  # fmt: skip
_SCHEMA_PREFIX = re.compile(r"^(?:https?:)?(?://)?(?:www\.)?schema\.org/", re.I)
_PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "book"}


@dataclass(frozen=True)
class StructuredOffer:
    """One availability (and price) stated in the page's structured data."""

    source: str  # "JSON-LD", "microdata", "og"
    raw: str  # the value as written, e.g. "http://schema.org/InStock"
    availability: Availability | None
    price: Money | None = None
    high_price: Money | None = None
    sku: str = ""
    name: str = ""

    @property
    def evidence(self) -> str:
        """How the value reads in evidence: ``JSON-LD offers.availability=InStock``."""
        short = _SCHEMA_PREFIX.sub("", self.raw.replace("\\/", "/"))
        where = {"JSON-LD": "JSON-LD offers.availability", "microdata": "microdata availability"}
        return f"{where.get(self.source, self.source + ' availability')}={short}"


def normalise_availability(value: str) -> Availability | None:
    """IN_STOCK / OUT_OF_STOCK for a known availability value; None for anything else."""
    cleaned = _SCHEMA_PREFIX.sub("", value.strip().replace("\\/", "/"))
    key = re.sub(r"[\s_\-]", "", cleaned).lower()
    if key in _IN:
        return Availability.IN_STOCK
    if key in _OUT:
        return Availability.OUT_OF_STOCK
    return None


def structured_offers(text: str, currency: str | None = None) -> list[StructuredOffer]:
    """The page's offers from the first kind of structured data that states availability."""
    for reader in (json_ld_offers, microdata_offers, open_graph_offers):
        offers = [o for o in reader(text, currency) if o.availability is not None]
        if offers:
            return offers
    return []


def json_ld_offers(text: str, currency: str | None = None) -> list[StructuredOffer]:
    """Offers of the page's own Product(s) in JSON-LD blocks."""
    offers: list[StructuredOffer] = []
    for block in narrow.json_ld_blocks(text):
        data = _load_json(block)
        if data is None:
            offers.extend(_regex_offers(block, currency))
            continue
        for product in _products(data):
            offers.extend(_product_offers(product, currency))
    return offers


def _load_json(block: str) -> Any:
    cleaned = block.strip().removeprefix("<!--").removesuffix("-->").strip()
    cleaned = cleaned.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
    try:
        return json.loads(cleaned, strict=False)
    except ValueError:
        return None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _products(data: Any) -> Iterator[dict[str, Any]]:
    """Product nodes at the top level, in @graph and as mainEntity: not related items."""
    nodes = data if isinstance(data, list) else [data]
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if _types(node) & _PRODUCT_TYPES:
            yield node
        for key in ("@graph", "mainEntity"):
            inner = node.get(key)
            if inner is not None:
                yield from _products(inner)


def _product_offers(product: dict[str, Any], currency: str | None) -> Iterator[StructuredOffer]:
    name = str(product.get("name", ""))
    sku = str(product.get("sku", ""))
    raw_offers = product.get("offers")
    for offer in raw_offers if isinstance(raw_offers, list) else [raw_offers]:
        if isinstance(offer, dict):
            yield from _offer(offer, currency, sku, name)
    for variant in product.get("hasVariant") or []:
        if isinstance(variant, dict):
            yield from _product_offers(variant, currency)


def _offer(
    offer: dict[str, Any], currency: str | None, sku: str, name: str
) -> Iterator[StructuredOffer]:
    inner = offer.get("offers")
    if isinstance(inner, list) and inner and "availability" not in offer:
        for sub in inner:
            if isinstance(sub, dict):
                yield from _offer(sub, currency, sku, name)
        return
    raw = offer.get("availability")
    code = offer.get("priceCurrency") or currency
    price = price_from_value(offer.get("price", offer.get("lowPrice")), code, currency)
    high = price_from_value(offer.get("highPrice"), code, currency)
    availability = normalise_availability(str(raw)) if isinstance(raw, str) else None
    yield StructuredOffer(
        "JSON-LD", str(raw or ""), availability, price, high,
        str(offer.get("sku") or sku), str(offer.get("name") or name),
    )  # fmt: skip


_AVAIL_IN_JSON = re.compile(r'"availability"\s*:\s*"([^"]+)"')


def _regex_offers(block: str, currency: str | None) -> Iterator[StructuredOffer]:
    """A JSON-LD block that is not valid JSON: read its availability values by pattern."""
    for match in _AVAIL_IN_JSON.finditer(block):
        yield StructuredOffer("JSON-LD", match.group(1), normalise_availability(match.group(1)))


_MICRO_AVAIL = r"<[a-z][a-z0-9]*\b[^>]*itemprop\s*=\s*[\"']?availability\b"
_MICRO_PRICE = r"<[a-z][a-z0-9]*\b[^>]*itemprop\s*=\s*[\"']?(?:price|lowPrice)\b"
_MICRO_CURRENCY = r"<[a-z][a-z0-9]*\b[^>]*itemprop\s*=\s*[\"']?(?:priceCurrency|currency)\b"


def microdata_offers(text: str, currency: str | None = None) -> list[StructuredOffer]:
    """``itemprop="availability"`` values (content, href or text) with the first price."""
    values: list[str] = []
    for cut in narrow.find_tags(text, _MICRO_AVAIL):
        attrs = narrow.attributes(cut.html)
        value = attrs.get("content") or attrs.get("href") or narrow.fragment_text(cut.html)
        values.append(value)
    if not values:
        return []
    price = _microdata_price(text, currency)
    return [StructuredOffer("microdata", v, normalise_availability(v), price) for v in values if v]


def _microdata_price(text: str, currency: str | None) -> Money | None:
    codes = [a.get("content", "") for a in narrow.start_tags(text, _MICRO_CURRENCY, limit=3)]
    code = next((c for c in codes if c), None)
    for cut in narrow.find_tags(text, _MICRO_PRICE, limit=5):
        attrs = narrow.attributes(cut.html)
        if attrs.get("content"):
            price = price_from_value(attrs["content"], code, currency)
        else:
            price = parse_price(narrow.fragment_text(cut.html), code or currency)
        if price is not None:
            return price
    return None


_META = r"<meta\b[^>]*(?:property|name)\s*=\s*[\"']?(?:og|product):"


def open_graph_offers(text: str, currency: str | None = None) -> list[StructuredOffer]:
    """``og:availability`` / ``product:availability`` with ``product:price:amount``."""
    head = text[: max(text.find("<body"), 200_000)]
    meta: dict[str, str] = {}
    for attrs in narrow.start_tags(head, _META):
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        meta.setdefault(key, attrs.get("content", ""))
    raw = meta.get("og:availability") or meta.get("product:availability")
    if not raw:
        return []
    code = meta.get("product:price:currency") or meta.get("og:price:currency") or None
    amount = meta.get("product:price:amount") or meta.get("og:price:amount")
    price = price_from_value(amount, code, currency) if amount else None
    return [StructuredOffer("og", raw, normalise_availability(raw), price)]


def summarise(offers: list[StructuredOffer]) -> StructuredOffer | None:
    """The deciding offer: any in stock wins (some variant can be bought), else out of stock."""
    for wanted in (Availability.IN_STOCK, Availability.OUT_OF_STOCK):
        for offer in offers:
            if offer.availability is wanted:
                return offer
    return None


def first_price(offers: list[StructuredOffer]) -> tuple[Money | None, Money | None]:
    """The lowest stated price among the offers (and the highest, for a range)."""
    prices = [o.price for o in offers if o.price is not None]
    highs = [o.high_price for o in offers if o.high_price is not None] + prices
    if not prices:
        return None, None
    low = min(prices, key=lambda m: m.amount)
    high = max(highs, key=lambda m: m.amount)
    return low, (high if high.amount > low.amount else None)
