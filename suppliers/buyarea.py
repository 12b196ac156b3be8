"""The product's own buy area: its buy controls, their state, and the text around them.

Found on the cleaned page (``suppliers.dom``: no hidden elements, scripts, comments, header,
footer or recommendation sections), the same way for every adapter:

- a buy control is a button, submit input or link labelled like one (カートに入れる, Add to
  cart: ``phrases`` meaning ``cart``), named like one (``add-to-cart``, ``btn-cart``), or
  labelled / named sold out (SOLD OUT, ``is-soldout``); its state is evidence: ``disabled``,
  ``aria-disabled="true"``, a disabled fieldset or a ``--disabled`` class means it cannot be
  pressed, a sold-out label or class means out of stock;
- the buy area is the largest element around the first control (or its form) whose text
  stays short (a product's info block: name, price, stock table, form), and every control
  inside it;
- statements are the page's short visible texts ("この商品は現在売り切れです", a stock table
  cell), read wherever they are on the cleaned page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from stockguard.suppliers import phrases
from stockguard.suppliers.dom import Document, classes, text_of, within

CONTROLS = "button, input[type=submit], input[type=image], input[type=button], a, [role=button]"
_CONTROL_NAME = re.compile(
    r"add-?to-?cart|add_to_cart|addtocart|cart-?btn|cart-?button|btn-?cart|buy-?now|buy-?button",
    re.I,
)
_SOLD_OUT_NAME = re.compile(r"sold-?_?out|out-?of-?stock|outofstock|no-?stock", re.I)
_DISABLED_CLASS = re.compile(r"(?:^|[-_])disabled$|^isdisabled$|^is-disabled")
AREA_TEXT_LIMIT = 1200  # characters: a buy box, not the whole product page
STATEMENT_LIMIT = 80  # characters: a status line, not a description paragraph
_NOT_CONTAINERS = frozenset({"html", "body", "main"})


@dataclass(frozen=True)
class Control:
    """One buy control with its label and state."""

    label: str
    disabled: str | None  # why it cannot be pressed ("disabled", "aria-disabled", a class)
    sold_out: str | None  # its sold-out label or class

    @property
    def usable(self) -> bool:
        """Whether a buyer can press it to buy."""
        return self.disabled is None and self.sold_out is None

    def describe(self) -> str:
        """How the control reads in evidence."""
        why = self.sold_out or self.disabled
        return f"{self.label!r} button" + (f" ({why})" if why else "")


@dataclass(frozen=True)
class BuyArea:
    """The buy controls of the product and the text of the area around them."""

    controls: tuple[Control, ...]
    text: str
    node: LexborNode

    def usable(self) -> Control | None:
        """The first control a buyer can press."""
        return next((c for c in self.controls if c.usable), None)

    def sold_out(self) -> Control | None:
        """The first control that says the item is sold out."""
        return next((c for c in self.controls if c.sold_out), None)


def _label(node: LexborNode) -> str:
    attrs = node.attributes
    said = text_of(node) if node.tag != "input" else ""
    return said or attrs.get("value") or attrs.get("alt") or attrs.get("aria-label") or ""


def disabling(attrs: Mapping[str, str | None]) -> str | None:
    """Why an element's own attributes say it cannot be pressed (``disabled``,
    ``aria-disabled="true"``, a ``…-disabled`` class), or None."""
    if "disabled" in attrs:
        return "disabled"
    if (attrs.get("aria-disabled") or "").lower() == "true":
        return 'aria-disabled="true"'
    tokens = (attrs.get("class") or "").lower().split()
    token = next((t for t in tokens if _DISABLED_CLASS.search(t)), None)
    return f"class {token}" if token else None


def _disabled(node: LexborNode) -> str | None:
    why = disabling(node.attributes)
    if why:
        return why
    parent = node.parent
    while parent is not None:
        if parent.tag == "fieldset" and "disabled" in parent.attributes:
            return "in a disabled fieldset"
        parent = parent.parent
    return None


def control(node: LexborNode) -> Control | None:
    """The control this element is, or None when it is no buy control."""
    label = _label(node)
    found = {hit.meaning for hit in phrases.hits(label)} if len(label) <= 80 else set()
    names = " ".join(classes(node)) + " " + (node.attributes.get("id") or "")
    is_cart = phrases.CART in found or (node.tag != "a" and _CONTROL_NAME.search(names))
    out_said = phrases.find(label, phrases.OUT_OF_STOCK, phrases.ENDED) if found else None
    out_class = next((t for t in names.split() if _SOLD_OUT_NAME.search(t)), None)
    if not (is_cart or out_said or (out_class and node.tag != "a")):
        return None
    sold_out = (f"says {out_said!r}" if out_said else None) or (
        f"class {out_class}" if out_class else None
    )
    return Control(" ".join(label.split())[:60] or names.strip(), _disabled(node), sold_out)


def buy_area(doc: Document, selector: str | None = None) -> BuyArea | None:
    """The product's buy area (see the module doc); ``selector`` names shop-specific boxes."""
    found = [(node, c) for node in doc.css(CONTROLS) if (c := control(node)) is not None]
    start: LexborNode | None = found[0][0] if found else None
    if start is None and selector:
        start = next(iter(doc.css(selector)), None)
    if start is None:
        return None
    area = _grow(_form_of(start) or start)
    inside = tuple(c for node, c in found if within(node, area))
    return BuyArea(inside, text_of(area), area)


def _form_of(node: LexborNode) -> LexborNode | None:
    parent: LexborNode | None = node
    while parent is not None and parent.tag != "form":
        parent = parent.parent
    return parent


def _grow(node: LexborNode) -> LexborNode:
    """The largest ancestor (from ``node``) whose text stays under the buy-area limit."""
    area = node
    parent = node.parent
    while parent is not None and parent.tag not in _NOT_CONTAINERS:
        if len(text_of(parent)) > AREA_TEXT_LIMIT:
            break
        area, parent = parent, parent.parent
    return area


def statements(doc: Document, *meanings: str) -> list[tuple[str, str]]:
    """Short visible texts of the page with a phrase of these meanings: (text, phrase).

    Each text node is read on its own (a status line is one text: この商品は現在売り切れです,
    a table cell 在庫なし), which keeps this linear in the page's size."""
    body = doc.body
    if body is None:
        return []
    found: list[tuple[str, str]] = []
    for node in body.traverse(include_text=True):
        if node.tag != "-text":
            continue
        said = " ".join((node.text_content or "").split())
        if said and len(said) <= STATEMENT_LIMIT:
            phrase = phrases.find(said, *meanings)
            if phrase:
                found.append((said, phrase))
    return found
