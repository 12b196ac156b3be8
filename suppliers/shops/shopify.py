"""Shopify shops (any domain; recognised from ``cdn.shopify.com`` / ``Shopify.shop``).

Only ``/products/<handle>`` pages are product pages: a collection or the top page is
UNKNOWN not-a-product-page, however many ``"available":true`` its product cards carry.
On a product page the embedded product JSON (``"variants":[{"id":…, "available":…}]``)
decides, for the variant the source names (by variant id, SKU, title or option value),
else for the ``?variant=`` of the URL. Without a named variant a sold-out buy area beats the
JSON, and variants that differ in availability are UNKNOWN with each variant's state listed
(never IN_STOCK, and not OUT_OF_STOCK because one option is sold out). Without product JSON
the generic reading (JSON-LD, then the cart form) applies.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.suppliers import phrases
from stockguard.suppliers.base import (
    ParseOptions,
    Reading,
    ShopAdapter,
    in_stock,
    out_of_stock,
    unknown,
    variant_mix,
)
from stockguard.suppliers.buyarea import buy_area
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import read_standard

_JSON_SCRIPT = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']application/json[\"'][^>]*>(.*?)</script\s*>", re.I | re.S
)
_CURRENCY = re.compile(r"Shopify\.currency\s*=\s*\{\s*\"active\"\s*:\s*\"([A-Z]{3})\"")
_CART_ADD = "form[action*='/cart/add']"
_MARKERS = ("cdn.shopify.com", "Shopify.shop", "shopify-section")


class ShopifyAdapter(ShopAdapter):
    """Shopify product pages."""

    name = "shopify"
    hosts = ("myshopify.com",)

    def recognises(self, page: Page) -> bool:
        return any(marker in page.scan for marker in _MARKERS)

    def read(self, page: Page, options: ParseOptions) -> Reading:
        path = urlsplit(page.final_url).path
        if "/products/" not in path:
            return unknown(
                UnknownReason.NOT_A_PRODUCT_PAGE, f"Shopify {path or '/'} is not a /products/ page"
            )
        text = page.text
        currency = options.currency or _currency(text) or self.currency
        variants = product_variants(text)
        if not variants:
            return read_standard(page, options, currency)
        wanted = (
            options.variant or parse_qs(urlsplit(page.final_url).query).get("variant", [None])[0]
        )
        if wanted:
            return read_named(variants, wanted, currency)
        return read_all(variants, page, currency)


def read_all(variants: list[dict[str, Any]], page: Page, currency: str | None) -> Reading:
    """No variant named: a sold-out buy area wins; variants that differ are UNKNOWN."""
    area = buy_area(page.dom, _CART_ADD)
    said = phrases.classify(area.text) if area else None
    price = variant_price(variants[0], currency)
    if area is not None and said is not None and said.availability is Availability.OUT_OF_STOCK:
        return out_of_stock(f"buy area: {phrases.snippet(area.text, said.phrase)}", price=price)
    if area is not None and area.sold_out() is not None:
        return out_of_stock(f"buy area: {area.sold_out().describe()}", price=price)  # type: ignore[union-attr]
    buyable = [v for v in variants if v.get("available") is True]
    states = [(f"{v.get('title') or v.get('id')}", v.get("available") is True) for v in variants]
    listed = variant_mix(states, "available", "sold out")
    if listed is not None:
        return unknown(
            UnknownReason.LAYOUT_CHANGED,
            f"product JSON: variants differ and none is named ({listed})",
            price=price,
        )
    if buyable:
        return in_stock(
            f"product JSON: all {len(variants)} variants available",
            price=variant_price(buyable[0], currency),
        )
    return out_of_stock(f"product JSON: all {len(variants)} variants available=false", price=price)


def _currency(text: str) -> str | None:
    match = _CURRENCY.search(text)
    return match.group(1) if match else None


def product_variants(text: str) -> list[dict[str, Any]]:
    """Variants of the page's product from the first JSON block that holds them."""
    for match in _JSON_SCRIPT.finditer(text):
        body = match.group(1)
        if '"variants"' not in body or '"available"' not in body:
            continue
        try:
            data = json.loads(body)
        except ValueError:
            continue
        product = data.get("product", data) if isinstance(data, dict) else None
        variants = product.get("variants") if isinstance(product, dict) else None
        if isinstance(variants, list) and variants:
            return [v for v in variants if isinstance(v, dict)]
    return []


def _labels(variant: dict[str, Any]) -> set[str]:
    keys = ("id", "sku", "title", "public_title", "name", "option1", "option2", "option3")
    return {str(variant.get(k)).strip().lower() for k in keys if variant.get(k)}


def read_named(variants: list[dict[str, Any]], wanted: str, currency: str | None) -> Reading:
    """The named variant's ``available`` flag."""
    key = str(wanted).strip().lower()
    chosen = [v for v in variants if key in _labels(v)]
    if not chosen:
        return unknown(UnknownReason.LAYOUT_CHANGED, f"variant {wanted!r} not in the product JSON")
    variant = chosen[0]
    price = variant_price(variant, currency)
    label = variant.get("title") or variant.get("id")
    evidence = f"product JSON variant {label!r} available={str(variant.get('available')).lower()}"
    if variant.get("available") is True:
        return in_stock(evidence, price=price)
    return out_of_stock(evidence, price=price)


def variant_price(variant: dict[str, Any], currency: str | None) -> Money | None:
    """Shopify JSON prices are integers in cents (also for JPY: 198000 is ¥1,980)."""
    amount = variant.get("price")
    if currency is None or amount is None or isinstance(amount, bool):
        return None
    if isinstance(amount, int):
        return Money(Decimal(amount) / 100, currency)
    if isinstance(amount, str) and re.fullmatch(r"\d+(\.\d+)?", amount):
        return Money(Decimal(amount), currency)
    return None


ADAPTER = ShopifyAdapter()
