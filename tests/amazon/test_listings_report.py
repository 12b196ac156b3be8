"""Reading the All Listings Report: hand-written documents with the rows real reports carry."""

from __future__ import annotations

import pytest

from stockguard.core.amazon.listings_report import parse
from stockguard.core.errors import AmazonError

HEADER = (
    "item-name\titem-description\tlisting-id\tseller-sku\tprice\tquantity\topen-date\t"
    "asin1\tfulfillment-channel\tstatus"
)


def row(sku: str, quantity: str, channel: str = "DEFAULT", status: str = "Active") -> str:
    values = ["Name " + sku, "", "0101X1", sku, "9.99", quantity, "2026-01-01", "B0", channel]
    return "\t".join([*values, status])


def document(*rows: str, newline: str = "\n") -> bytes:
    return newline.join([HEADER, *rows, ""]).encode("utf-8")


def test_merchant_rows_with_a_whole_quantity_are_kept_and_the_rest_left_out() -> None:
    report = parse(
        document(
            row("LIVE", "5"),
            row("ZERO", "0", status="Inactive"),
            row("FBA", "", channel="AMAZON_NA"),
            row("FBA-WITH-NUMBER", "7", channel="AMAZON_EU"),
            row("BLANK", ""),
            row("SPACES", " 3 "),
        ),
        "report 1",
    )
    assert report.quantities == {"LIVE": 5, "ZERO": 0, "SPACES": 3}
    assert report.inactive == {"ZERO"}
    assert (report.fba_rows, report.blank_rows, report.skipped) == (2, 1, ())
    assert report.encoding == "utf-8"


@pytest.mark.parametrize("bad", ["-1", "5.0", "five", "1e3", "+2", "１２", "1_000"])
def test_a_quantity_that_is_not_a_whole_number_is_skipped_and_named(bad: str) -> None:
    report = parse(document(row("OK", "1"), row("ODD", bad)), "report 1")
    assert report.quantities == {"OK": 1}
    assert len(report.skipped) == 1
    assert "line 3" in report.skipped[0]
    assert "SKU ODD" in report.skipped[0]
    assert repr(bad) in report.skipped[0]


def test_short_rows_and_rows_without_a_sku_are_skipped_with_their_line() -> None:
    report = parse(
        document(row("OK", "2"), "only\tthree\tcolumns", row("", "4"), row("NOCHAN", "4", "")),
        "report 9",
    )
    assert report.quantities == {"OK": 2}
    assert [s.split(":")[1].strip() for s in report.skipped] == ["line 3", "line 4", "line 5"]
    assert "3 columns" in report.skipped[0]
    assert "no seller-sku" in report.skipped[1]
    assert "no fulfillment-channel" in report.skipped[2]


def test_a_row_missing_only_trailing_columns_still_reads() -> None:
    cut = "\t".join(row("CUT", "6").split("\t")[:9])  # no status column on this line
    report = parse(document(cut), "report 1")
    assert report.quantities == {"CUT": 6}
    assert report.inactive == frozenset()


def test_a_sku_listed_twice_with_different_quantities_is_not_guessed() -> None:
    report = parse(
        document(row("TWICE", "3"), row("SAME", "1"), row("TWICE", "0"), row("SAME", "1")),
        "report 1",
    )
    assert report.quantities == {"SAME": 1}
    assert len(report.skipped) == 1
    assert "SKU TWICE" in report.skipped[0]


def test_bom_and_crlf_line_endings() -> None:
    data = b"\xef\xbb\xbf" + document(row("A", "1"), row("B", "0"), newline="\r\n")
    report = parse(data, "report 1")
    assert report.quantities == {"A": 1, "B": 0}
    assert report.skipped == ()


def test_a_japanese_report_in_cp932_with_japanese_headers() -> None:
    header = (
        "商品名\t出品ID\t出品者SKU\t価格\t数量\t出品日\tフルフィルメント・チャンネル\tステータス"
    )
    lines = [
        header,
        "ボールペン 黒\t0101X1\tペン-01\t120\t4\t2026/01/01\tDEFAULT\tアクティブ",
        "ノート\t0101X2\tノート-02\t300\t0\t2026/01/01\tDEFAULT\t停止中",
        "消しゴム\t0101X3\tFBA-03\t80\t\t2026/01/01\tAMAZON_JP\tアクティブ",
    ]
    data = "\r\n".join(lines).encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really needs the fallback
    report = parse(data, "report 1", fallback="cp932")
    assert report.quantities == {"ペン-01": 4, "ノート-02": 0}
    assert report.inactive == {"ノート-02"}
    assert report.fba_rows == 1
    assert report.encoding == "cp932"


def test_windows_1252_falls_back_to_the_given_encoding() -> None:
    data = document(row("CAFÉ-1", "2")).replace("É".encode(), "É".encode("cp1252"))
    assert parse(data, "report 1", fallback="cp1252").quantities == {"CAFÉ-1": 2}


def test_a_line_separator_inside_a_title_does_not_split_the_row() -> None:
    odd = row("TITLE", "3").replace("Name TITLE", "Name\x85with\u2028breaks\x1c")
    assert parse(document(odd), "report 1").quantities == {"TITLE": 3}


def test_a_header_without_the_needed_columns_is_refused_by_name() -> None:
    data = b"item-name\tseller-sku\tprice\nA\tA-1\t9.99\n"
    with pytest.raises(AmazonError, match=r"report 5: line 1: .*quantity, fulfillment-channel"):
        parse(data, "report 5")


def test_an_empty_or_undecodable_document_is_refused() -> None:
    with pytest.raises(AmazonError, match="empty"):
        parse(b"", "report 1")
    with pytest.raises(AmazonError, match="neither UTF-8 nor cp932"):
        parse(HEADER.encode() + b"\n\x81\x20\xff\n", "report 1")
