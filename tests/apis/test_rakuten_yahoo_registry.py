"""Rakuten and Yahoo! Shopping as configured item APIs: `[apis.rakuten]` / `[apis.yahoo]`
settings and credentials from the environment, built by the registry, read through the
checker against their local fakes over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from stockguard.cli.api_checker import ApiChecker
from stockguard.cli.apis import build_readers
from stockguard.core.clock import ManualClock
from stockguard.core.config import Settings, parse_settings, read_api_secrets
from stockguard.core.domain import Availability, Source, SourceKind
from stockguard.doubles.apis.rakuten import FakeRakuten, FakeRakutenApp, FakeRakutenItem
from stockguard.doubles.apis.yahoo import FakeYahoo, FakeYahooItem

RAKUTEN = [
    FakeRakutenItem("teashop:matcha-01", "matcha-01", "抹茶", 1980),
    FakeRakutenItem("teashop:whisk-02", "whisk-02", "茶筅", 2480, available=False),
]
YAHOO = [
    FakeYahooItem("kyoto-store_kyusu9", "急須", 3980),
    FakeYahooItem("kyoto-store_hashi3", "箸", 880, in_stock=False),
]
ENV = {
    "STOCKGUARD_RAKUTEN_APP_ID": "app-1",
    "STOCKGUARD_RAKUTEN_ACCESS_KEY": "key-1",
    "STOCKGUARD_YAHOO_APP_ID": "yahoo-app-1",
}


def with_env(settings: Settings, env: dict[str, str]) -> Settings:
    """The settings with each API's credentials read from ``env`` (as from the environment)."""
    found = {name: read_api_secrets(name, api, env) for name, api in settings.apis.items()}
    return replace(settings, api_secrets=found)


@pytest.fixture
def checker(clock: ManualClock) -> Iterator[ApiChecker]:
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
        settings = with_env(parse_settings(raw), ENV)
        readers = build_readers(settings, clock)
        assert sorted(readers) == ["rakuten", "yahoo"]
        api = ApiChecker(readers, clock, horizon_seconds=60)
        yield api
        api.close()


def source(api: str, code: str) -> Source:
    return Source(SourceKind.API, f"api:{api}:{code}", supplier=api)


def test_rakuten_and_yahoo_sources_are_read_through_their_apis(checker: ApiChecker) -> None:
    sources = [
        source("rakuten", "teashop:matcha-01"),
        source("rakuten", "teashop:whisk-02"),
        source("yahoo", "kyoto-store_kyusu9"),
        source("yahoo", "kyoto-store_hashi3"),
        source("yahoo", "kyoto-store_gone"),
    ]
    seen = {o.source_ref: o for o in checker.check(sources)}
    states = {ref: o.availability for ref, o in seen.items()}
    assert states == {
        "api:rakuten:teashop:matcha-01": Availability.IN_STOCK,
        "api:rakuten:teashop:whisk-02": Availability.OUT_OF_STOCK,
        "api:yahoo:kyoto-store_kyusu9": Availability.IN_STOCK,
        "api:yahoo:kyoto-store_hashi3": Availability.OUT_OF_STOCK,
        "api:yahoo:kyoto-store_gone": Availability.UNKNOWN,
    }
    assert {o.adapter for o in seen.values()} == {"api:rakuten", "api:yahoo"}


def test_missing_credentials_leave_the_api_out(clock: ManualClock) -> None:
    raw = {"apis": {"rakuten": {"endpoint": "http://127.0.0.1:9"}}}
    settings = with_env(parse_settings(raw), {})
    assert build_readers(settings, clock) == {}
