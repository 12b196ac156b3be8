"""Amazon product pages, amazon.co.jp first and every other Amazon domain.

Only the item's own buy box decides, found by element id (never by class: carousel buttons
carry the class ``add-to-cart-button`` too, and "Currently unavailable" sits in JS string
tables of in-stock pages). The page is narrowed to the buy box (``#buybox``, or the 2015
layout's ``#mediaAccordion``) and the ``#availability`` boxes before any tree is built.

Order:
1. ``#outOfStock``: "Currently unavailable" -> OUT_OF_STOCK; "cannot be shipped to your
   selected delivery location" -> the CANNOT_SHIP offer kind (a geography limit);
2. used rows (``usedAccordionRow``, ``usedOnlyBuybox``) are set aside: they are not the new
   offer; ``#availability`` of the new offer is read (in stock, 残りN点, 通常2～3日以内に発送,
   現在在庫切れです, 出品者からお求めいただけます = other sellers only);
3. ``#add-to-cart-button`` / ``#buy-now-button`` by id -> a new offer; a Kindle "Buy now
   with 1-Click" -> a new (digital) offer; only a used offer -> USED;
   ``#buybox-see-all-buying-choices`` only -> OTHER_SELLERS;
4. nothing of these -> UNKNOWN layout-changed.
The options say which offer kinds count as in stock (default: NEW only); the others are
OUT_OF_STOCK with their kind in the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.etree import _Element

from suppliers import narrow, phrases
from suppliers.base import (
    OfferKind,
    ParseOptions,
    ShopAdapter,
    Verdict,
    by_offer_kind,
    in_stock,
    out_of_stock,
    unknown,
)
from suppliers.buyarea import disabling
from suppliers.dom import hides
from suppliers.page import Page
from suppliers.prices import parse_price
from sync.domain import Availability, Money, UnknownReason

CURRENCY_BY_DOMAIN = {
    "amazon.co.jp": "JPY", "amazon.com": "USD", "amazon.ca": "CAD", "amazon.com.mx": "MXN",
    "amazon.com.br": "BRL", "amazon.co.uk": "GBP", "amazon.de": "EUR", "amazon.fr": "EUR",
    "amazon.it": "EUR", "amazon.es": "EUR", "amazon.nl": "EUR", "amazon.com.be": "EUR",
    "amazon.ie": "EUR", "amazon.se": "SEK", "amazon.pl": "PLN", "amazon.com.tr": "TRY",
    "amazon.ae": "AED", "amazon.sa": "SAR", "amazon.in": "INR", "amazon.com.au": "AUD",
    "amazon.sg": "SGD", "amazon.eg": "EGP",
}  # fmt: skip
BUY_BOX_IDS = ("buybox", "mediaAccordion", "combinedBuyBox", "rightCol")
PRODUCT_IDS = ("dp", "dp-container", "productTitle", "ppd")
PRICE_IDS = (
    "apex-pricetopay-accessibility-label", "corePriceDisplay_desktop_feature_div",
    "corePrice_feature_div", "priceblock_dealprice", "priceblock_ourprice",
    "price_inside_buybox", "newBuyBoxPrice", "kindle-price",
)  # fmt: skip
_USED_ROWS = (
    './/*[starts-with(@id, "usedAccordionRow") or starts-with(@id, "usedOfferAccordionRow")'
    ' or @id="usedOnlyBuybox" or @id="used_buybox_desktop"]'
)
_BUY_BUTTONS = './/*[@id="add-to-cart-button" or @id="buy-now-button"]'
_OFFER_PRICE = './/*[contains(@class, "offer-price") or contains(@class, "header-price")]'
_DIGITAL = './/*[@id="buyOneClick" or @id="checkoutButtonId" or @id="one-click-button"]'


@dataclass(frozen=True)
class Reading:
    """What the buy box showed: an offer kind, or a plain availability, with evidence."""

    evidence: str
    kind: OfferKind | None = None
    availability: Availability | None = None
    quantity: int | None = None
    days: int | None = None


class AmazonAdapter(ShopAdapter):
    """Amazon detail pages (all marketplaces)."""

    name = "amazon"
    hosts = tuple(CURRENCY_BY_DOMAIN)

    def currency_for(self, page: Page, options: ParseOptions) -> str | None:
        host = page.host.removeprefix("smile.")
        return options.currency or CURRENCY_BY_DOMAIN.get(host) or "USD"

    def read(self, page: Page, options: ParseOptions) -> Verdict:
        text = page.scan
        if not any(narrow.id_present(text, i) for i in PRODUCT_IDS):
            return unknown(
                UnknownReason.NOT_A_PRODUCT_PAGE, "no detail-page markup (#dp, #productTitle)"
            )
        cut = next((c for c in (narrow.find_id(text, i) for i in BUY_BOX_IDS) if c), None)
        box = narrow.tree(page.fragment(cut.html)) if cut else None
        used = set_aside_used_rows(box) if box is not None else None
        currency = self.currency_for(page, options)
        price = find_price(page, box, currency) or price_in(used, currency)
        reading = read_buy_box(page, box, cut, used)
        if reading is None:
            evidence = "no #availability, #outOfStock or buy button in the buy box"
            return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)
        extra = {"price": price, "quantity": reading.quantity, "ships_within_days": reading.days}
        if reading.kind is not None:
            return by_offer_kind(reading.kind, reading.evidence, options, **extra)
        if reading.availability is Availability.IN_STOCK:
            return in_stock(reading.evidence, **extra)
        return out_of_stock(reading.evidence, **extra)


def read_buy_box(
    page: Page, box: _Element | None, cut: narrow.Slice | None, used: _Element | None
) -> Reading | None:
    """The decisive reading of the item's own buy box, or None when nothing decides."""
    if box is not None:
        stopped = out_of_stock_box(box)
        if stopped is not None:
            return stopped
    said = availability_text(page, box, cut)
    if said:
        reading = classify_availability(said)
        if reading is not None:
            return reading
    if box is None:
        return None
    return read_buttons(box, used)


