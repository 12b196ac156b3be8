"""Any shop without an adapter of its own: structured data first, then the cart form.

Order (changedetection.io's restock logic, made stricter):
1. JSON-LD / microdata / Open Graph availability of the page's own product (for the named
   variant when the source names one);
2. the product's cart form (the first form in the page that posts to a cart): a visible
   out-of-stock phrase there beats metadata that says in stock; an add-to-cart button there
   is in-stock evidence when the page states nothing else;
3. nothing decisive: UNKNOWN (layout-changed on a page that looks like a product page,
   not-a-product-page otherwise). Never "possibly in stock".

The helpers here (``cart_form``, ``read_standard``) are shared by the platform adapters.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborNode

from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.suppliers import phrases
from stockguard.suppliers.base import (
    OfferKind,
    ParseOptions,
    Reading,
    ShopAdapter,
    in_stock,
    out_of_stock,
    unknown,
)
from stockguard.suppliers.buyarea import BuyArea, buy_area, statements
from stockguard.suppliers.dom import text_of
from stockguard.suppliers.extract import StructuredOffer, first_price, structured_offers, summarise
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price

_PRODUCT_SIGNS = re.compile(
    r"og:type[\"']?\s+content\s*=\s*[\"']?(?:product|og:product)|itemprop\s*=\s*[\"']?price\b"
    r"|\"@type\"\s*:\s*\"Product\"|product:price:amount",
    re.I,
)


def pick_variant(offers: list[StructuredOffer], variant: str | None) -> list[StructuredOffer]:
    """The offers of the named variant (by SKU or name); all offers when none is named."""
    if not variant:
        return offers
    wanted = variant.strip().lower()
    exact = [o for o in offers if wanted in (o.sku.lower(), o.name.lower())]
    return exact or [o for o in offers if wanted and wanted in o.name.lower()]


def accepted_conditions(
    offers: list[StructuredOffer], options: ParseOptions
) -> list[StructuredOffer]:
    """The offers in a condition this source buys: new by default, used when accepted."""
    return [
        o for o in offers
        if ((OfferKind.NEW in options.accept) if o.is_new else (OfferKind.USED in options.accept))
    ]  # fmt: skip


def read_standard(
    page: Page, options: ParseOptions, currency: str | None, area: str | None = None
) -> Reading:
    """The generic reading: a soft 404, the buy area, structured data, statements, UNKNOWN.

    ``area`` is a CSS selector of a shop's own buy box, used when no buy control is found."""
    doc = page.dom
    gone = next(
        (p for p in (phrases.find(t, phrases.NOT_FOUND) for t in (doc.h1, doc.title)) if p), None
    )
    if gone:
        return unknown(UnknownReason.NOT_A_PRODUCT_PAGE, f"the page says {gone!r} (a soft 404)")
    offers = accepted_conditions(structured_offers(doc, page.final_url, currency), options)
    chosen = pick_variant(offers, options.variant)
    found = buy_area(doc, area)
    price = first_price(chosen)[0] if chosen else None
    if price is None:
        price = visible_price(found.node if found else doc.body, currency)
    if options.variant and offers and not chosen:
        return unknown(
            UnknownReason.LAYOUT_CHANGED,
            f"variant {options.variant!r} not found in structured data",
            price=price,
        )
    return decide(chosen, found, lambda *meanings: statements(doc, *meanings), price)


