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
from urllib.parse import urlsplit

from stockguard.core.domain import Availability, Money
from stockguard.suppliers.dom import Document, text_of
from stockguard.suppliers.phrases import delay_days, find, normal, parse_quantity, snippet
from stockguard.suppliers.prices import parse_price, parse_price_range, price_from_value

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
    condition: str = ""  # "new", "used", "refurbished", "damaged"; "" when not stated

    @property
    def is_new(self) -> bool:
        """Whether the offer is for a new item (an offer that states no condition is)."""
        return self.condition in ("", "new")

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


def structured_offers(
    doc: Document, url: str = "", currency: str | None = None
) -> list[StructuredOffer]:
    """The page's own offers from the first kind of structured data that states availability."""
    for offers in (
        json_ld_offers(doc, url, currency),
        microdata_offers(doc, currency),
        open_graph_offers(doc, currency),
    ):
        stated = [o for o in offers if o.availability is not None]
        if stated:
            return stated
    return []


def json_ld_offers(
    doc: Document, url: str = "", currency: str | None = None
) -> list[StructuredOffer]:
    """Offers of the page's own Product in JSON-LD (``own_products`` picks it)."""
    products: list[dict[str, Any]] = []
    loose: list[StructuredOffer] = []
    for script in doc.json("application/ld+json"):
        if script.in_other_region:
            continue  # a recommendation section's own JSON-LD
        data = _load_json(script.text)
        if data is None:
            loose.extend(_regex_offers(script.text, currency))
            continue
        products.extend(_products(data))
    offers: list[StructuredOffer] = []
    for product in own_products(products, doc, url):
        offers.extend(_product_offers(product, currency))
    return offers or loose


def own_products(products: list[dict[str, Any]], doc: Document, url: str) -> list[dict[str, Any]]:
    """The page's own products among JSON-LD products: by URL, SKU or name, else the first.

    A product whose URL names another page is another product's (a related item) and never
    decides; nor does a second product when the first matches nothing either."""
    path = _path(url)
    names = [normal(n) for n in (doc.h1, doc.meta.get("og:title", ""), doc.title) if n]
    matched, unnamed = [], []
    for product in products:
        own_url = [_path(u) for u in _urls(product)]
        sku = str(product.get("sku") or "").strip().lower()
        if (path and path in own_url) or (len(sku) > 3 and sku in url.lower()):
            matched.append(product)
        elif own_url and path:
            continue  # it names another page
        elif _same_name(normal(str(product.get("name") or "")), names):
            matched.append(product)
        else:
            unnamed.append(product)
    return matched or unnamed[:1]


def _urls(product: dict[str, Any]) -> list[str]:
    found = [product.get("url"), product.get("@id")]
    offers = product.get("offers")
    for offer in offers if isinstance(offers, list) else [offers]:
        if isinstance(offer, dict):
            found.append(offer.get("url"))
    return [u for u in found if isinstance(u, str) and u.startswith(("http", "/"))]


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/").lower()


def _same_name(name: str, page_names: list[str]) -> bool:
    if len(name) < 2:
        return False
    return any(name in page or (len(page) > 3 and page in name) for page in page_names)


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
        _condition(offer.get("itemCondition")),
    )  # fmt: skip


def _condition(value: Any) -> str:
    """``https://schema.org/UsedCondition`` -> "used"; "" when absent or unknown."""
    key = _SCHEMA_PREFIX.sub("", str(value or "")).lower().removesuffix("condition")
    return key if key in ("new", "used", "refurbished", "damaged") else ""


_AVAIL_IN_JSON = re.compile(r'"availability"\s*:\s*"([^"]+)"')


def _regex_offers(block: str, currency: str | None) -> Iterator[StructuredOffer]:
    """A JSON-LD block that is not valid JSON: read its availability values by pattern."""
    for match in _AVAIL_IN_JSON.finditer(block):
        yield StructuredOffer("JSON-LD", match.group(1), normalise_availability(match.group(1)))


def microdata_offers(doc: Document, currency: str | None = None) -> list[StructuredOffer]:
    """``itemprop="availability"`` values (content, href or text) with the first price."""
    values = []
    for node in doc.css("[itemprop=availability]"):
        attrs = node.attributes
        values.append(attrs.get("content") or attrs.get("href") or text_of(node))
    if not values:
        return []
    price = _microdata_price(doc, currency)
    return [StructuredOffer("microdata", v, normalise_availability(v), price) for v in values if v]


def _microdata_price(doc: Document, currency: str | None) -> Money | None:
    nodes = doc.css("[itemprop=priceCurrency], [itemprop=currency]")
    code = next((c for c in (n.attributes.get("content") for n in nodes) if c), None)
    for node in doc.css("[itemprop=price], [itemprop=lowPrice]")[:5]:
        content = node.attributes.get("content")
        if content:
            price = price_from_value(content, code, currency)
        else:
            price = parse_price(text_of(node), code or currency)
        if price is not None:
            return price
    return None


def open_graph_offers(doc: Document, currency: str | None = None) -> list[StructuredOffer]:
    """``og:availability`` / ``product:availability`` with ``product:price:amount``."""
    meta = doc.meta
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
