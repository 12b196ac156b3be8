"""Supplier pages read through their item API: Yahoo! Shopping item pages by their URL, Rakuten
item pages by the code `listings import` resolved once at the API and stored (``api_codes``).
Real HTTP against the local fakes; unresolved URLs stay pages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, inspect

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.cli.wiring import api_checker
from stockguard.core.clock import ManualClock, SystemClock
from stockguard.core.config import Settings, parse_settings, read_api_secrets
from stockguard.core.domain import Availability, Source, SourceKind
from stockguard.core.store import open_store
from stockguard.core.store.api_codes import save_code, stored_codes
from stockguard.core.store.db import apply_migrations, schema_version
from stockguard.doubles.apis.rakuten import FakeRakuten, FakeRakutenApp, FakeRakutenItem
from stockguard.doubles.apis.yahoo import FakeYahoo, FakeYahooItem
from stockguard.suppliers.apis import page_items

RAKUTEN = [
    FakeRakutenItem("teashop:10000001", "matcha-01", "抹茶", 1980),
    FakeRakutenItem("teashop:10000002", "whisk-02", "茶筅", 2480, available=False),
]
YAHOO = [FakeYahooItem("kyoto-store_kyusu9", "急須", 3980)]
ENV = {
    "STOCKGUARD_RAKUTEN_APP_ID": "app-1",
    "STOCKGUARD_RAKUTEN_ACCESS_KEY": "key-1",
    "STOCKGUARD_YAHOO_APP_ID": "yahoo-app-1",
}
MATCHA = "https://item.rakuten.co.jp/teashop/matcha-01/"
WHISK = "https://item.rakuten.co.jp/teashop/whisk-02/"
GONE = "https://item.rakuten.co.jp/teashop/no-such-slug/"
KYUSU = "https://store.shopping.yahoo.co.jp/kyoto-store/kyusu9.html"


def test_page_item_maps_yahoo_pages_and_only_resolved_rakuten_pages() -> None:
    assert page_items.page_item(KYUSU) == ("yahoo", "kyoto-store_kyusu9")
    assert page_items.page_item("https://store.shopping.yahoo.co.jp/Kyoto-Store/a_b.html") == (
        "yahoo",
        "kyoto-store_a_b",
    )
    assert page_items.page_item("https://store.shopping.yahoo.co.jp/kyoto-store/") is None
    assert page_items.page_item(MATCHA) is None  # the slug is not the code: never guessed
    assert page_items.page_item(MATCHA, {MATCHA: "teashop:10000001"}) == (
        "rakuten",
        "teashop:10000001",
    )
    assert page_items.page_item(WHISK, {MATCHA: "teashop:10000001"}) is None


@pytest.fixture
def fakes() -> Iterator[tuple[FakeRakuten, FakeYahoo]]:
    clock = SystemClock()  # the import paces its calls on the real clock
    with (
        FakeRakuten(RAKUTEN, [FakeRakutenApp("app-1", "key-1")], clock) as rakuten,
        FakeYahoo(YAHOO, ["yahoo-app-1"], clock) as yahoo,
    ):
        yield rakuten, yahoo


def config(tmp_path: Path, rakuten: FakeRakuten, yahoo: FakeYahoo) -> Path:
    path = tmp_path / "stockguard.toml"
    path.write_text(
        f'[apis.rakuten]\nendpoint = "{rakuten.base_url}"\naudit_share = 0.0\n'
        f'[apis.yahoo]\nendpoint = "{yahoo.base_url}"\naudit_share = 0.0\n',
        encoding="utf-8",
    )
    return path


def catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.csv"
    rows = [
        "sku,marketplace,asin,handling_days,default_quantity,source,source_2",
        f"TEA-1,US,B0TEST0001,3,2,{MATCHA},",
        f"TEA-2,US,B0TEST0002,3,2,{WHISK},{KYUSU}",
        f"TEA-3,US,B0TEST0003,3,2,{GONE},",
        f"TEA-4,US,B0TEST0004,3,2,{MATCHA},",  # the same URL: resolved once
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def stockguard(
    mp: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    mp.setattr(sys, "argv", ["stockguard", *args])
    code = run_guarded(cli)
    out, err = capsys.readouterr()
    return code, out, err


def test_import_resolves_rakuten_pages_once_and_warns_for_the_unresolved(
    fakes: tuple[FakeRakuten, FakeYahoo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'shop.db'}"
    args = ("--db", db_url, "--config", str(config(tmp_path, *fakes)), "listings", "import")
    path = catalogue(tmp_path)

    code, out, err = stockguard(monkeypatch, capsys, *args, str(path))

    assert code == 0, err
    assert f"{path}:4: warning: {GONE}: Rakuten item code not resolved, read as a page" in err
    assert "app-1" not in err + out
    assert "key-1" not in err + out
    assert "2 resolved, 0 already known, 1 not resolved" in out
    db = open_store(db_url)
    try:
        assert stored_codes(db, "rakuten") == {
            MATCHA: "teashop:10000001",
            WHISK: "teashop:10000002",
        }
        calls = sum(fakes[0].statuses.values())
        code, out, err = stockguard(monkeypatch, capsys, *args, str(path))  # again
        assert code == 0
        assert f"{GONE}: Rakuten item code not resolved" in err
        assert sum(fakes[0].statuses.values()) == calls + 1  # only the unresolved one again
    finally:
        db.dispose()


def test_import_without_rakuten_credentials_asks_nothing(
    fakes: tuple[FakeRakuten, FakeYahoo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    db_url = f"sqlite:///{tmp_path / 'shop.db'}"
    args = ("--db", db_url, "--config", str(config(tmp_path, *fakes)), "listings", "import")

    code, out, err = stockguard(monkeypatch, capsys, *args, str(catalogue(tmp_path)))

    assert code == 0
    assert "warning" not in err
    assert "Rakuten item codes" not in out
    assert sum(fakes[0].statuses.values()) == 0


def with_env(settings: Settings) -> Settings:
    found = {name: read_api_secrets(name, api, ENV) for name, api in settings.apis.items()}
    return replace(settings, api_secrets=found)


def test_the_checker_reads_resolved_rakuten_and_yahoo_pages_through_their_apis(
    db: Engine, clock: ManualClock
) -> None:
    with (
        FakeRakuten(RAKUTEN, [FakeRakutenApp("app-1", "key-1")], clock) as rakuten,
        FakeYahoo(YAHOO, ["yahoo-app-1"], clock) as yahoo,
    ):
        raw = {
            "apis": {
                "rakuten": {"endpoint": rakuten.base_url, "audit_share": 0.0},
                "yahoo": {"endpoint": yahoo.base_url, "audit_share": 0.0},
            }
        }
        checker = api_checker(with_env(parse_settings(raw)), clock, db)
        try:
            pages = [Source(SourceKind.PAGE, url) for url in (MATCHA, WHISK, KYUSU)]
            assert checker.route(pages[1]) is None  # not resolved yet: a page
            save_code(db, "rakuten", WHISK, "teashop:10000002", clock.now())
            seen = {o.source_ref: o for o in checker.check(pages)}
            assert checker.route(pages[0]) is None  # MATCHA was never resolved
            assert set(seen) == {WHISK, KYUSU}
            assert seen[WHISK].availability is Availability.OUT_OF_STOCK
            assert seen[WHISK].adapter == "api:rakuten"
            assert seen[KYUSU].availability is Availability.IN_STOCK
            assert seen[KYUSU].adapter == "api:yahoo"
        finally:
            checker.close()


def test_a_version_3_store_gets_the_api_codes_table(db: Engine) -> None:
    from stockguard.core.store.api_code_tables import api_codes

    with db.begin() as conn:  # as a store made before version 4 was
        api_codes.drop(conn)
        conn.execute(delete(schema_version).where(schema_version.c.version == 4))

    assert apply_migrations(db) == [4]
    assert "api_codes" in inspect(db).get_table_names()
