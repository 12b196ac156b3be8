"""An untrusted catalogue: internal URLs, sources that can never work, other tools' columns."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.core.clock import ManualClock
from stockguard.core.config import FeedSettings
from stockguard.core.domain import ListingKey, Source, SourceKind
from stockguard.core.errors import FileRefused
from stockguard.core.store import open_store
from stockguard.core.store.listings import count_listings, get_listing
from stockguard.suppliers.addresses import AddressPolicy
from tests.store.test_listings_import import run_cli

HEADER = "sku,marketplace,asin,handling_days,default_quantity,source\n"


def write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, sources: list[str], rules: SourceRules | None = None) -> list[str]:
    rows = "".join(f"S-{n},US,,2,1,{source}\n" for n, source in enumerate(sources))
    return read_listings_csv(write(tmp_path, HEADER + rows), rules).errors


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("http://127.0.0.1:8080/admin", "127.0.0.1 is a loopback address"),
        ("http://localhost:5432/", "localhost is a loopback name"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/p", "fe80::1 is a link-local address"),
        ("http://192.168.0.1/", "192.168.0.1 is a private address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://239.1.2.3/", "239.1.2.3 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("https://user:pass@shop.example/p", "a URL with user:password@ credentials"),
        ("https://shop.example:99999/p", "invalid URL (Port out of range 0-65535)"),
        ("page:shopify:http://10.0.0.8/products/x", "10.0.0.8 is a private address"),
    ],
)
def test_internal_and_credentialled_urls_are_refused_naming_line_and_sku(
    tmp_path: Path, source: str, why: str
) -> None:
    (message,) = errors_of(tmp_path, ["https://ok.example/a", source])
    assert message.startswith(f"{tmp_path / 'c.csv'}:3: source URL ")
    assert why in message
    assert "allow_private" in message
    assert message.endswith("(sku S-1)")


def test_the_allow_list_admits_private_sources(tmp_path: Path) -> None:
    rules = SourceRules(AddressPolicy.allowing(["127.0.0.1", "10.0.0.0/8", "shop.internal"]))
    sources = ["http://127.0.0.1:8080/p", "http://10.1.2.3/p", "http://shop.internal/p"]
    assert errors_of(tmp_path, sources, rules) == []
    assert errors_of(tmp_path, ["http://127.0.0.2/p"], rules) != []


def test_the_cli_takes_the_allow_list_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, HEADER + "L-1,US,,2,1,http://127.0.0.1:8000/p\n")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(monkeypatch, "--db", db, "listings", "import", str(path)) == 1
    assert "127.0.0.1 is a loopback address" in capsys.readouterr().err
    config = tmp_path / "stockguard.toml"
    config.write_text('[suppliers]\nallow_private = ["127.0.0.1"]\n', encoding="utf-8")
    args = ("--config", str(config), "--db", db, "listings", "import", str(path))
    assert run_cli(monkeypatch, *args) == 0


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (
            "feed:tonya:4.90123E+12",
            "item code '4.90123E+12' is in scientific notation (Excel damage: digits lost)",
        ),
        ("feed:tonya:4901234567890", "JAN '4901234567890' has a wrong length or check digit"),
        ("page:shopfy:https://tea.example.jp/p", "unknown adapter 'shopfy'"),
    ],
)
def test_sources_that_can_never_work_are_refused(tmp_path: Path, source: str, why: str) -> None:
    (message,) = errors_of(tmp_path, [source])
    assert ":2: " in message
    assert why in message
    assert message.endswith("(sku S-0)")


def test_feed_codes_are_read_as_the_feed_reads_them(tmp_path: Path) -> None:
    jan_feed = FeedSettings(code_kind="jan")
    padded = FeedSettings(code_zero_pad=8)
    rules = SourceRules(feeds={"tonya": jan_feed, "padded": padded, "plain": FeedSettings()})
    rows = (
        "F-1,US,,2,1,feed:tonya:４９０１２３４５６７８９４\n"  # full-width digits, valid JAN
        "F-2,US,,2,1,feed:tonya:036000291452\n"  # 12 digits: a UPC-A / stripped JAN
        "F-3,US,,2,1,feed:padded:１２３\n"
        "F-4,US,,2,1,feed:plain:1234567890123\n"  # code_kind = code: no JAN rule
        "F-5,US,,2,1,feed:tonya:12345\n"
    )
    parsed = read_listings_csv(write(tmp_path, HEADER + rows), rules)
    assert [item.sources[0] for item in parsed.listings] == [
        Source(SourceKind.FEED, "4901234567894", supplier="tonya"),
        Source(SourceKind.FEED, "0036000291452", supplier="tonya"),
        Source(SourceKind.FEED, "00000123", supplier="padded"),
        Source(SourceKind.FEED, "1234567890123", supplier="plain"),
    ]
    (message,) = parsed.errors
    assert ":6: feed source 'feed:tonya:12345': JAN '12345' has a wrong length" in message


def test_japanese_column_names_are_accepted(tmp_path: Path, db: Engine) -> None:
    text = (
        "出品者SKU,マーケットプレイス,ASIN,出荷作業日数,数量,仕入れ先URL,仕入れ先URL2,商品名\n"
        "和-1,JP,B0TEST0001,3,2,https://a.example/1,feed:tonya:4901234567894,急須\n"
    )
    report = import_listings_file(db, write(tmp_path, text), ManualClock().now())
    assert report.errors == []
    listing = get_listing(db, ListingKey.of("和-1", "JP"))
    assert listing is not None
    assert (listing.marketplace, listing.handling_days, listing.default_quantity) == ("JP", 3, 2)
    assert [s.ref for s in listing.sources] == ["https://a.example/1", "4901234567894"]


def test_every_missing_column_is_named_and_the_cli_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "出品者SKU,ASIN,数量\nX,,1\n")
    with pytest.raises(FileRefused, match="missing required columns 'marketplace', "):
        read_listings_csv(path)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(monkeypatch, "--db", db, "listings", "import", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: {path}: missing required columns 'marketplace', 'handling_days', "
        "'source' (or 'sources', 'source_2'…)"
    )


def test_a_negative_quantity_says_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace("source", "pack_size,source") + "N-1,US,,2,-2,-1,h\n")
    (message,) = read_listings_csv(path).errors
    assert "default_quantity '-2' must be 0 or more" in message
    assert "pack_size '-1' must be 1 or more" in message


def test_an_undecodable_tail_refuses_the_file_before_anything_is_saved(
    tmp_path: Path, db: Engine
) -> None:
    rows = "".join(f"G-{n},US,,2,1,https://s.example/{n}\n" for n in range(1200))
    path = tmp_path / "c.csv"
    path.write_bytes((HEADER + rows).encode() + b"T,US,,2,1,https://s.example/\x82 \n")
    with pytest.raises(FileRefused, match="neither UTF-8 nor Shift_JIS"):
        import_listings_file(db, path, ManualClock().now())
    assert count_listings(db) == 0


def _peak_mb(tmp_path: Path, rows: int) -> float:
    lines = (f"M-{n:06d},US,,2,1,https://s{n % 9}.example/{n}\n" for n in range(rows))
    text = HEADER + "".join(lines)
    path = write(tmp_path, text, f"m{rows}.csv")
    db = open_store(f"sqlite:///{tmp_path / f'm{rows}.db'}")
    tracemalloc.start()
    try:
        report = import_listings_file(db, path, ManualClock().now())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        db.dispose()
    assert report.good == rows
    return peak / 1e6


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small, large = _peak_mb(tmp_path, 600), _peak_mb(tmp_path, 2400)
    assert large < 2 * small, (small, large)  # streamed: 4x the rows, not 4x the memory