def out_of_stock_box(box: _Element) -> Reading | None:
    """``#outOfStock``: its own message only (the box also holds "similar items")."""
    found = narrow.by_id(box, "outOfStock")
    if found is None:
        found = narrow.by_id(box, "exports_desktop_outOfStock_buybox_message_feature_div")
    if found is None:
        return None
    spans = found.xpath('.//span[contains(@class, "a-color-price")]')
    message = narrow.text_of(spans[0]) if spans else phrases.snippet(narrow.text_of(found), None)
    if phrases.find(message, phrases.CANNOT_SHIP):
        return Reading(f"#outOfStock: {phrases.snippet(message)}", kind=OfferKind.CANNOT_SHIP)
    evidence = f"#outOfStock: {phrases.snippet(message or 'present')}"
    return Reading(evidence, availability=Availability.OUT_OF_STOCK)


def set_aside_used_rows(box: _Element) -> _Element | None:
    """Remove used-offer rows from the buy box; return the first (for a used-only page)."""
    rows = box.xpath(_USED_ROWS)
    first = rows[0] if rows else None
    for row in rows:
        if any(ancestor in rows for ancestor in row.iterancestors()):
            continue  # already goes with its outer row
        parent = row.getparent()
        if parent is not None and row in parent:
            parent.remove(row)
    return first


def availability_text(page: Page, box: _Element | None, cut: narrow.Slice | None) -> str:
    """The new offer's ``#availability`` text: in the buy box, else the page's own box."""
    if box is not None:
        for element in box.xpath('.//*[@id="availability"]'):
            said = narrow.text_of(element)
            if said:
                return said
    for found in narrow.find_ids(page.scan, "availability", limit=6):
        if cut is not None and cut.contains(found.start):
            continue  # inside the buy box: a used row already set aside
        said = narrow.fragment_text(page.fragment(found.html))
        if said:
            return said
    return ""


def classify_availability(said: str) -> Reading | None:
    """``#availability`` text as an offer kind or an availability."""
    evidence = f"#availability: {phrases.snippet(said)}"
    if phrases.find(said, phrases.CANNOT_SHIP):
        return Reading(evidence, kind=OfferKind.CANNOT_SHIP)
    if phrases.find(said, phrases.OTHER_SELLERS):
        return Reading(evidence, kind=OfferKind.OTHER_SELLERS)
    found = phrases.classify(said)
    if found is None:
        return None
    if found.availability is Availability.IN_STOCK:
        return Reading(evidence, kind=OfferKind.NEW, quantity=found.quantity, days=found.days)
    return Reading(evidence, availability=found.availability, days=found.days)


def read_buttons(box: _Element, used: _Element | None) -> Reading | None:
    """Buy buttons by id (new offer), 1-Click (digital), a used offer, other sellers."""
    pressable = [b for b in box.xpath(_BUY_BUTTONS) if _pressable(b, box)]
    if pressable:
        return Reading(f"#{pressable[0].get('id')} in the buy box", kind=OfferKind.NEW)
    if box.xpath(_DIGITAL):
        return Reading("digital item: Buy now with 1-Click in the buy box", kind=OfferKind.NEW)
    if used is not None:
        said = phrases.snippet(narrow.text_of(used), None, 60)
        return Reading(f"buy box offers only a used item: {said}", kind=OfferKind.USED)
    if narrow.by_id(box, "buybox-see-all-buying-choices") is not None or phrases.find(
        narrow.text_of(box), phrases.OTHER_SELLERS
    ):
        return Reading("buy box: See All Buying Choices only", kind=OfferKind.OTHER_SELLERS)
    return None


def _pressable(button: _Element, box: _Element) -> bool:
    """A buy button counts only when a buyer could see and press it: neither it nor anything
    around it inside the buy box is hidden or disabled (Amazon greys a button through its
    ``a-button-disabled`` wrapper)."""
    node: _Element | None = button
    while node is not None:
        if hides(node.attrib) or disabling(node.attrib):
            return False
        if node is box:
            break
        node = node.getparent()
    return True


def find_price(page: Page, box: _Element | None, currency: str | None) -> Money | None:
    """The item's price: the core-price / price-to-pay blocks, else the buy box's own."""
    found = narrow.find_first(page.scan, PRICE_IDS)
    if found is not None:
        fragment = narrow.tree(page.fragment(found.html))
        if fragment is not None:
            offscreen = fragment.xpath('.//*[contains(@class, "a-offscreen")]')
            texts = (narrow.text_of(element) for element in offscreen)
            said = next((t for t in texts if t), "") or narrow.text_of(fragment)
            price = parse_price(said, currency) if said else None
            if price is not None:
                return price
    return price_in(box, currency)


def price_in(box: _Element | None, currency: str | None) -> Money | None:
    """The first offer / header price inside a buy-box element."""
    if box is None:
        return None
    for element in box.xpath(_OFFER_PRICE):
        price = parse_price(narrow.text_of(element), currency)
        if price is not None:
            return price
    return None


ADAPTER = AmazonAdapter()
