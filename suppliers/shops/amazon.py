"""Amazon product pages, amazon.co.jp first and every other Amazon domain.

Only the item's own buy box decides, found by element id (never by class: carousel buttons
carry the class ``add-to-cart-button`` too, and "Currently unavailable" sits in JS string
tables of in-stock pages). The page is parsed whole by the HTML5 parser (selectolax /
Lexbor: a few ms for a 2 MB page), but only the buy box (``#buybox``, or the 2015 layout's
``#mediaAccordion``), the ``#availability`` boxes and the core-price block are read, each
without its scripts and styles; no hidden-element pass runs over Amazon's huge page.

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
A page without the detail-page wrapper (mobile and test pages reduced to a few elements) is
read from its visible ``#outOfStock``, ``#availability`` and buy buttons by
``suppliers.shops.amazon_signs``, which asks for more before it says IN_STOCK.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from stockguard.core.domain import MARKETPLACES, Availability, Money, UnknownReason
from stockguard.suppliers import phrases
from stockguard.suppliers.base import (
    OfferKind,
    ParseOptions,
    Reading,
    ShopAdapter,
    by_offer_kind,
    in_stock,
    out_of_stock,
    unknown,
)
from stockguard.suppliers.buyarea import disabling
from stockguard.suppliers.dom import hides, within
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price
from stockguard.suppliers.shops.amazon_signs import (
    AmazonSign,
    Button,
    Signs,
    blocked_by,
    read_reduced,
    shown,
)

CURRENCY_BY_DOMAIN = {m.storefront: m.currency for m in MARKETPLACES.values()}
BUY_BOX_IDS = ("buybox", "mediaAccordion", "combinedBuyBox", "rightCol")
PRODUCT_IDS = ("dp", "dp-container", "productTitle", "ppd")
PRICE_IDS = (
    "apex-pricetopay-accessibility-label", "corePriceDisplay_desktop_feature_div",
    "corePrice_feature_div", "priceblock_dealprice", "priceblock_ourprice",
    "price_inside_buybox", "newBuyBoxPrice", "kindle-price",
)  # fmt: skip
OUT_OF_STOCK_IDS = ("outOfStock", "exports_desktop_outOfStock_buybox_message_feature_div")
_USED_ROWS = (
    '[id^="usedAccordionRow"], [id^="usedOfferAccordionRow"], #usedOnlyBuybox, #used_buybox_desktop'
)
_BUY_BUTTONS = "#add-to-cart-button, #buy-now-button"
_OUT_OF_STOCK = ", ".join(f'[id="{i}"]' for i in OUT_OF_STOCK_IDS)
_OFFER_PRICE = '[class*="offer-price"], [class*="header-price"]'
_DIGITAL = "#buyOneClick, #checkoutButtonId, #one-click-button"
_AVAILABILITY_BOXES = 6  # Amazon repeats #availability; the first few are the item's own
_CODE = ("script", "style")  # their strings hold decoy phrases ("Currently unavailable")


@dataclass(frozen=True)
class UsedRow:
    """The first used-offer row of the buy box, read before the rows are set aside."""

    text: str
    price: Money | None


class AmazonAdapter(ShopAdapter):
    """Amazon detail pages (all marketplaces)."""

    name = "amazon"
    hosts = tuple(CURRENCY_BY_DOMAIN)

    def currency_for(self, page: Page, options: ParseOptions) -> str | None:
        host = page.host.removeprefix("smile.")
        return options.currency or CURRENCY_BY_DOMAIN.get(host) or "USD"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        tree = LexborHTMLParser(page.text)
        currency = self.currency_for(page, options)
        if first_by_id(tree, PRODUCT_IDS) is None:
            price = find_price(tree, None, currency)
            reduced = read_reduced(reduced_page_signs(tree), options, price)
            return reduced or unknown(
                UnknownReason.NOT_A_PRODUCT_PAGE, "no detail-page markup (#dp, #productTitle)"
            )
        box = readable(first_by_id(tree, BUY_BOX_IDS))
        used = set_aside_used_rows(box, currency) if box is not None else None
        price = find_price(tree, box, currency) or (used.price if used else None)
        reading = read_buy_box(tree, box, used)
        if reading is None:
            evidence = "no #availability, #outOfStock or buy button in the buy box"
            return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)
        extra = {"price": price, "quantity": reading.quantity, "ships_within_days": reading.days}
        if reading.kind is not None:
            return by_offer_kind(reading.kind, reading.evidence, options, **extra)
        if reading.availability is Availability.IN_STOCK:
            return in_stock(reading.evidence, **extra)
        return out_of_stock(reading.evidence, **extra)


def first_by_id(
    root: LexborHTMLParser | LexborNode, element_ids: tuple[str, ...]
) -> LexborNode | None:
    """The element of the first id in ``element_ids`` (priority order) found under ``root``:
    one pass over the tree for all of them, not one per id."""
    found: dict[str, LexborNode] = {}
    for node in root.css(", ".join(f'[id="{i}"]' for i in element_ids)):
        found.setdefault(node.attributes.get("id") or "", node)
    return next((found[i] for i in element_ids if i in found), None)


def readable(node: LexborNode | None) -> LexborNode | None:
    """The element without its scripts and styles (their strings are decoys)."""
    if node is not None:
        node.strip_tags(list(_CODE))
    return node


def text_of(node: LexborNode | None) -> str:
    """An element's text as a buyer reads it (text nodes joined as written), collapsed."""
    return " ".join(node.text(deep=True, separator="").split()) if node is not None else ""


