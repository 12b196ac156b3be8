"""What both stores accept: the one rule every imported value is checked against at the edge.

A value from a user's file (a catalogue, a supplier feed, an email) is checked here before it
reaches the database, so that SQLite and PostgreSQL accept or refuse exactly the same rows and
a bad value refuses its row (named by the caller) instead of failing the whole transaction:

* text: no NUL character (PostgreSQL refuses it in any text column), and no longer than its
  column (PostgreSQL enforces ``VARCHAR(n)``; SQLite does not) or than ``MAX_TEXT``;
* whole numbers: within PostgreSQL's ``INTEGER`` (SQLite takes 64 bits, Python any size);
* amounts: within ``NUMERIC(14, 4)``, at most 10 digits before the decimal point.

Only the standard library and the domain are imported: the suppliers package checks its
feeds with it too.
"""

from __future__ import annotations

import csv
from decimal import Decimal

from stockguard.core.domain import Availability, Listing, Observation, UnknownReason

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL INTEGER
AMOUNT_DIGITS, AMOUNT_PLACES = 14, 4  # NUMERIC(14, 4), the money columns
MAX_TEXT = 100_000  # characters of any unbounded text column (evidence, comments)
SKU_LENGTH, REF_LENGTH, NAME_LENGTH = 200, 2000, 200  # listings.sku, sources.ref, .supplier
ADAPTER_LENGTH, HASH_LENGTH = 100, 128  # observations.adapter, .content_hash
_SHOWN = 40  # characters of a refused value quoted in a message
_MAX_DIGITS = 19  # a Decimal this many digits long is past any INTEGER: refused unconverted


def read_long_csv_fields() -> None:
    """Let the csv module read a cell of any size (its default stops the file at 128 KB).

    A long cell is then refused by the checks of its row (too long for its column, or not a
    number), named by its line, instead of one oversized cell failing the whole file.
    """
    csv.field_size_limit(max(csv.field_size_limit(), INT_MAX))  # a C long on every platform


class Unstorable(ValueError):
    """A value neither store can hold as it is; the message names the field and why."""


def shown(value: str) -> str:
    """A value for a message: quoted, and clipped when long (a 200 KB cell stays out)."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}… ({len(value):,} characters)"


def text(field: str, value: str, max_length: int = MAX_TEXT) -> str:
    """``value`` when a text column of ``max_length`` holds it on both stores."""
    if "\x00" in value:
        raise Unstorable(f"{field} {shown(value)} contains a NUL character")
    if len(value) > max_length:
        raise Unstorable(
            f"{field} is {len(value):,} characters long (at most {max_length:,}): {shown(value)}"
        )
    return value


def optional_text(field: str, value: str | None, max_length: int = MAX_TEXT) -> str | None:
    """``text`` for a nullable column."""
    return None if value is None else text(field, value, max_length)


def integer(field: str, value: int | Decimal, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """``value`` (a whole number) as an int when an INTEGER column holds it, within
    ``low..high``. A Decimal past any INTEGER is refused by its size, before ``int()``."""
    if isinstance(value, Decimal):
        if not value.is_finite() or (value and value.adjusted() >= _MAX_DIGITS):
            raise Unstorable(f"{field} {_figure(value)} is outside {low:,}..{high:,}")
        value = int(value)
    if not low <= value <= high:
        raise Unstorable(f"{field} {_figure(Decimal(value))} is outside {low:,}..{high:,}")
    return value


def parse_integer(field: str, digits: str, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """Decimal digits (``str.isdecimal``, a leading sign allowed) as ``integer`` holds them.

    Parsed as a Decimal: ``int()`` of a long string is slow and refused past 4,300 digits.
    """
    if not digits.lstrip("+-").isdecimal() or len(digits) - len(digits.lstrip("+-")) > 1:
        raise Unstorable(f"{field} {shown(digits)} is not a whole number")
    return integer(field, Decimal(_ascii_digits(digits)), low, high)


def _ascii_digits(digits: str) -> str:
    # Decimal() reads ASCII digits only; int() reads any Unicode decimal digit (٣, ３).
    return "".join(str(int(c)) if c.isdecimal() else c for c in digits)


def _figure(value: Decimal) -> str:
    """A number for a message: itself up to 20 digits, else how many digits it has."""
    digits = value.adjusted() + 1 if value.is_finite() and value else 1
    return str(value) if digits <= 20 else f"of {digits} digits"


def optional_integer(
    field: str, value: int | None, low: int = INT_MIN, high: int = INT_MAX
) -> int | None:
    """``integer`` for a nullable column."""
    return None if value is None else integer(field, value, low, high)


def amount(field: str, value: Decimal) -> Decimal:
    """``value`` when a ``NUMERIC(14, 4)`` column holds it: at most 10 digits before the point."""
    if not value.is_finite():
        raise Unstorable(f"{field} {value} is not a finite amount")
    whole = AMOUNT_DIGITS - AMOUNT_PLACES
    stored = value
    if stored and stored.adjusted() < whole:  # checked first: quantize fails on 29+ digits
        stored = stored.quantize(Decimal(1).scaleb(-AMOUNT_PLACES))  # the column rounds so
    if stored and stored.adjusted() >= whole:
        digits = stored.adjusted() + 1
        raise Unstorable(f"{field} has {digits} digits before the decimal point (at most {whole})")
    return value


def listing(item: Listing) -> Listing:
    """``item`` when the listings and sources tables hold every value of it."""
    text("SKU", item.sku, SKU_LENGTH)
    text("product_type", item.product_type, 100)
    for name, value in (
        ("handling_days", item.handling_days),
        ("default_quantity", item.default_quantity),
        ("safety_buffer", item.safety_buffer),
        ("pack_size", item.pack_size),
    ):
        integer(name, value)
    if item.max_cost is not None:
        amount("max_cost", item.max_cost.amount)
    for source in item.sources:
        text("source", source.ref, REF_LENGTH)
        text("source supplier", source.supplier, NAME_LENGTH)
        optional_text("source variant", source.variant, NAME_LENGTH)
    return item


def observation(seen: Observation) -> Observation:
    """``seen`` when both stores hold it; else UNKNOWN (error) saying which value they refuse.

    A supplier page stating a 32-digit price or a quantity past INTEGER is no evidence to go
    live on, and must not stop the pass that records it: the listing goes to 0, and why.
    """
    try:
        _check_observation(seen)
    except Unstorable as exc:
        url = seen.url if seen.url is None or _fits(seen.url, REF_LENGTH) else None
        return Observation(
            seen.source_ref,
            Availability.UNKNOWN,
            seen.checked_at,
            f"the page's values cannot be stored: {exc}",
            reason=UnknownReason.ERROR,
            http_status=seen.http_status,
            adapter=seen.adapter if _fits(seen.adapter, ADAPTER_LENGTH) else "",
            url=url,
        )
    return seen


def _check_observation(seen: Observation) -> None:
    text("source", seen.source_ref, REF_LENGTH)
    text("evidence", seen.evidence)
    optional_integer("quantity", seen.quantity)
    if seen.price is not None:
        amount("price", seen.price.amount)
        text("currency", seen.price.currency, 3)
    optional_integer("shipping days", seen.ships_within_days)
    optional_integer("HTTP status", seen.http_status)
    optional_text("content hash", seen.content_hash, HASH_LENGTH)
    text("adapter", seen.adapter, ADAPTER_LENGTH)
    optional_text("final URL", seen.url, REF_LENGTH)


def _fits(value: str, max_length: int) -> bool:
    return "\x00" not in value and len(value) <= max_length
