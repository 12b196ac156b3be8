"""WooCommerce shops (any domain; recognised from the page's own markup).

The main product is the ``<div id="product-N" class="product … instock|outofstock">``
element; related products further down carry the same classes and must not decide.
Variable products keep ``button.single_add_to_cart_button`` in the markup even when every
variant is sold out, so the button is no evidence: ``form.variations_form``'s
``data-product_variations`` (an HTML-escaped JSON list with ``is_in_stock`` per variant) is.
Without a named variant, variants that differ in availability are UNKNOWN (listed in the
evidence): one sold-out size does not make the product sold out, nor does one in-stock size
make the seller's variant buyable.

Order: the named variant in ``data-product_variations`` (else all variants); the JSON-LD
offer; the product div's class; the ``p.stock`` text ("Out of stock", "5 in stock").
An out-of-stock reading from any of them wins over an in-stock one.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from selectolax.lexbor import LexborNode

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
from stockguard.suppliers.dom import Document, classes, text_of
from stockguard.suppliers.extract import json_ld_offers, summarise
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price_range
from stockguard.suppliers.shops.generic import read_standard

_MAIN_ID = re.compile(r"product-\d+")
_MARKERS = ("woocommerce-product", "wp-content/plugins/woocommerce", 'class="woocommerce')


class WooCommerceAdapter(ShopAdapter):
    """WooCommerce product pages."""

    name = "woocommerce"
    hosts = ()

    def recognises(self, page: Page) -> bool:
        return any(marker in page.scan for marker in _MARKERS)

    def read(self, page: Page, options: ParseOptions) -> Reading:
        main = main_product(page.dom)
        if main is None:
            return read_standard(page, options, self.currency_for(page, options))
        price = main_price(main, self.currency_for(page, options))
        variants = variations(main)
        if variants:
            return read_variants(variants, options, price)
        return read_simple(page, main, price)


def main_product(doc: Document) -> LexborNode | None:
    """The main product's ``div#product-N`` (related products are list items, not divs)."""
    return next(
        (n for n in doc.css('div[id^="product-"]') if _MAIN_ID.fullmatch(n.attributes["id"] or "")),
        None,
    )


def main_price(main: LexborNode, currency: str | None) -> Money | None:
    """The low end of ``p.price`` in the main product (a range on variable products)."""
    found = parse_price_range(text_of(main.css_first("p.price")), currency)
    return found[0] if found else None


def variations(main: LexborNode) -> list[dict[str, Any]]:
    """The decoded ``data-product_variations`` list (empty when absent or loaded by AJAX)."""
    form = main.css_first("[data-product_variations]")
    if form is None:
        return []
    try:  # the parser has already undone the attribute's HTML escaping
        data = json.loads(form.attributes.get("data-product_variations") or "")
    except ValueError:
        return []
    return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []


def _names(variant: dict[str, Any]) -> set[str]:
    attrs = variant.get("attributes") or {}
    values = {str(v).lower() for v in attrs.values()} if isinstance(attrs, dict) else set()
    values.add(
        " / ".join(str(v) for v in attrs.values()).lower() if isinstance(attrs, dict) else ""
    )
    values.update({str(variant.get("sku", "")).lower(), str(variant.get("variation_id", ""))})
    return values - {""}


def read_variants(
    variants: list[dict[str, Any]], options: ParseOptions, price: Money | None
) -> Reading:
    """The named variant's ``is_in_stock``; without a name, all variants must agree."""
    if options.variant:
        wanted = options.variant.strip().lower()
        chosen = [v for v in variants if wanted in _names(v)]
        if not chosen:
            evidence = f"variant {options.variant!r} not in data-product_variations"
            return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)
        variant = chosen[0]
        amount = variant.get("display_price")
        if isinstance(amount, int | float) and price is not None:
            price = Money(Decimal(str(amount)), price.currency)
        evidence = (
            f"data-product_variations[{options.variant}].is_in_stock={variant.get('is_in_stock')}"
        )
        quantity = variant.get("max_qty") if isinstance(variant.get("max_qty"), int) else None
        if variant.get("is_in_stock") is True:
            return in_stock(evidence, price=price, quantity=quantity)
        return out_of_stock(evidence, price=price)
    buyable = [v for v in variants if v.get("is_in_stock") is True]
    states = [
        (
            f"{' / '.join(str(a) for a in (v.get('attributes') or {}).values()) or v.get('sku')}",
            v.get("is_in_stock") is True,
        )
        for v in variants
    ]
    listed = variant_mix(states, "in stock", "out of stock")
    if listed is not None:
        evidence = f"data-product_variations: variants differ and none is named ({listed})"
        return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)
    if buyable:
        return in_stock(
            f"data-product_variations: all {len(variants)} variants is_in_stock=true", price=price
        )
    return out_of_stock(
        f"data-product_variations: all {len(variants)} variants is_in_stock=false", price=price
    )


def read_simple(page: Page, main: LexborNode, price: Money | None) -> Reading:
    """JSON-LD, the product div's class and ``p.stock``: any out-of-stock reading wins."""
    readings: list[tuple[Availability, str, int | None]] = []
    decided = summarise(json_ld_offers(page.dom, page.final_url))
    if decided is not None and decided.availability is not None:
        readings.append((decided.availability, decided.evidence, None))
    words = set(classes(main))
    if "outofstock" in words:
        readings.append((Availability.OUT_OF_STOCK, "div.product class outofstock", None))
    elif "instock" in words:
        readings.append((Availability.IN_STOCK, "div.product class instock", None))
    said = text_of(main.css_first("p.stock"))
    found = phrases.classify(said)
    if found is not None:
        readings.append((found.availability, f"p.stock: {said}", found.quantity))
    for state in (Availability.OUT_OF_STOCK, Availability.IN_STOCK):
        for availability, evidence, quantity in readings:
            if availability is state:
                quantity = next((q for _, _, q in readings if q is not None), None)
                verdict = in_stock if state is Availability.IN_STOCK else out_of_stock
                return verdict(evidence, price=price, quantity=quantity)
    return unknown(UnknownReason.LAYOUT_CHANGED, "no stock class, p.stock or JSON-LD", price=price)


ADAPTER = WooCommerceAdapter()
