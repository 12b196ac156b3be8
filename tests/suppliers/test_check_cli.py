"""``stockguard check`` and ``stockguard suppliers list`` end to end.

``check URL`` runs against a real HTTP server on 127.0.0.1 through the real fetcher;
``--html`` parses a saved page; ``--sku`` reads the listing's sources from a real SQLite
store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from stockguard.cli import cli
from stockguard.core.domain import Listing, Source, SourceKind
from stockguard.core.store import open_store
from stockguard.core.store.listings import save_listings
from tests.suppliers.test_fetch import LocalServer, html_pages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "suppliers"
IN_STOCK = (FIXTURES / "generic" / "jsonld-in-stock-with-decoys.html").read_bytes()
SOLD_OUT = (FIXTURES / "generic" / "visible-sold-out-beats-jsonld.html").read_bytes()
JSON_KEYS = {"availability", "quantity", "price", "currency", "ships_within_days", "evidence",
             "reason", "adapter", "http_status", "content_hash"}  # fmt: skip


@pytest.fixture
def shop() -> Iterator[str]:
    pages = {
        "/products/bowl": (200, IN_STOCK),
        "/products/cup": (200, SOLD_OUT),
        "/products/gone": (503, b"<html><body>busy</body></html>"),
    }
    server = LocalServer(routes=html_pages(pages))
    yield server.url("")
    server.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "stockguard.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
        '[suppliers]\nretries = 0\nmin_gap_seconds = 0.0\nallow_private = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return (result.return_value if isinstance(result.return_value, int) else 0), result.output


def test_suppliers_list_shows_adapters_and_hosts(config: Path) -> None:
    code, out = _run(config, "suppliers", "list")
    assert code == 0
    assert "amazon.co.jp" in out
    assert "yodobashi.com" in out
    assert "woocommerce" in out
    assert "recognised from the page" in out


def test_check_fetches_and_prints_the_evidence(config: Path, shop: str) -> None:
    code, out = _run(config, "check", f"{shop}/products/bowl")
    assert code == 0
    assert out.startswith("IN_STOCK")
    assert "evidence: JSON-LD offers.availability=InStock" in out


def test_check_json_has_the_documented_keys(config: Path, shop: str) -> None:
    code, out = _run(config, "check", f"{shop}/products/cup", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= JSON_KEYS
    assert data["availability"] == "OUT_OF_STOCK"
    assert (data["price"], data["currency"], data["http_status"]) == ("49.00", "USD", 200)


def test_check_of_a_refusing_shop_is_unknown_and_exit_1(config: Path, shop: str) -> None:
    code, out = _run(config, "check", f"{shop}/products/gone", "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["availability"], data["reason"]) == ("UNKNOWN", "blocked")


def test_check_html_parses_a_saved_page_as_if_fetched(config: Path) -> None:
    page = FIXTURES / "amazon" / "jp-low-stock.html"
    code, out = _run(
        config, "check", "https://www.amazon.co.jp/dp/B0TESTASIN", "--html", str(page), "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert (data["availability"], data["quantity"], data["adapter"]) == ("IN_STOCK", 3, "amazon")
    assert (data["price"], data["currency"]) == ("2200", "JPY")


def test_check_accept_used_changes_the_verdict(config: Path) -> None:
    page = str(FIXTURES / "amazon" / "com-used-only.html")
    url = "https://www.amazon.com/dp/B0TESTUSED"
    assert (
        json.loads(_run(config, "check", url, "--html", page, "--json")[1])["availability"]
        == "OUT_OF_STOCK"
    )
    out = _run(
        config, "check", url, "--html", page, "--json", "--accept", "new", "--accept", "used"
    )[1]
    assert json.loads(out)["availability"] == "IN_STOCK"


def test_check_sku_checks_every_page_source(config: Path, shop: str, tmp_path: Path) -> None:
    db = open_store(f"sqlite:///{tmp_path / 's.db'}")
    sources = (Source(SourceKind.PAGE, f"{shop}/products/bowl"),
               Source(SourceKind.PAGE, f"{shop}/products/cup"))  # fmt: skip
    save_listings(db, [Listing("MUG-01", "US", sources=sources)], datetime.now(UTC))
    db.dispose()
    code, out = _run(config, "check", "--sku", "MUG-01", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["availability"] for r in rows] == ["IN_STOCK", "OUT_OF_STOCK"]


def test_check_without_url_or_sku_is_a_usage_error(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "check"], standalone_mode=False)
    assert result.exception is not None
