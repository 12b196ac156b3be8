"""Reading supplier feeds: encodings, separators, Excel damage, symbols, row reports."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.suppliers.feeds import FeedRefused, parse_feed, read_feed
from stockguard.suppliers.feeds.values import (
    CellError,
    Stock,
    read_code,
    read_lead_days,
    read_price,
    read_stock,
)

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TONYA = FeedSettings(price_column="卸価格", lead_time_column="入荷予定")


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("tonya-utf8-bom.csv", "utf-8-sig", ","),
        ("tonya-utf8-lf.csv", "utf-8", ","),
        ("tonya-cp932.csv", "cp932", ","),
        ("tonya-utf16le.txt", "utf-16", "\t"),
        ("tonya-utf16be.txt", "utf-16", "\t"),
    ],
)
def test_every_encoding_reads_the_same_feed(name: str, encoding: str, delimiter: str) -> None:
    raw = read_feed((FEEDS / name).read_bytes(), name)
    assert (raw.encoding, raw.delimiter) == (encoding, delimiter)
    assert raw.header[0] == "商品コード"
    assert raw.header[3] == "在庫数"
    parsed = parse_feed(raw, TONYA, NOW)
    by_code = {item.code: item.observation for item in parsed.items}
    assert sorted(by_code) == [
        "A-001",
        "A-002",
        "A-003",
        "A-004",
        "A-005",
        "A-006",
        "A-007",
        "A-010",
    ]
    assert by_code["A-004"].quantity == 1234
    assert by_code["A-004"].price == Money(Decimal("2000"), "JPY")
    assert by_code["A-010"].price == Money(Decimal("5800"), "JPY")


def test_rows_become_observations_with_evidence() -> None:
    raw = read_feed((FEEDS / "tonya-cp932.csv").read_bytes(), "tonya.csv")
    items = {item.code: item for item in parse_feed(raw, TONYA, NOW).items}
    a1, a2 = items["A-001"].observation, items["A-002"].observation
    assert (a1.availability, a1.quantity, a1.price) == (
        Availability.IN_STOCK,
        12,
        Money(Decimal("1280"), "JPY"),
    )
    assert a2.availability is Availability.OUT_OF_STOCK
    assert a2.quantity == 0
    assert a2.evidence == "feed tonya.csv line 3: 在庫数=0"
    assert a2.checked_at == NOW
    assert a2.source_ref == "A-002"
    circle, cross, triangle = (items[c].observation for c in ("A-005", "A-006", "A-007"))
    assert (circle.availability, circle.quantity) == (Availability.IN_STOCK, None)
    assert (cross.availability, cross.quantity) == (Availability.OUT_OF_STOCK, 0)
    assert (triangle.availability, triangle.quantity) == (Availability.IN_STOCK, None)
    assert "△ (few)" in triangle.evidence
    assert items["A-004"].observation.ships_within_days == 3
    assert triangle.ships_within_days == 3


def test_bad_rows_are_reported_with_file_line_and_code() -> None:
    raw = read_feed((FEEDS / "tonya-utf8-bom.csv").read_bytes(), "tonya.csv")
    problems = [str(p) for p in parse_feed(raw, TONYA, NOW).problems]
    assert problems == [
        "tonya.csv:9: quantity of 'A-008' is blank (blank_quantity = refuse) (code blank-quantity)",
        "tonya.csv:10: quantity 'たくさん' is not a number (code bad-quantity)",
        "tonya.csv:11: duplicate item code 'A-002' (first on line 3) (code duplicate)",
    ]


def test_scientific_notation_jan_refuses_the_row() -> None:
    settings = FeedSettings(code_column="JANコード", code_kind="jan")
    raw = read_feed((FEEDS / "tonya-utf8-bom.csv").read_bytes(), "tonya.csv")
    parsed = parse_feed(raw, settings, NOW)
    sci = [p for p in parsed.problems if p.code == "scientific-code"]
    assert [str(p) for p in sci] == [
        "tonya.csv:4: item code '4.90123E+12' is in scientific notation "
        "(Excel damage: digits lost) (code scientific-code)"
    ]
    assert "4901234567894" in {item.code for item in parsed.items}


def test_missing_required_column_refuses_the_file_naming_it() -> None:
    data = (FEEDS / "missing-quantity-column.csv").read_bytes()
    with pytest.raises(
        FeedRefused,
        match=r"missing-quantity-column.csv: required quantity "
        r"column '在庫数' is missing",
    ):
        parse_feed(read_feed(data, "missing-quantity-column.csv"), FeedSettings(), NOW)


def test_configured_price_column_must_exist() -> None:
    data = (FEEDS / "nextengine-eucjp.csv").read_bytes()
    settings = FeedSettings(
        code_column="syohin_code",
        quantity_column="zaiko_su",
        price_column="baika",
        blank_quantity="unknown",
    )
    with pytest.raises(FeedRefused, match="price column 'baika'"):
        parse_feed(read_feed(data, "ne.csv"), settings, NOW)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("unknown", Availability.UNKNOWN), ("zero", Availability.OUT_OF_STOCK), ("refuse", None)],
)
def test_blank_quantity_follows_the_config(policy: str, expected: Availability | None) -> None:
    raw = read_feed((FEEDS / "nextengine-eucjp.csv").read_bytes(), "ne.csv")
    assert raw.encoding == "euc_jp"
    settings = FeedSettings(
        code_column="syohin_code",
        quantity_column="zaiko_su",
        price_column="genka_tanka",
        blank_quantity=policy,
    )
    parsed = parse_feed(raw, settings, NOW)
    items = {item.code: item.observation for item in parsed.items}
    if expected is None:
        assert "ne-102" not in items
        assert [p.code for p in parsed.problems] == ["blank-quantity"]
        return
    assert items["ne-102"].availability is expected
    assert "zaiko_su=(blank)" in items["ne-102"].evidence
    if expected is Availability.UNKNOWN:
        assert items["ne-102"].reason is UnknownReason.NOT_IN_FEED


def test_column_alternatives_and_full_width_header() -> None:
    data = "ＳＫＵ,在庫\nx1,3\n".encode()
    settings = FeedSettings(code_column="品番|sku", quantity_column="在庫数|在庫")
    parsed = parse_feed(read_feed(data, "f.csv"), settings, NOW)
    assert [(i.code, i.observation.quantity) for i in parsed.items] == [("x1", 3)]


def test_location_columns_are_summed() -> None:
    """A Shopify-style inventory export: one available-quantity column per location."""
    data = (
        "Handle,SKU,Tokyo Warehouse,Osaka Shop\n"
        "a,A-1,3,2\n"  # 5 in all
        "b,B-1,0,\n"  # a blank location holds nothing: out of stock
        "c,C-1,,\n"  # nothing anywhere is blank (blank_quantity decides)
        "d,D-1,0,〇\n"  # a symbol without a count: in stock, no count
        "e,E-1,4,〇\n"  # a stated count is never raised by a symbol
    ).encode()
    settings = FeedSettings(
        code_column="SKU", quantity_column="Tokyo Warehouse+Osaka Shop", blank_quantity="zero"
    )
    parsed = parse_feed(read_feed(data, "inventory.csv"), settings, NOW)
    seen = {i.code: (i.observation.availability, i.observation.quantity) for i in parsed.items}
    assert seen == {
        "A-1": (Availability.IN_STOCK, 5),
        "B-1": (Availability.OUT_OF_STOCK, 0),
        "C-1": (Availability.OUT_OF_STOCK, 0),
        "D-1": (Availability.IN_STOCK, None),
        "E-1": (Availability.IN_STOCK, 4),
    }
    a = next(i for i in parsed.items if i.code == "A-1").observation
    assert "Tokyo Warehouse=3 + Osaka Shop=2" in a.evidence


def test_a_missing_location_column_refuses_the_file() -> None:
    data = b"SKU,Tokyo\nA-1,3\n"
    settings = FeedSettings(code_column="SKU", quantity_column="Tokyo+Osaka")
    with pytest.raises(FeedRefused, match="required quantity column 'Osaka' is missing"):
        parse_feed(read_feed(data, "inventory.csv"), settings, NOW)


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(FeedRefused, match="not UTF-8"):
        read_feed(b"\x81\x00\xff\xfe\x80" * 3 + b"\xff", "odd.csv")


def test_empty_file_is_refused() -> None:
    with pytest.raises(FeedRefused, match="empty"):
        read_feed(b"\r\n\r\n", "empty.csv")


@pytest.mark.parametrize(
    ("cell", "kind", "count"),
    [
        ("12", Stock.COUNT, 12),
        ("１，２３４", Stock.COUNT, 1234),
        ("1,234", Stock.COUNT, 1234),
        ("3.0", Stock.COUNT, 3),
        ("5個", Stock.COUNT, 5),
        ("-2", Stock.COUNT, 0),
        ("×", Stock.COUNT, 0),
        ("在庫なし", Stock.COUNT, 0),
        ("〇", Stock.PRESENT, None),
        ("○", Stock.PRESENT, None),
        ("△", Stock.PRESENT, None),
        ("  ", Stock.BLANK, None),
    ],
)
def test_stock_cells(cell: str, kind: Stock, count: int | None) -> None:
    read = read_stock(cell)
    assert (read.kind, read.count) == (kind, count)


@pytest.mark.parametrize("cell", ["2.5", "たくさん", "1e3", "?"])
def test_unreadable_stock_cells_are_refused(cell: str) -> None:
    with pytest.raises(CellError):
        read_stock(cell)


def test_codes_prices_and_lead_times() -> None:
    assert read_code("４９０１２３４５６７８９４", kind="jan") == "4901234567894"
    assert read_code("12345", zero_pad=8) == "00012345"
    with pytest.raises(CellError, match="check digit"):
        read_code("4901234567890", kind="jan")
    assert read_code("036000291452", kind="jan") == "0036000291452"  # UPC-A, zero dropped
    assert read_price("￥１，９８０") == Decimal("1980")
    assert read_price("1980円") == Decimal("1980")
    assert read_price("") is None
    today = NOW.date()
    assert read_lead_days("2～3日", today) == 3
    assert read_lead_days("即日", today) == 0
    assert read_lead_days("2026/03/08", today) == 7
    assert read_lead_days("5営業日以内", today) == 5
    with pytest.raises(CellError):
        read_lead_days("未定", today)
