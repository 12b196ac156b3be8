"""What an Amazon page's own elements said, and the reading of a page reduced to a few of them.

A full detail page (``#dp``, ``#productTitle``) is read through its buy box by
``suppliers.shops.amazon``. Mobile and test pages are often only a handful of elements:
``#availability``, ``#outOfStock``, ``#add-to-cart-button`` / ``#buy-now-button`` and a
price. Such a page has no buy box to vouch for the availability line, so it is read the way a
careful buyer would, and more strictly than a full page:

- IN_STOCK needs both: ``#availability`` saying in stock (在庫あり, "In Stock", 残りN点, …) and a
  buy button a buyer can see and press;
- ``#outOfStock``, or ``#availability`` saying out (現在在庫切れです, "Currently unavailable"),
  is OUT_OF_STOCK when nothing on the page says otherwise;
- in stock with only a disabled or hidden button, a button with no availability line, an
  availability line no phrase decides, or signs that contradict each other: UNKNOWN,
  with the signs named in the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.suppliers.base import (
    OfferKind,
    ParseOptions,
    Reading,
    by_offer_kind,
    out_of_stock,
    unknown,
)
from stockguard.suppliers.buyarea import disabling
from stockguard.suppliers.dom import hides

REDUCED = "page reduced to a few elements"  # starts every reduced-page evidence


@dataclass(frozen=True)
class AmazonSign:
    """What the buy box showed: an offer kind, or a plain availability, with evidence."""

    evidence: str
    kind: OfferKind | None = None
    availability: Availability | None = None
    quantity: int | None = None
    days: int | None = None

    @property
    def says_new_offer(self) -> bool:
        """Whether this reading says the item itself can be bought new (in stock)."""
        return self.kind is OfferKind.NEW


@dataclass(frozen=True)
class Button:
    """A buy button found by its id, and why a buyer could not press it (None: pressable)."""

    element_id: str
    blocked: str | None = None


@dataclass(frozen=True)
class Signs:
    """The visible Amazon elements of a page without the detail-page wrapper."""

    out_box: AmazonSign | None  # #outOfStock
    said: tuple[AmazonSign, ...]  # each visible #availability a phrase decides
    unread: str  # the first visible #availability text no phrase decides
    buttons: tuple[Button, ...]

    @property
    def empty(self) -> bool:
        """Whether the page shows none of the elements this reading is anchored to."""
        return self.out_box is None and not self.said and not self.unread and not self.buttons


def read_reduced(signs: Signs, options: ParseOptions, price: Money | None) -> Reading | None:
    """The verdict of a reduced page, or None when it shows none of Amazon's elements."""
    if signs.empty:
        return None
    stops = ([signs.out_box] if signs.out_box else []) + [
        r for r in signs.said if not r.says_new_offer
    ]
    goes = [r for r in signs.said if r.says_new_offer]
    pressable = [b for b in signs.buttons if b.blocked is None]
    if stops and goes:
        return _unsure(f"{stops[0].evidence}, but {goes[0].evidence}", price)
    if stops:
        if pressable:
            pressed = pressable[0].element_id
            return _unsure(f"{stops[0].evidence}, but #{pressed} can be pressed", price)
        return _stopped(stops, options, price)
    if goes:
        return _going(goes[0], signs.buttons, options, price)
    if signs.buttons:
        button = signs.buttons[0]
        state = f" ({button.blocked})" if button.blocked else ""
        return _unsure(f"#{button.element_id}{state} but no #availability saying in stock", price)
    return _unsure(f"#availability: {signs.unread} (no phrase decides)", price)


def _stopped(stops: list[AmazonSign], options: ParseOptions, price: Money | None) -> Reading:
    """Out of stock: a plain "out" beats an offer kind a seller may accept (the safe side)."""
    plain = next((r for r in stops if r.availability is Availability.OUT_OF_STOCK), None)
    if plain is not None:
        evidence = f"{REDUCED}: {plain.evidence}"
        return out_of_stock(evidence, price=price, ships_within_days=plain.days)
    first = stops[0]
    if first.kind is None:  # a reading is a kind or an availability; neither: not decided
        return _unsure(first.evidence, price)
    return by_offer_kind(first.kind, f"{REDUCED}: {first.evidence}", options, price=price)


def _going(
    said: AmazonSign, buttons: tuple[Button, ...], options: ParseOptions, price: Money | None
) -> Reading:
    """In stock only with a button to confirm it; a greyed or hidden button leaves it open."""
    pressable = next((b for b in buttons if b.blocked is None), None)
    if pressable is None:
        if buttons:
            greyed = buttons[0]
            return _unsure(f"{said.evidence}, but #{greyed.element_id} is {greyed.blocked}", price)
        return _unsure(f"{said.evidence}, but no buy button confirms it", price)
    evidence = f"{REDUCED}: {said.evidence} and #{pressable.element_id}"
    extra = {"price": price, "quantity": said.quantity, "ships_within_days": said.days}
    return by_offer_kind(OfferKind.NEW, evidence, options, **extra)


def _unsure(evidence: str, price: Money | None) -> Reading:
    return unknown(UnknownReason.LAYOUT_CHANGED, f"{REDUCED}: {evidence}", price=price)


def blocked_by(node: LexborNode) -> str | None:
    """Why a buyer could not see or press an element: it or an ancestor is hidden or
    disabled (Amazon greys a button through its ``a-button-disabled`` wrapper)."""
    parent: LexborNode | None = node
    while parent is not None:
        if hides(parent.attributes):
            return "hidden"
        why = disabling(parent.attributes)
        if why:
            return why
        parent = parent.parent
    return None


def shown(node: LexborNode) -> bool:
    """Whether a buyer sees an element: neither it nor an ancestor is hidden."""
    parent: LexborNode | None = node
    while parent is not None:
        if hides(parent.attributes):
            return False
        parent = parent.parent
    return True
