"""Supplier items on an Amazon marketplace (Amazon.co.jp…): the offers Product Pricing reports.

The seed's ``offers`` list (docs/emulator.md) gives, per ASIN and marketplace, the offers other
sellers (or Amazon itself) have: price, shipping, points, when it ships, FBA and Prime. The
``OfferBook`` also carries Amazon's known faults for tests: an ASIN the batch answers with zero
offers although it has some (``false_zero``), and ``ActiveButTooSoonForProcessing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from stockguard.core.domain import MARKETPLACES_BY_ID, marketplace
from stockguard.core.errors import InputError

AMAZON_JP_SELLER = "AN1VRQENFRJN5"  # Amazon.co.jp's own retail offer
SHIP_TYPES = ("NOW", "FUTURE_WITHOUT_DATE", "FUTURE_WITH_DATE")
OFFER_KEYS = {"seller_id", "price", "shipping", "points", "ships", "available_date", "fba", "prime"}
ITEM_KEYS = {"asin", "marketplace", "status", "offers"}
STATUSES = ("Success", "ActiveButTooSoonForProcessing")


@dataclass
class SupplierOffer:
    """One New offer on the item's offer listing."""

    seller_id: str
    price: Decimal
    shipping: Decimal = Decimal(0)
    points: int = 0  # Amazon points (1 point = 1 yen on Amazon.co.jp)
    ships: str = "NOW"  # ShippingTime.availabilityType
    available_date: str | None = None
    fba: bool = False
    prime: bool = False

    @property
    def landed(self) -> Decimal:
        """Listing price + shipping - points."""
        return self.price + self.shipping - self.points


@dataclass
class SupplierItem:
    """An ASIN in one marketplace and its offers."""

    asin: str
    marketplace_id: str
    offers: list[SupplierOffer] = field(default_factory=list)
    status: str = "Success"


@dataclass
class OfferBook:
    """Every supplier item, keyed (marketplace id, ASIN), and the faults to play."""

    items: dict[tuple[str, str], SupplierItem] = field(default_factory=dict)
    false_zero: set[str] = field(default_factory=set)  # ASINs the batch answers with 0 offers

    def find(self, marketplace_id: str, asin: str) -> SupplierItem | None:
        """The item, or None when the ASIN is unknown in that marketplace."""
        return self.items.get((marketplace_id, asin))

    def put(self, item: SupplierItem) -> None:
        """Add or replace an item."""
        self.items[(item.marketplace_id, item.asin)] = item


def parse_offers(raw: Any, where: str = "seed: offers") -> OfferBook:
    """The seed's ``offers`` list -> an OfferBook; InputError naming the bad key."""
    book = OfferBook()
    if raw is None:
        return book
    if not isinstance(raw, list):
        raise InputError(f"{where}: expected a list")
    for n, entry in enumerate(raw):
        item = _item(entry, f"{where}[{n}]")
        if book.find(item.marketplace_id, item.asin) is not None:
            raise InputError(f"{where}[{n}].asin: duplicate ASIN {item.asin!r}")
        book.put(item)
    return book


def _item(raw: Any, where: str) -> SupplierItem:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    _known(raw, ITEM_KEYS, where)
    asin = raw.get("asin")
    if not isinstance(asin, str) or len(asin) != 10 or not asin.isalnum():
        raise InputError(f"{where}.asin: expected 10 letters or digits, got {asin!r}")
    code = raw.get("marketplace", "JP")
    try:
        market = marketplace(str(code)).marketplace_id
    except KeyError:
        raise InputError(f"{where}.marketplace: unknown marketplace {code!r}") from None
    status = raw.get("status", "Success")
    if status not in STATUSES:
        raise InputError(f"{where}.status: expected one of {', '.join(STATUSES)}")
    offers = raw.get("offers", [])
    if not isinstance(offers, list):
        raise InputError(f"{where}.offers: expected a list")
    parsed = [_offer(o, f"{where}.offers[{i}]") for i, o in enumerate(offers)]
    return SupplierItem(asin.upper(), market, parsed, status)


def _offer(raw: Any, where: str) -> SupplierOffer:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    _known(raw, OFFER_KEYS, where)
    ships = raw.get("ships", "NOW")
    if ships not in SHIP_TYPES:
        raise InputError(f"{where}.ships: expected one of {', '.join(SHIP_TYPES)}")
    points = raw.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise InputError(f"{where}.points: expected an integer >= 0, got {points!r}")
    return SupplierOffer(
        seller_id=str(raw.get("seller_id", AMAZON_JP_SELLER)),
        price=_amount(raw.get("price"), f"{where}.price"),
        shipping=_amount(raw.get("shipping", 0), f"{where}.shipping"),
        points=points,
        ships=ships,
        available_date=raw.get("available_date"),
        fba=bool(raw.get("fba", False)),
        prime=bool(raw.get("prime", False)),
    )


def _amount(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"{where}: expected an amount, got {value!r}") from None
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        raise InputError(f"{where}: expected an amount >= 0, got {value!r}")
    return amount


def _known(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise InputError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")


def currency(marketplace_id: str) -> str:
    """The marketplace's currency (JPY for Amazon.co.jp)."""
    found = MARKETPLACES_BY_ID.get(marketplace_id)
    return found.currency if found else "USD"