def read_buy_box(
    tree: LexborHTMLParser, box: LexborNode | None, used: UsedRow | None
) -> AmazonSign | None:
    """The decisive reading of the item's own buy box, or None when nothing decides."""
    if box is not None:
        stopped = out_of_stock_box(box)
        if stopped is not None:
            return stopped
    said = availability_text(tree, box)
    if said:
        reading = classify_availability(said)
        if reading is not None:
            return reading
    if box is None:
        return None
    return read_buttons(box, used)


def out_of_stock_box(box: LexborNode) -> AmazonSign | None:
    """``#outOfStock``: its own message only (the box also holds "similar items")."""
    found = first_by_id(box, OUT_OF_STOCK_IDS)
    return read_out_of_stock(found) if found is not None else None


def read_out_of_stock(found: LexborNode) -> AmazonSign:
    """An ``#outOfStock`` box's message: out of stock, or a geography limit."""
    span = found.css_first('span[class*="a-color-price"]')
    message = text_of(span) if span is not None else phrases.snippet(text_of(found), None)
    if phrases.find(message, phrases.CANNOT_SHIP):
        return AmazonSign(f"#outOfStock: {phrases.snippet(message)}", kind=OfferKind.CANNOT_SHIP)
    evidence = f"#outOfStock: {phrases.snippet(message or 'present')}"
    return AmazonSign(evidence, availability=Availability.OUT_OF_STOCK)


def reduced_page_signs(tree: LexborHTMLParser) -> Signs:
    """The visible ``#outOfStock``, ``#availability`` and buy buttons of a page without the
    detail-page wrapper, each found by Amazon's id (never by a phrase over the page)."""
    tree.strip_tags(list(_CODE))  # a small page: its scripts and styles go all at once
    boxes = [b for b in tree.css(_OUT_OF_STOCK) if shown(b)]
    said: list[AmazonSign] = []
    unread = ""
    for element in tree.css('[id="availability"]')[:_AVAILABILITY_BOXES]:
        text = text_of(element) if shown(element) else ""
        reading = classify_availability(text) if text else None
        if reading is not None:
            said.append(reading)
        unread = unread or ("" if reading else phrases.snippet(text))
    buttons = tuple(
        Button(b.attributes.get("id") or "", blocked_by(b)) for b in tree.css(_BUY_BUTTONS)
    )
    out_box = read_out_of_stock(boxes[0]) if boxes else None
    return Signs(out_box, tuple(said), unread, buttons)


