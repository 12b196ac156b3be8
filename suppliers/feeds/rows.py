"""From a decoded feed to items: the supplier's column map, row checks, one Observation per item.

Column names come from ``[feeds.<supplier>]``; a name may list alternatives separated by
``|`` (``"商品コード|品番"``) and is matched after full-width folding, ignoring case. A missing
required column refuses the file, naming the column. A bad row is reported as
``FILE:LINE: message (code X)`` and skipped; the rest of the file is still read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import stockguard.core.storable as storable
from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, Money, Observation, UnknownReason
from stockguard.suppliers.feeds.reading import FeedRefused, RawFeed
from stockguard.suppliers.feeds.values import (
    CellError,
    Stock,
    read_code,
    read_lead_days,
    read_price,
    read_stock,
    sum_stock,
)

BLANK_POLICIES = ("refuse", "zero", "unknown")
CODE_LENGTH = 200  # feed_items.code


@dataclass(frozen=True)
class RowProblem:
    """One refused row."""

    file: str
    line: int
    message: str
    code: str
    item: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message} (code {self.code})"


@dataclass(frozen=True)
class FeedItem:
    """One accepted row, already an Observation of the item it names."""

    code: str
    line: int
    observation: Observation


@dataclass
class ParsedFeed:
    """Every item of a feed and every refused row, in file order."""

    items: list[FeedItem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Columns:
    """Where each configured column sits in the header."""

    code: tuple[str, int]
    quantity: tuple[tuple[str, int], ...]  # summed: one column per location ("Tokyo+Osaka")
    price: tuple[str, int] | None
    lead_time: tuple[str, int] | None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().lower()


def map_columns(feed: RawFeed, settings: FeedSettings) -> Columns:
    """Find the configured columns in the header; FeedRefused naming a missing one."""
    folded = [_fold(h) for h in feed.header]

    def find(wanted: str | None, required: bool, role: str) -> tuple[str, int] | None:
        if not wanted:
            return None
        for option in wanted.split("|"):
            if _fold(option) in folded:
                index = folded.index(_fold(option))
                return feed.header[index], index
        if required:
            raise FeedRefused(
                f"{feed.file}: required {role} column {wanted!r} is missing "
                f"(header: {', '.join(feed.header)})"
            )
        return None

    code = find(settings.code_column, True, "item code")
    assert code is not None
    parts = [find(part, True, "quantity") for part in settings.quantity_column.split("+")]
    quantity = tuple(part for part in parts if part is not None)
    price = find(settings.price_column, True, "price")
    lead = find(settings.lead_time_column, True, "lead time")
    return Columns(code, quantity, price, lead)


def parse_feed(feed: RawFeed, settings: FeedSettings, now: datetime) -> ParsedFeed:
    """Check every row; accepted rows become FeedItems, the others RowProblems."""
    if settings.blank_quantity not in BLANK_POLICIES:
        raise FeedRefused(
            f"[feeds] blank_quantity must be one of {', '.join(BLANK_POLICIES)}, "
            f"got {settings.blank_quantity!r}"
        )
    columns = map_columns(feed, settings)
    parsed = ParsedFeed()
    first_line: dict[str, int] = {}
    for line, cells in feed.rows:
        code: str | None = None
        try:
            code = _read_code(cells, columns, settings)
            item = _parse_row(feed.file, line, code, cells, columns, settings, now)
        except CellError as exc:
            parsed.problems.append(RowProblem(feed.file, line, str(exc), exc.code, code))
            continue
        except storable.Unstorable as exc:  # a value neither store holds: the row, not the file
            message = f"item {code!r}: {exc}" if code is not None else str(exc)
            parsed.problems.append(RowProblem(feed.file, line, message, "unstorable", code))
            continue
        if item.code in first_line:
            message = f"duplicate item code {item.code!r} (first on line {first_line[item.code]})"
            parsed.problems.append(RowProblem(feed.file, line, message, "duplicate", item.code))
            continue
        first_line[item.code] = line
        parsed.items.append(item)
    return parsed


def _cell(cells: list[str], column: tuple[str, int] | None) -> str:
    if column is None:
        return ""
    return cells[column[1]] if column[1] < len(cells) else ""


def _read_code(cells: list[str], columns: Columns, settings: FeedSettings) -> str:
    code = read_code(
        _cell(cells, columns.code), kind=settings.code_kind, zero_pad=settings.code_zero_pad
    )
    return storable.text("item code", code, CODE_LENGTH)


def _parse_row(
    file: str,
    line: int,
    code: str,
    cells: list[str],
    columns: Columns,
    settings: FeedSettings,
    now: datetime,
) -> FeedItem:
    raw = [(name, _cell(cells, (name, index)).strip()) for name, index in columns.quantity]
    stock = sum_stock([read_stock(value) for _, value in raw])
    price_value = read_price(_cell(cells, columns.price))
    if price_value is not None:
        storable.amount("price", price_value)
    lead = read_lead_days(_cell(cells, columns.lead_time), now.date())
    storable.optional_integer("lead time (days)", lead, 0)
    storable.optional_integer("quantity", stock.count, 0)
    cells_read = " + ".join(f"{name}={value or '(blank)'}" for name, value in raw)
    evidence = f"feed {file} line {line}: {cells_read}"
    if stock.note:
        evidence += f" [{stock.note}]"
    storable.text("evidence", evidence)
    price = Money(price_value, settings.currency) if price_value is not None else None
    count = stock.count
    if stock.kind is Stock.BLANK:
        if settings.blank_quantity == "refuse":
            raise CellError(
                f"quantity of {code!r} is blank (blank_quantity = refuse)", "blank-quantity"
            )
        if settings.blank_quantity == "unknown":
            unknown = Observation(
                code,
                Availability.UNKNOWN,
                now,
                evidence,
                reason=UnknownReason.NOT_IN_FEED,
                price=price,
                ships_within_days=lead,
                adapter="feed",
            )
            return FeedItem(code, line, unknown)
        count = 0
        evidence += " [blank read as 0 by config]"
    in_stock = stock.kind is Stock.PRESENT or (count or 0) > 0
    availability = Availability.IN_STOCK if in_stock else Availability.OUT_OF_STOCK
    observation = Observation(
        code,
        availability,
        now,
        evidence,
        quantity=count,
        price=price,
        ships_within_days=lead,
        adapter="feed",
    )
    return FeedItem(code, line, observation)
