"""One catalogue row as a Listing: every cell checked, every problem of the row named.

Numbers accept full-width digits and thousands separators (``１，２００``); a negative count
says what the column allows (``default_quantity -2 must be 0 or more``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from stockguard.cli.catalogue.sources import SourceError, SourceRules, parse_sources
from stockguard.core.domain import Listing, Money, Source, SourceKind, marketplace

MARKETPLACE_ALIASES = {"GB": "UK"}
MAX_SKU_LENGTH = 40  # Amazon's limit for a seller SKU
MAX_HANDLING_DAYS = 30
_INT = re.compile(r"^\+?\d{1,3}(,\d{3})+$|^\+?\d+(\.0+)?$")
_NEGATIVE = re.compile(r"^-\d{1,3}(,\d{3})+$|^-\d+(\.0+)?$")
_T = TypeVar("_T")
_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$")


class RowError(ValueError):
    """One thing wrong with one cell; collected per row."""


def row_listing(record: dict[str, str], source_cells: list[str], rules: SourceRules) -> Listing:
    """The listing of one row; RowError with every problem of the row."""
    problems: list[str] = []

    def check(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except RowError as exc:
            problems.append(str(exc))
            return fallback

    sku = check(lambda: _sku(record["sku"]), "")
    code = check(lambda: _marketplace(record["marketplace"]), "")
    asin = check(lambda: _asin(record["asin"]), "")
    product_type = check(lambda: _product_type(record.get("product_type", "")), "PRODUCT")
    handling = check(lambda: _int(record, "handling_days", None, 0, MAX_HANDLING_DAYS), 0)
    quantity = check(lambda: _int(record, "default_quantity", None, 0, 1_000_000), 0)
    buffer = check(lambda: _int(record, "safety_buffer", 0, 0, 1_000_000), 0)
    pack = check(lambda: _int(record, "pack_size", 1, 1, 10_000), 1)
    max_cost = check(lambda: _max_cost(record), None)
    no_sources: tuple[Source, ...] = ()
    found = check(lambda: _sources(source_cells, rules, record.get("variant", "")), no_sources)
    if problems:
        raise RowError("; ".join(problems))
    return Listing(
        sku=sku,
        marketplace=code,
        asin=asin,
        product_type=product_type,
        handling_days=handling,
        default_quantity=quantity,
        sources=found,
        max_cost=max_cost,
        safety_buffer=buffer,
        pack_size=pack,
    )


def _sku(value: str) -> str:
    if not value:
        raise RowError("missing SKU")
    if len(value) > MAX_SKU_LENGTH:
        raise RowError(f"SKU longer than {MAX_SKU_LENGTH} characters")
    return value


def _marketplace(value: str) -> str:
    if not value:
        raise RowError("missing marketplace")
    try:
        return marketplace(MARKETPLACE_ALIASES.get(value.upper(), value)).code
    except KeyError:
        raise RowError(
            f"unknown marketplace {value!r} (a code like US, UK, DE or an SP-API marketplace id)"
        ) from None


def _asin(value: str) -> str:
    asin = value.upper()
    if asin and not re.fullmatch(r"[A-Z0-9]{10}", asin):
        raise RowError(f"ASIN {value!r} is not 10 letters or digits")
    return asin


def _product_type(value: str) -> str:
    product_type = value.upper() or "PRODUCT"
    if not re.fullmatch(r"[A-Z0-9_]+", product_type):
        raise RowError(f"product_type {value!r} is not an Amazon product type like PRODUCT")
    return product_type


def _int(record: dict[str, str], column: str, default: int | None, low: int, high: int) -> int:
    raw = unicodedata.normalize("NFKC", record.get(column, "")).strip()
    if not raw:
        if default is None:
            raise RowError(f"missing {column}")
        return default
    if _NEGATIVE.match(raw):
        raise RowError(f"{column} {raw!r} must be {low} or more")
    if not _INT.match(raw):
        raise RowError(f"{column} {raw!r} is not a whole number")
    value = int(Decimal(raw.replace(",", "")))
    if not low <= value <= high:
        raise RowError(f"{column} {value} is outside {low}..{high}")
    return value


def _max_cost(record: dict[str, str]) -> Money | None:
    raw = unicodedata.normalize("NFKC", record.get("max_cost", "")).strip()
    if not raw:
        return None
    currency = record.get("currency", "").strip().upper()
    if not _DECIMAL.match(raw):
        raise RowError(f"max_cost {raw!r} is not an amount like 1980 or 12.50")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowError("max_cost needs a currency column with a code like JPY")
    try:
        return Money(Decimal(raw.replace(",", "")), currency)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees digits
        raise RowError(f"max_cost {raw!r} is not an amount") from None


def _sources(cells: list[str], rules: SourceRules, variant: str) -> tuple[Source, ...]:
    """The row's sources; ``variant`` (the variant column) is named on its page sources."""
    try:
        found = parse_sources(cells, rules)
    except SourceError as exc:
        raise RowError(str(exc)) from None
    if not variant:
        return found
    return tuple(replace(s, variant=variant) if s.kind is SourceKind.PAGE else s for s in found)
