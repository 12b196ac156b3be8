"""Reading one cell of a supplier feed: codes, quantities, prices and lead times.

Japanese spreadsheets arrive with full-width digits (１２３), thousands separators (1,234),
symbols instead of numbers (〇 / × / △) and Excel damage (a JAN shown as ``4.90123E+12``, a
code whose leading zeros were stripped). Each reader either returns a clean value or raises
``CellError`` with a message for the row report; nothing is guessed silently.

Symbols: ``×`` means none (quantity 0); ``〇`` means in stock without a count; ``△`` means
"few left", which is still in stock without a count (a count would be invented).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from stockguard.core.storable import integer, parse_integer, shown


class CellError(ValueError):
    """A cell cannot be read; the message says why, the caller adds file and line."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Stock(StrEnum):
    """What a quantity cell says."""

    COUNT = "count"  # a number of units (0 included)
    PRESENT = "present"  # in stock, no count given (〇, △, あり)
    BLANK = "blank"  # empty cell


@dataclass(frozen=True)
class StockCell:
    """A read quantity cell."""

    kind: Stock
    count: int | None = None  # set for COUNT
    note: str = ""  # why, when the cell was not a plain number ("△ (few)", "negative -3")


_PRESENT = {
    "〇": "〇",
    "○": "〇",
    "◯": "〇",
    "◎": "〇",
    "有": "あり",
    "あり": "あり",
    "在庫あり": "あり",
    "△": "△ (few)",
    "▲": "△ (few)",
    "僅少": "僅少 (few)",
    "残りわずか": "残りわずか (few)",
    "少": "少 (few)",
}
_NONE = {"×", "✕", "✖", "╳", "x", "X", "無", "なし", "在庫なし", "欠品", "品切れ", "完売"}
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_RANGE = re.compile(r"^(\d+)\s*[~〜\-]\s*(\d+)$")
_DATE = re.compile(r"^(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?$")


def normalise(cell: str) -> str:
    """Full-width to half-width (NFKC) and trimmed, keeping 〇 × △ as they are."""
    return unicodedata.normalize("NFKC", cell).strip()


def read_code(cell: str, *, kind: str = "code", zero_pad: int = 0) -> str:
    """An item code or JAN; refuses Excel's scientific notation (its digits are gone)."""
    code = normalise(cell)
    if not code:
        raise CellError("empty item code", "empty-code")
    if _SCIENTIFIC.match(code):
        raise CellError(
            f"item code {shown(code)} is in scientific notation (Excel damage: digits lost)",
            "scientific-code",
        )
    if zero_pad and code.isdigit() and len(code) < zero_pad:
        code = code.zfill(zero_pad)
    if kind == "jan":
        return _check_jan(code)
    return code


def _check_jan(code: str) -> str:
    if not code.isdigit():
        raise CellError(f"JAN {shown(code)} is not all digits", "bad-jan")
    if len(code) == 12 and _jan_valid("0" + code):
        return "0" + code  # a UPC-A, or an EAN-13 whose leading zero Excel dropped
    if len(code) not in (8, 13) or not _jan_valid(code):
        raise CellError(f"JAN {shown(code)} has a wrong length or check digit", "bad-jan")
    return code


def _jan_valid(code: str) -> bool:
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))]
    total = sum(d * w for d, w in zip(reversed(body), weights, strict=True))
    return (10 - total % 10) % 10 == check


def read_stock(cell: str) -> StockCell:
    """A quantity cell: a count, a stock symbol, or blank."""
    value = normalise(cell)
    if not value:
        return StockCell(Stock.BLANK)
    if value in _PRESENT:
        return StockCell(Stock.PRESENT, note=_PRESENT[value])
    if value in _NONE:
        return StockCell(Stock.COUNT, 0, note=f"{value} (none)")
    number = _number(value.removesuffix("個").removesuffix("点").strip(), "quantity")
    if number != number.to_integral_value():
        raise CellError(f"quantity {shown(cell.strip())} is not a whole number", "bad-quantity")
    if number < 0:
        # Inventory systems go negative on back-orders: nothing can be shipped now.
        figure = str(number.to_integral_value())
        if len(figure) > 21:  # the evidence quotes it: a 200 KB number stays out
            figure = f"{figure[:21]}… ({len(figure) - 1:,} digits)"
        return StockCell(Stock.COUNT, 0, note=f"negative {figure}")
    return StockCell(Stock.COUNT, integer("quantity", number, 0))  # checked before int()


def sum_stock(cells: Sequence[StockCell]) -> StockCell:
    """Several quantity cells of one item (one column per warehouse or shop location) as one.

    Counts add up; a blank location holds nothing (it never adds stock); a symbol without a
    count (〇) makes the item in stock only when no location gives a positive count, so a
    stated total is never raised by a guess. All blank stays blank (``blank_quantity`` decides).
    """
    if len(cells) == 1:
        return cells[0]
    counted = [c.count for c in cells if c.kind is Stock.COUNT and c.count is not None]
    note = ", ".join(c.note for c in cells if c.note)
    if sum(counted) > 0 or (counted and not any(c.kind is Stock.PRESENT for c in cells)):
        return StockCell(Stock.COUNT, sum(counted), note)
    if any(c.kind is Stock.PRESENT for c in cells):
        return StockCell(Stock.PRESENT, note=note)
    return StockCell(Stock.BLANK, note=note)


def read_price(cell: str) -> Decimal | None:
    """A price such as ``¥1,980``, ``1980円`` or ``１，９８０``; None when blank."""
    value = normalise(cell)
    for mark in ("¥", "￥", "円", "JPY", "税込", "税抜", "(", ")"):
        value = value.replace(mark, "")
    value = value.strip()
    if not value:
        return None
    price = _number(value, "price")
    if price < 0:
        raise CellError(f"price {shown(cell.strip())} is negative", "bad-price")
    return price


def read_lead_days(cell: str, today: date) -> int | None:
    """Days until shipping: ``3``, ``3日``, ``2～3日`` (the longer), ``即日``, or a date."""
    value = normalise(cell)
    if not value:
        return None
    if value in ("即日", "当日", "即納"):
        return 0
    match = _DATE.match(value)
    if match:
        try:
            when = datetime(int(match[1]), int(match[2]), int(match[3])).date()
        except ValueError:
            message = f"lead time {shown(cell.strip())} is not a date"
            raise CellError(message, "bad-lead-time") from None
        return max((when - today).days, 0)
    value = value.removesuffix("営業日").removesuffix("日").removesuffix("以内").strip()
    value = value.removesuffix("営業日").removesuffix("日").strip()
    ranged = _RANGE.match(value)
    if ranged:
        return parse_integer("lead time (days)", ranged[2], 0)
    if value.isdecimal():  # not isdigit(): ² or 𐩀 are digits int() cannot read
        return parse_integer("lead time (days)", value, 0)
    raise CellError(f"lead time {shown(cell.strip())} is not a number of days", "bad-lead-time")


def _number(value: str, what: str) -> Decimal:
    plain = value.replace(",", "").replace(" ", "")
    if _SCIENTIFIC.match(plain):
        raise CellError(f"{what} {shown(value)} is in scientific notation", f"bad-{what}")
    if not _NUMBER.match(plain):
        raise CellError(f"{what} {shown(value)} is not a number", f"bad-{what}")
    try:
        return Decimal(plain)
    except InvalidOperation:
        raise CellError(f"{what} {shown(value)} is not a number", f"bad-{what}") from None