def set_aside_used_rows(box: LexborNode, currency: str | None) -> UsedRow | None:
    """Take used-offer rows out of the buy box; return the first (for a used-only page)."""
    rows = box.css(_USED_ROWS)
    if not rows:
        return None
    first = UsedRow(text_of(rows[0]), price_in(rows[0], currency))
    ids = {row.mem_id for row in rows}
    for row in [r for r in rows if not _inside_any(r, ids)]:  # outer rows take inner ones
        row.decompose()
    return first


def _inside_any(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def availability_text(tree: LexborHTMLParser, box: LexborNode | None) -> str:
    """The new offer's ``#availability`` text: in the buy box, else the page's own box."""
    if box is not None:
        for element in box.css('[id="availability"]'):
            said = text_of(element)
            if said:
                return said
    for element in tree.css('[id="availability"]')[:_AVAILABILITY_BOXES]:
        if box is not None and within(element, box):
            continue  # inside the buy box: read above (used rows already set aside)
        said = text_of(readable(element))
        if said:
            return said
    return ""


def classify_availability(said: str) -> AmazonSign | None:
    """``#availability`` text as an offer kind or an availability."""
    evidence = f"#availability: {phrases.snippet(said)}"
    if phrases.find(said, phrases.CANNOT_SHIP):
        return AmazonSign(evidence, kind=OfferKind.CANNOT_SHIP)
    if phrases.find(said, phrases.OTHER_SELLERS):
        return AmazonSign(evidence, kind=OfferKind.OTHER_SELLERS)
    found = phrases.classify(said)
    if found is None:
        return None
    if found.availability is Availability.IN_STOCK:
        return AmazonSign(evidence, kind=OfferKind.NEW, quantity=found.quantity, days=found.days)
    return AmazonSign(evidence, availability=found.availability, days=found.days)


def read_buttons(box: LexborNode, used: UsedRow | None) -> AmazonSign | None:
    """Buy buttons by id (new offer), 1-Click (digital), a used offer, other sellers."""
    pressable = [b for b in box.css(_BUY_BUTTONS) if _pressable(b, box)]
    if pressable:
        return AmazonSign(
            f"#{pressable[0].attributes.get('id')} in the buy box", kind=OfferKind.NEW
        )
    if box.css_first(_DIGITAL) is not None:
        return AmazonSign("digital item: Buy now with 1-Click in the buy box", kind=OfferKind.NEW)
    if used is not None:
        said = phrases.snippet(used.text, None, 60)
        return AmazonSign(f"buy box offers only a used item: {said}", kind=OfferKind.USED)
    if box.css_first('[id="buybox-see-all-buying-choices"]') is not None or phrases.find(
        text_of(box), phrases.OTHER_SELLERS
    ):
        return AmazonSign("buy box: See All Buying Choices only", kind=OfferKind.OTHER_SELLERS)
    return None


def _pressable(button: LexborNode, box: LexborNode) -> bool:
    """A buy button counts only when a buyer could see and press it: neither it nor anything
    around it inside the buy box is hidden or disabled (Amazon greys a button through its
    ``a-button-disabled`` wrapper)."""
    node: LexborNode | None = button
    while node is not None:
        if hides(node.attributes) or disabling(node.attributes):
            return False
        if node.mem_id == box.mem_id:
            break
        node = node.parent
    return True


def find_price(
    tree: LexborHTMLParser, box: LexborNode | None, currency: str | None
) -> Money | None:
    """The item's price: the core-price / price-to-pay blocks, else the buy box's own."""
    found = readable(first_by_id(tree, PRICE_IDS))
    if found is not None:
        offscreen = (text_of(e) for e in found.css('[class*="a-offscreen"]'))
        said = next((t for t in offscreen if t), "") or text_of(found)
        price = parse_price(said, currency) if said else None
        if price is not None:
            return price
    return price_in(box, currency)


def price_in(box: LexborNode | None, currency: str | None) -> Money | None:
    """The first offer / header price inside a buy-box element."""
    if box is None:
        return None
    for element in box.css(_OFFER_PRICE):
        price = parse_price(text_of(element), currency)
        if price is not None:
            return price
    return None


ADAPTER = AmazonAdapter()
