"""Prices as shops print them, read into ``Money`` (Decimal, never float).

Handles ``￥1,980``, ``R$ 1.499,99``, ``33,69 €``, ``SAR 1,279.00``, ``$24.96`` inside a
``content`` attribute, entity-decoded ``NT$330`` and ranges (``€ 97,39 - 128,72``,
``650 – 3,250``: the low end is the price, the high end is returned by ``parse_price_range``).
A bare ``$`` or ``¥`` takes the currency the caller expects for that shop (``$`` on
amazon.ca is CAD) and falls back to USD / JPY.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from stockguard.core.domain import Money

# Longest first: "NT$" must win over "$".
SYMBOLS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("AU$", "AUD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("NT$", "TWD"),
    ("MX$", "MXN"),
    ("R$", "BRL"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("S$", "SGD"),
    ("Rs.", "INR"),
    ("₹", "INR"),
    ("£", "GBP"),
    ("€", "EUR"),
    ("円", "JPY"),
    ("¥", "JPY"),
    ("₩", "KRW"),
    ("zł", "PLN"),
    ("$", "USD"),
)
ISO_CODES = frozenset(
    {"USD", "CAD", "MXN", "BRL", "GBP", "EUR", "JPY", "AUD", "SGD", "INR", "SAR", "AED", "TRY",
     "SEK", "PLN", "CHF", "CNY", "TWD", "HKD", "KRW", "NZD", "EGP"}
)  # fmt: skip
DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "MXN", "SGD", "NZD", "HKD", "TWD"})
ZERO_DECIMAL = frozenset({"JPY", "KRW", "TWD"})
_NUMBER = re.compile(r"\d{1,3}(?:[.,\s\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d+)?")
_RANGE_TAIL = re.compile(
    r"\s*[^\d\s\-–—~〜]{0,4}\s*(?:-|–|—|~|〜|to|à)\s*[^\d]{0,6}?(" + _NUMBER.pattern + ")"
)
_ISO = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


def currency_in(text: str, default: str | None = None) -> str | None:
    """The currency a price text names (ISO code or symbol), else ``default``."""
    for match in _ISO.finditer(text):
        if match.group(1) in ISO_CODES:
            return match.group(1)
    for symbol, code in SYMBOLS:
        if symbol in text:
            if symbol == "$" and default in DOLLAR_CURRENCIES:
                return default
            if symbol in ("¥", "円") and default == "CNY":
                return default
            return code
    return default


def to_decimal(number: str, currency: str | None = None) -> Decimal | None:
    """One printed number as Decimal: ``1.499,99`` -> 1499.99, ``1,980`` -> 1980."""
    digits = re.sub(r"[\s\u00a0\u202f]", "", number)
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal_sep = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif commas + dots == 1:
        sep = "," if commas else "."
        after = len(digits) - digits.rfind(sep) - 1
        # Three digits after a single separator are a thousands group (1,980 / 1.499):
        # shop prices never carry three decimals.
        decimal_sep = "" if after == 3 or (currency in ZERO_DECIMAL and after != 2) else sep
    else:
        decimal_sep = ""  # no separator, or the same one repeated: thousands
    grouping = "." if decimal_sep == "," else ","
    cleaned = digits.replace(grouping, "")
    if decimal_sep:
        cleaned = cleaned.replace(decimal_sep, ".")
    else:
        cleaned = cleaned.replace(".", "").replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def parse_price_range(
    text: str, default_currency: str | None = None
) -> tuple[Money, Money | None] | None:
    """The low (and, for a range, high) price in a price text; None when there is none."""
    normal = unicodedata.normalize("NFKC", text)
    currency = currency_in(normal, default_currency)
    if currency is None:
        return None
    match = _NUMBER.search(normal)
    if match is None:
        return None
    low = to_decimal(match.group(0), currency)
    if low is None:
        return None
    high: Decimal | None = None
    tail = _RANGE_TAIL.match(normal, match.end())
    if tail:
        high = to_decimal(tail.group(1), currency)
    low_money = Money(low, currency)
    if high is not None and high > low:
        return low_money, Money(high, currency)
    return low_money, None


def parse_price(text: str, default_currency: str | None = None) -> Money | None:
    """The price in a price text (the low end of a range); None when there is none."""
    found = parse_price_range(text, default_currency)
    return found[0] if found else None


def price_from_value(
    value: object, currency: str | None, default_currency: str | None = None
) -> Money | None:
    """A structured-data price (``98.99``, ``"31.49"``, ``"$24.96"``) with its currency."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    code = (currency or "").strip().upper() or None
    if code is None:
        code = currency_in(unicodedata.normalize("NFKC", value), default_currency)
    match = _NUMBER.search(value.replace(" ", ""))
    if code is None or match is None:
        return None
    # Structured data uses a dot for decimals ("1279.00"); printed text is handled above.
    plain = match.group(0)
    amount = to_decimal(plain, code) if ("," in plain) else _plain_decimal(plain)
    return Money(amount, code) if amount is not None else None


def _plain_decimal(number: str) -> Decimal | None:
    try:
        return Decimal(number)
    except InvalidOperation:
        return None