def decide(
    offers: list[StructuredOffer],
    area: BuyArea | None,
    page_says: Callable[..., list[tuple[str, str]]],
    price: Money | None,
) -> Reading:
    """The visible buy area first, then structured data, then the page's own statements
    (``page_says(*meanings)``: its short visible texts with phrases of these meanings)."""
    said = phrases.classify(area.text) if area else None
    extra = {"price": price, "quantity": said.quantity if said else None,
             "ships_within_days": said.days if said else None}  # fmt: skip
    decided = summarise(offers)
    beats = f" (beats {decided.evidence})" if decided else ""
    if area is not None and said and said.availability is Availability.OUT_OF_STOCK:
        return out_of_stock(
            f"buy area: {phrases.snippet(area.text, said.phrase)}{beats}", price=price
        )
    if area is not None and area.sold_out() is not None:
        return out_of_stock(f"buy area: {area.sold_out().describe()}{beats}", price=price)  # type: ignore[union-attr]
    if decided is not None and decided.availability is Availability.OUT_OF_STOCK:
        return out_of_stock(decided.evidence, price=price)
    out_said = page_says(phrases.OUT_OF_STOCK, phrases.ENDED)
    if out_said:
        text, phrase = out_said[0]
        return out_of_stock(f"page says: {phrases.snippet(text, phrase)}{beats}", price=price)
    mixed = mixed_variants(offers)
    if mixed is not None:
        return unknown(UnknownReason.LAYOUT_CHANGED, mixed, price=price)
    if decided is not None:
        return in_stock(decided.evidence, **extra)
    usable = area.usable() if area else None
    if area is not None and usable is not None:
        if said is not None:
            return in_stock(f"buy area: {phrases.snippet(area.text, said.phrase)}", **extra)
        return in_stock(f"buy area: {usable.describe()}", **extra)
    if area is not None and area.controls:
        evidence = f"buy area: {area.controls[0].describe()} cannot be pressed"
        return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)
    seller_said = seller_in_stock(area, said, page_says)
    if seller_said is not None:
        return in_stock(seller_said, **extra)
    return unknown(UnknownReason.LAYOUT_CHANGED, "no availability in structured data or buy area",
                   price=price)  # fmt: skip


def seller_in_stock(
    area: BuyArea | None,
    said: phrases.Classified | None,
    page_says: Callable[..., list[tuple[str, str]]],
) -> str | None:
    """A seller's own in-stock phrase (config) on a page with no buy control to contradict
    it: in the buy area's text, else a short status line; None when there is none."""
    if (
        area is not None
        and said is not None
        and said.availability is Availability.IN_STOCK
        and phrases.seller_phrase(said.phrase) is not None
    ):
        return f"buy area: {phrases.snippet(area.text, said.phrase)}"
    for text, phrase in page_says(phrases.IN_STOCK):
        if phrases.seller_phrase(phrase) is not None:
            return f"page says: {phrases.snippet(text, phrase)}"
    return None


def mixed_variants(offers: list[StructuredOffer]) -> str | None:
    """Why a product whose variants (offers of one condition) differ in availability is
    UNKNOWN when no variant is named; None when they agree."""
    for condition in {o.condition for o in offers}:
        same = [o for o in offers if o.condition == condition]
        if len({o.availability for o in same if o.availability is not None}) > 1:
            listed = ", ".join(
                f"{o.sku or o.name or '?'}: {o.availability.value if o.availability else '?'}"
                for o in same[:8]
            )
            return f"variants differ in availability and none is named ({listed})"
    return None


def visible_price(node: LexborNode | None, currency: str | None) -> Money | None:
    """A price from an element named like a price (first 5 tried) in the buy area."""
    if node is None:
        return None
    for element in node.css("[class*=price], [id*=price], [class*=Price], [id*=Price]")[:5]:
        found = parse_price(text_of(element), currency)
        if found is not None:
            return found
    return None


def looks_like_product(text: str) -> bool:
    """Whether the page declares itself a product page (og:type, itemprop, JSON-LD)."""
    return _PRODUCT_SIGNS.search(text) is not None


class GenericAdapter(ShopAdapter):
    """The fallback for any shop: structured data, then the cart form, else UNKNOWN."""

    name = "generic"
    hosts = ()

    def read(self, page: Page, options: ParseOptions) -> Reading:
        verdict = read_standard(page, options, self.currency_for(page, options))
        if (
            verdict.reason is UnknownReason.LAYOUT_CHANGED
            and not looks_like_product(page.text)
            and buy_area(page.dom) is None
        ):
            return unknown(
                UnknownReason.NOT_A_PRODUCT_PAGE,
                "no product markup (no Product data, og:type product, price or cart form)",
            )
        return verdict


ADAPTER = GenericAdapter()
