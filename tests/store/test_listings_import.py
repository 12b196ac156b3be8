"""`listings import`: encodings, every bad-row case with its line, missing columns, upserts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.core.clock import ManualClock
from stockguard.core.domain import ListingKey, Money, Source, SourceKind
from stockguard.core.errors import InputError
from stockguard.core.store.listings import count_listings, find_listings, get_listing

HEADER = "sku,marketplace,asin,product_type,handling_days,default_quantity,source,source_2\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "l.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_utf8_file_is_imported_with_every_field(db: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sku,marketplace,asin,product_type,handling_days,default_quantity,source,source_2,"
        "max_cost,currency,safety_buffer,pack_size\n"
        "A-1,US,B0TEST0001,,4,2,https://shop.example/items/1,feed:tonya:4901234567894,"
        '"1,980",jpy,1,2\n'
        "A-2,A1F83G8C2ARO7P,b0test0002,KITCHEN_KNIFE,3,1,http://a.example/x|feed:ne:X-9,,,,,\n",
    )
    report = import_listings_file(db, path, ManualClock().now())
    assert report.errors == []
    assert (report.saved.inserted, report.saved.updated) == (2, 0)
    first = get_listing(db, ListingKey.of("A-1", "US"))
    assert first is not None
    assert (first.marketplace, first.asin, first.product_type) == ("US", "B0TEST0001", "PRODUCT")
    assert (first.handling_days, first.default_quantity) == (4, 2)
    assert first.max_cost == Money(Decimal("1980"), "JPY")
    assert (first.safety_buffer, first.pack_size) == (1, 2)
    assert first.sources == (
        Source(SourceKind.PAGE, "https://shop.example/items/1"),
        Source(SourceKind.FEED, "4901234567894", supplier="tonya"),
    )
    second = get_listing(db, ListingKey.of("A-2", "UK"))
    assert second is not None
    assert (second.marketplace, second.asin, second.product_type) == (
        "UK",
        "B0TEST0002",
        "KITCHEN_KNIFE",
    )
    assert [s.ref for s in second.sources] == ["http://a.example/x", "X-9"]


def test_utf8_with_bom_reads_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "B-1,DE,,,2,1,https://s.example/b1,\n", "utf-8-sig")
    parsed = read_listings_csv(path)
    assert parsed.encoding == "utf-8-sig"
    assert [item.sku for item in parsed.listings] == ["B-1"]


def test_cp932_file_with_japanese_text(db: Engine, tmp_path: Path) -> None:
    text = (
        "sku,marketplace,asin,handling_days,default_quantity,sources,商品名\r\n"
        "抹茶-茶筅-001,JP,,5,1,https://shop.example/商品/茶筅|feed:山田商店:ＮＯ-１,抹茶の茶筅\r\n"
        "急須-002,AU,,7,２,feed:問屋:4901234567894,常滑焼の急須～①\r\n"
    )
    path = write(tmp_path, text, "cp932")
    report = import_listings_file(db, path, ManualClock().now())
    assert report.encoding == "cp932"
    assert report.errors == []
    whisk = get_listing(db, ListingKey.of("抹茶-茶筅-001", "JP"))
    assert whisk is not None
    assert whisk.sources == (
        Source(SourceKind.PAGE, "https://shop.example/商品/茶筅"),
        Source(SourceKind.FEED, "NO-1", supplier="山田商店"),  # read as the feed reads it
    )
    teapot = get_listing(db, ListingKey.of("急須-002", "AU"))
    assert teapot is not None
    assert teapot.default_quantity == 2


def test_shift_jis_bytes_are_not_mistaken_for_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "C-1,US,,,2,1,feed:卸:商品コード1,\n", "shift_jis")
    parsed = read_listings_csv(path)
    assert parsed.listings[0].sources[0] == Source(SourceKind.FEED, "商品コード1", supplier="卸")


def test_each_bad_row_is_reported_with_its_line_and_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "OK-1,US,,,2,1,https://s.example/1,\n"  # line 2
        + ",US,,,2,1,https://s.example/2,\n"  # 3: missing SKU
        + "OK-1,US,,,2,1,https://s.example/3,\n"  # 4: duplicate
        + "Q-1,US,,,2,many,https://s.example/4,\n"  # 5: non-numeric quantity
        + "M-1,XX,,,2,1,https://s.example/5,\n"  # 6: unknown marketplace
        + "\n"  # 7: blank, skipped
        + "U-1,US,,,2,1,ftp://s.example/6,\n"  # 8: bad URL
        + "U-2,US,,,2,1,,\n"  # 9: no source
        + "F-1,US,,,2,1,feed:onlysupplier,\n"  # 10: bad feed source
        + "OK-2,UK,,,2,1,https://s.example/7,\n",  # 11
    )
    parsed = read_listings_csv(path)
    assert [item.sku for item in parsed.listings] == ["OK-1", "OK-2"]
    assert parsed.errors == [
        f"{path}:3: missing SKU",
        f"{path}:4: duplicate SKU for US (first on line 2) (sku OK-1)",
        f"{path}:5: default_quantity 'many' is not a whole number (sku Q-1)",
        f"{path}:6: unknown marketplace 'XX' (a code like US, UK, DE or an SP-API "
        "marketplace id) (sku M-1)",
        f"{path}:8: bad source URL 'ftp://s.example/6': expected http(s)://host/path, "
        "feed:SUPPLIER:CODE or api:NAME:CODE (sku U-1)",
        f"{path}:9: no source (a product page URL, feed:SUPPLIER:CODE or api:NAME:CODE) (sku U-2)",
        f"{path}:10: bad feed source 'feed:onlysupplier': expected feed:SUPPLIER:CODE (sku F-1)",
    ]


def test_several_problems_in_one_row_are_named_together(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "X-1,US,NOTANASIN!,,soon,-1,https://s.example/1,\n")
    (message,) = read_listings_csv(path).errors
    assert message == (
        f"{path}:2: ASIN 'NOTANASIN!' is not 10 letters or digits; handling_days 'soon' is not "
        "a whole number; default_quantity '-1' must be 0 or more (sku X-1)"
    )


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    text = (
        "sku,marketplace,asin,handling_days,default_quantity,source,title\n"
        'A,US,,2,1,https://s.example/a,"two\nlines"\n'
        "B,US,,2,x,https://s.example/b,plain\n"
    )
    parsed = read_listings_csv(write(tmp_path, text))
    assert parsed.errors == [
        f"{tmp_path / 'l.csv'}:4: default_quantity 'x' is not a whole number (sku B)"
    ]


@pytest.mark.parametrize("column", ["sku", "marketplace", "asin", "default_quantity"])
def test_a_missing_required_column_refuses_the_file(tmp_path: Path, column: str) -> None:
    header = [c for c in HEADER.strip().split(",") if c != column]
    path = write(tmp_path, ",".join(header) + "\n" + ",".join("1" for _ in header) + "\n")
    with pytest.raises(InputError, match=f"missing required column '{column}'") as info:
        read_listings_csv(path)
    assert str(path) in info.value.message


def test_a_file_without_a_source_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "sku,marketplace,asin,handling_days,default_quantity\nA,US,,2,1\n")
    with pytest.raises(InputError, match="missing required column 'source'"):
        read_listings_csv(path)


def test_undecodable_bytes_are_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"sku,marketplace\n\x82\xff\xfe\x81\n")
    with pytest.raises(InputError, match=r"bin\.csv: neither UTF-8 nor Shift_JIS"):
        read_listings_csv(path)


def test_reimport_updates_fields_and_replaces_sources(db: Engine, tmp_path: Path) -> None:
    clock = ManualClock()
    first = write(tmp_path, HEADER + "R-1,US,,,2,1,https://s.example/old,feed:a:1\n")
    import_listings_file(db, first, clock.now())
    second = write(
        tmp_path,
        HEADER + "R-1,US,,,9,3,https://s.example/new,\nR-1,CA,,,9,3,https://s.example/new,\n",
        name="second.csv",
    )
    report = import_listings_file(db, second, clock.now())
    assert (report.saved.inserted, report.saved.updated) == (1, 1)
    updated = get_listing(db, ListingKey.of("R-1", "US"))
    assert updated is not None
    assert (updated.handling_days, updated.default_quantity) == (9, 3)
    assert updated.sources == (Source(SourceKind.PAGE, "https://s.example/new"),)
    assert count_listings(db) == 2
    assert [item.marketplace for item in find_listings(db, sku="R-1")] == ["CA", "US"]


def test_demo_catalogue_imports_cleanly(db: Engine) -> None:
    demo = Path(__file__).resolve().parents[2] / "data" / "demo-listings.csv"
    report = import_listings_file(db, demo, ManualClock().now())
    assert report.errors == []
    assert report.saved.inserted >= 30
    markets = {item.marketplace for item in find_listings(db)}
    assert markets == {"US", "CA", "MX"}  # one region: the demo's one NA account pulls them all


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from stockguard.cli import cli
    from stockguard.cli.context import run_guarded

    monkeypatch.setattr("sys.argv", ["stockguard", *args])
    return run_guarded(cli)


def test_cli_import_exits_1_and_names_refused_rows(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, HEADER + "G-1,GB,,,2,1,https://s.example/g,\nG-2,US,,,2,x,https://s.example/h,\n"
    )
    assert run_cli(monkeypatch, "--db", db_url, "listings", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert err.strip() == f"{path}:3: default_quantity 'x' is not a whole number (sku G-2)"
    assert "imported 1 listings" in out
    assert "refused 1 rows" in out
    assert run_cli(monkeypatch, "--db", db_url, "listings", "show", "--marketplace", "uk") == 0
    out, _ = capsys.readouterr()
    assert "G-1" in out
    assert "https://s.example/g" in out
    assert "1 of 1 listings" in out


def test_cli_import_missing_column_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "marketplace,asin,handling_days,default_quantity,source\n")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(monkeypatch, "--db", db, "listings", "import", str(path)) == 2  # usage
    _, err = capsys.readouterr()
    assert err.startswith(f"error: {path}: missing required column 'sku'")
    assert err.count("\n") == 1


def test_api_sources_parse_with_their_api_and_code(db: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sku,marketplace,asin,handling_days,default_quantity,source\n"
        "P-1,US,,3,1,api:amazon-jp:b0xxxxxxxx|api:rakuten:book:17798676\n"
        "P-2,US,,3,1,api:yahoo:tenshop_abc-123|api:amazon-us:B000P6Q7MY\n",
    )
    report = import_listings_file(db, path, ManualClock().now())
    assert report.errors == []
    first, second = (
        get_listing(db, ListingKey.of("P-1", "US")),
        get_listing(db, ListingKey.of("P-2", "US")),
    )
    assert first is not None
    assert second is not None
    assert first.sources == (
        Source(SourceKind.API, "api:amazon-jp:B0XXXXXXXX", supplier="amazon-jp"),
        Source(SourceKind.API, "api:rakuten:book:17798676", supplier="rakuten"),
    )
    assert [(s.supplier, s.ref) for s in second.sources] == [
        ("yahoo", "api:yahoo:tenshop_abc-123"),
        ("amazon-us", "api:amazon-us:B000P6Q7MY"),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("api:amazon-xx:B0XXXXXXXX", "unknown Amazon marketplace 'amazon-xx'"),
        ("api:amazon-jp:B0SHORT", "the code must be an ASIN of 10 letters or digits"),
        ("api:rakuten:17798676", "the code must be SHOP:ITEM"),
        ("api:yahoo:noitem", "the code must be STORE_ITEM"),
        ("api:ebay:123", "unknown API 'ebay' (known: amazon-<marketplace>, rakuten, yahoo)"),
        ("api:amazon-jp", "expected api:NAME:CODE"),
    ],
)
def test_a_bad_api_source_names_what_is_wrong(tmp_path: Path, source: str, message: str) -> None:
    path = write(
        tmp_path,
        f"sku,marketplace,asin,handling_days,default_quantity,source\nB-1,US,,3,1,{source}\n",
    )
    (error,) = read_listings_csv(path).errors
    assert error.startswith(f"{path}:2: bad API source {source!r}: ")
    assert message in error
    assert error.endswith("(sku B-1)")


def test_cli_import_warns_about_variant_shop_sources_that_name_no_variant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "sku,marketplace,asin,handling_days,default_quantity,source,source_2,variant\n"
        "TEE-1,US,,2,1,https://tea.myshopify.com/products/tee,,\n"  # warned
        "TEE-2,US,,2,1,https://tea.myshopify.com/products/tee?variant=4011,,\n"  # named in URL
        "TEE-3,US,,2,1,page:woocommerce:https://wagashi.example/p/daifuku,,1盒\n"  # column
        "TEE-4,US,,2,1,https://shop.example/a,page:woocommerce:https://w.example/p/x,\n"
        "TEE-5,US,,2,1,feed:tonya:4901234567894,https://www.amazon.co.jp/dp/B0X,\n",
    )
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(monkeypatch, "--db", db, "listings", "import", str(path)) == 0  # not refused
    out, err = capsys.readouterr()
    assert "imported 5 listings" in out
    warnings = err.strip().splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith(
        f"{path}:2: warning: source https://tea.myshopify.com/products/tee (shopify) names no "
        "variant (sku TEE-1): if its variants differ in availability the listing reads UNKNOWN"
    )
    assert "'variant' column" in warnings[0]
    assert "?variant=ID in the URL" in warnings[0]
    assert warnings[1].startswith(f"{path}:5: warning: source https://w.example/p/x (woocommerce)")
    assert "(sku TEE-4)" in warnings[1]
    (named,) = read_listings_csv(path).listings[2].sources
    assert named.variant == "1盒"


def test_one_sku_in_several_marketplaces_must_agree_on_its_stock_terms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sku,marketplace,asin,handling_days,default_quantity,source\n"
        "S-1,US,,3,2,https://shop.example/a\n"
        "S-1,CA,,3,2,https://shop.example/a\n"  # the same pool: fine
        "S-1,MX,,3,5,https://shop.example/a\n"  # another quantity for the one pool
        "S-2,US,,3,1,https://shop.example/b\n"
        "S-2,CA,,3,1,https://shop.example/c\n",  # other sources
    )
    parsed = read_listings_csv(path)
    assert [(item.sku, item.marketplace) for item in parsed.listings] == [
        ("S-1", "US"), ("S-1", "CA"), ("S-2", "US"),
    ]  # fmt: skip
    assert [e.split(": ", 1)[0] for e in parsed.errors] == [f"{path}:4", f"{path}:6"]
    assert "also listed on line 2" in parsed.errors[0]
    assert "also listed on line 5" in parsed.errors[1]
