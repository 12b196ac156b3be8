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
from dataclasses import dataclass

from suppliers import narrow, phrases
from suppliers.base import (
    ParseOptions,
    ShopAdapter,
    Verdict,
    in_stock,
    out_of_stock,
    unknown,
)
from suppliers.extract import StructuredOffer, first_price, structured_offers, summarise
from suppliers.page import Page
from suppliers.prices import parse_price
from sync.domain import Availability, Money, UnknownReason

_CART_FORM = (
    r"<form\b[^>]*(?:action\s*=\s*[\"'][^\"']*(?:cart|basket|bag|buy|purchase|order)"
    r"|(?:id|class|name)\s*=\s*[\"'][^\"']*(?:cart|basket|buy|purchase|product))"
)
_PRODUCT_SIGNS = re.compile(
    r"og:type[\"']?\s+content\s*=\s*[\"']?(?:product|og:product)|itemprop\s*=\s*[\"']?price\b"
    r"|\"@type\"\s*:\s*\"Product\"|product:price:amount",
    re.I,
)
_PRICE_ELEMENT = r"<[a-z][a-z0-9]*\b[^>]*(?:class|id)\s*=\s*[\"'][^\"']*price[^\"']*[\"']"


@dataclass(frozen=True)
class CartForm:
    """The product's cart form: its markup and its visible text (with button values)."""

    html: str
    text: str


def cart_form(text: str, pattern: str = _CART_FORM) -> CartForm | None:
    """The product's buy area: the first matching element with a cart or stock phrase."""
    for cut in narrow.find_tags(text, pattern, limit=8):
        visible = narrow.fragment_text(cut.html) + " " + _button_values(cut.html)
        if phrases.find(visible, phrases.CART) or phrases.classify(visible):
            return CartForm(cut.html, visible.strip())
    return None


def _button_values(fragment: str) -> str:
    """``<input type=submit value="カートに入れる">`` carries its text in an attribute."""
    values = [a.get("value", "") for a in narrow.start_tags(fragment, r"<input\b[^>]*submit")]
    values += [a.get("alt", "") for a in narrow.start_tags(fragment, r"<input\b[^>]*image")]
    return " ".join(v for v in values if v)


def pick_variant(offers: list[StructuredOffer], variant: str | None) -> list[StructuredOffer]:
    """The offers of the named variant (by SKU or name); all offers when none is named."""
    if not variant:
        return offers
    wanted = variant.strip().lower()
    exact = [o for o in offers if wanted in (o.sku.lower(), o.name.lower())]
    return exact or [o for o in offers if wanted and wanted in o.name.lower()]


def read_standard(
    page: Page, options: ParseOptions, currency: str | None, buy_area: str = _CART_FORM
) -> Verdict:
    """Structured data, then the buy area (the cart form), then UNKNOWN: the generic reading.

    ``buy_area`` is a start-tag pattern a shop adapter can widen (Japanese shops often put
    the cart button and the stock text in a ``div``, not a form)."""
    text = page.text
    offers = structured_offers(text, currency)
    chosen = pick_variant(offers, options.variant)
    form = cart_form(text, buy_area)
    price = first_price(chosen)[0] if chosen else None
    if price is None and form is not None:
        price = visible_price(form.html, currency)
    if options.variant and offers and not chosen:
        return unknown(
            UnknownReason.LAYOUT_CHANGED,
            f"variant {options.variant!r} not found in structured data",
            price=price,
        )
    return decide(chosen, form.text if form else None, price)


def decide(offers: list[StructuredOffer], form: str | None, price: Money | None) -> Verdict:
    """Structured availability, overruled by an out-of-stock phrase in the buy area."""
    decided = summarise(offers)
    said = phrases.classify(form) if form else None
    quantity = said.quantity if said else None
    days = said.days if said else None
    if decided is not None and decided.availability is Availability.OUT_OF_STOCK:
        return out_of_stock(decided.evidence, price=price)
    if form and said and said.availability is Availability.OUT_OF_STOCK:
        beats = f" (beats {decided.evidence})" if decided else ""
        evidence = f"buy area: {phrases.snippet(form, said.phrase)}{beats}"
        return out_of_stock(evidence, price=price)
    extra = {"price": price, "quantity": quantity, "ships_within_days": days}
    if decided is not None:
        return in_stock(decided.evidence, **extra)
    if form and said:
        return in_stock(f"buy area: {phrases.snippet(form, said.phrase)}", **extra)
    cart = phrases.find(form, phrases.CART) if form else None
    if cart:
        return in_stock(f"buy area: {cart!r} button", **extra)
    return unknown(UnknownReason.LAYOUT_CHANGED, "no availability in structured data or buy area",
                   price=price)  # fmt: skip


def visible_price(text: str, currency: str | None) -> Money | None:
    """A price from an element named like a price (first 5 tried) in a scoped fragment."""
    for cut in narrow.find_tags(text, _PRICE_ELEMENT, limit=5):
        found = parse_price(narrow.fragment_text(cut.html), currency)
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

    def read(self, page: Page, options: ParseOptions) -> Verdict:
        verdict = read_standard(page, options, self.currency_for(page, options))
        if verdict.reason is UnknownReason.LAYOUT_CHANGED and not looks_like_product(page.text):
            return unknown(
                UnknownReason.NOT_A_PRODUCT_PAGE,
                "no product markup (no Product data, og:type product, price or cart form)",
            )
        return verdict


ADAPTER = GenericAdapter()
