"""YahooItemApi against the local fake over real HTTP: both ways to read, refusals, quotas."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockguard.core.clock import ManualClock
from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.doubles.apis.yahoo import FakeYahoo, demo_items
from stockguard.suppliers.apis.base import ItemApi
from stockguard.suppliers.apis.yahoo import (
    ENV_APP_ID,
    Via,
    YahooCredentials,
    YahooItemApi,
    code_from_url,
    parse_code,
    search_verdict,
)
from stockguard.suppliers.base import Reading

APP_ID = "dj00aiZpPXRlc3QtYXBwLWlkJnM9Y29uc3VtZXJzZWNyZXQmeD0xMg--"
CREDS = YahooCredentials(APP_ID)
KETTLE, DRYER, MUG = "kaden-shop_ab-1200", "kaden-shop_cd-300", "zakka-store_mug-blue"
VIAS = ["search", "lookup"]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeYahoo]:
    with FakeYahoo(demo_items(), [APP_ID], clock) as server:
        yield server


def api_for(
    fake: FakeYahoo,
    http: httpx.Client,
    clock: ManualClock,
    via: Via = "search",
    creds: YahooCredentials = CREDS,
) -> YahooItemApi:
    return YahooItemApi(creds, http=http, clock=clock, base_url=fake.base_url, via=via)


def one(api: YahooItemApi, code: str) -> Reading:
    return api.read([code])[code]


@pytest.mark.parametrize("via", VIAS)
def test_in_stock_with_price(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock, via: Via
) -> None:
    api: ItemApi = api_for(fake, http, clock, via)
    verdict = api.read([KETTLE])[KETTLE]  # listed twice by the search (ad + organic)
    assert verdict.availability is Availability.IN_STOCK
    assert verdict.price == Money(Decimal(4980), "JPY")
    assert (api.name, api.batch_size, api.quota.calls_per_day) == ("yahoo", 1, 50_000)


@pytest.mark.parametrize("via", VIAS)
def test_sold_out(fake: FakeYahoo, http: httpx.Client, clock: ManualClock, via: Via) -> None:
    verdict = one(api_for(fake, http, clock, via), DRYER)
    assert verdict.availability is Availability.OUT_OF_STOCK


def test_in_stock_is_a_filter_the_client_never_sends(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock
) -> None:
    answer = http.get(
        f"{fake.base_url}/ShoppingWebService/V3/itemSearch",
        params={"appid": APP_ID, "seller_id": "kaden-shop", "in_stock": "true"},
    )
    assert DRYER not in {hit["code"] for hit in answer.json()["hits"]}
    clock.advance(1)
    assert one(api_for(fake, http, clock), DRYER).availability is Availability.OUT_OF_STOCK


def test_by_jan_within_the_store(fake: FakeYahoo, http: httpx.Client, clock: ManualClock) -> None:
    verdict = one(api_for(fake, http, clock), f"{KETTLE}@4905524535815")
    assert verdict.availability is Availability.IN_STOCK


@pytest.mark.parametrize("via", VIAS)
def test_unknown_code_is_unknown_never_out(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock, via: Via
) -> None:
    verdict = one(api_for(fake, http, clock, via), "kaden-shop_zz-999")
    assert verdict.availability is Availability.UNKNOWN
    assert verdict.reason is UnknownReason.NOT_IN_FEED


def test_a_malformed_code_is_unknown_without_a_call(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock
) -> None:
    assert one(api_for(fake, http, clock), "no-underscore").reason is UnknownReason.ERROR
    assert sum(fake.statuses.values()) == 0


@pytest.mark.parametrize("via", VIAS)
def test_a_wrong_app_id_is_blocked_and_never_shown(
    fake: FakeYahoo,
    http: httpx.Client,
    clock: ManualClock,
    via: Via,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="suppliers")
    wrong = YahooCredentials("dj00aiZpPXdyb25nLWFwcC1pZA--")
    verdict = one(api_for(fake, http, clock, via, wrong), KETTLE)
    assert (verdict.availability, verdict.reason) == (Availability.UNKNOWN, UnknownReason.BLOCKED)
    assert "401" in verdict.evidence
    assert wrong.app_id not in verdict.evidence
    assert wrong.app_id not in caplog.text
    assert wrong.app_id not in repr(wrong)


def test_over_one_call_a_second_is_429(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock
) -> None:
    api = api_for(fake, http, clock)
    assert one(api, MUG).availability is Availability.IN_STOCK
    refused = one(api, MUG)
    assert (refused.reason, "429" in refused.evidence) == (UnknownReason.BLOCKED, True)
    clock.advance(1)
    assert one(api, MUG).availability is Availability.IN_STOCK


def test_the_daily_limit_pauses_until_midnight_in_japan_and_says_so_once(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # 15:00 JST
    with FakeYahoo(demo_items(), [APP_ID], clock, daily_limit=3) as fake:
        api = api_for(fake, http, clock)
        for _ in range(3):
            assert one(api, MUG).availability is Availability.IN_STOCK
            clock.advance(1)
        refused = one(api, MUG)
        assert (refused.reason, "403" in refused.evidence) == (UnknownReason.BLOCKED, True)
        assert api.paused_until == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 00:00 JST
        for _ in range(5):  # the rest of the day: UNKNOWN without calling
            clock.advance(600)
            assert one(api, MUG).reason is UnknownReason.BLOCKED
        assert fake.statuses == {200: 3, 403: 1}
        assert sum("403" in r.getMessage() for r in caplog.records) == 1
        clock.advance(9 * 3600)  # past midnight in Japan: a new day's calls
        assert one(api, MUG).availability is Availability.IN_STOCK
        assert api.paused_until is None


@pytest.mark.parametrize("fault", ["malformed", "wrong-shape", "500", "503"])
@pytest.mark.parametrize("via", VIAS)
def test_a_broken_answer_is_an_error(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock, fault: str, via: Via
) -> None:
    fake.set_fault(fault)
    verdict = one(api_for(fake, http, clock, via), KETTLE)
    assert (verdict.availability, verdict.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)
    if fault == "503":
        assert "API_MAINTENANCE" in verdict.evidence


@pytest.mark.parametrize("via", VIAS)
def test_a_batch_of_codes_at_one_call_a_second_without_429(
    fake: FakeYahoo, http: httpx.Client, clock: ManualClock, via: Via
) -> None:
    api = api_for(fake, http, clock, via)
    wanted = {
        KETTLE: Availability.IN_STOCK,
        DRYER: Availability.OUT_OF_STOCK,
        MUG: Availability.IN_STOCK,
        "zakka-store_gone": Availability.UNKNOWN,
    }
    seen: dict[str, Reading] = {}
    for code in wanted:
        seen |= api.read([code])
        clock.advance(1.0)
    assert {c: v.availability for c, v in seen.items()} == wanted
    assert fake.statuses[429] == 0
    fake.set_in_stock(DRYER, True)
    assert one(api, DRYER).availability is Availability.IN_STOCK
    with pytest.raises(ValueError, match="1 code per call"):
        api.read([KETTLE, MUG])


def test_codes_and_urls() -> None:
    assert parse_code("kaden-shop_ab_1200@4905524535815").item == "ab_1200"
    assert code_from_url("https://store.shopping.yahoo.co.jp/kaden-shop/ab-1200.html") == KETTLE
    for bad in ("kaden-shop", "_x", "Store_x", "s_x@123"):
        with pytest.raises(ValueError, match="not a Yahoo code"):
            parse_code(bad)
    with pytest.raises(ValueError, match="not a Yahoo! Shopping item URL"):
        code_from_url("https://shopping.yahoo.co.jp/search?p=kettle")


def test_credentials_come_from_the_environment_only() -> None:
    assert YahooCredentials.from_env({}) is None
    assert YahooCredentials.from_env({ENV_APP_ID: APP_ID}) == CREDS


hits_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "code": st.sampled_from([KETTLE, MUG, KETTLE.upper(), f"{KETTLE} "]),
            "inStock": st.one_of(st.none(), st.booleans(), st.integers(0, 1), st.just("true")),
            "price": st.one_of(st.none(), st.integers(0, 10**6), st.just("¥")),
        },
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hits_strategy)
def test_in_stock_only_when_every_hit_of_the_exact_code_says_true(
    hits: list[dict[str, object]],
) -> None:
    verdict = search_verdict(parse_code(KETTLE), {"hits": hits})
    mine = [h for h in hits if h.get("code") == KETTLE]
    if verdict.availability is Availability.IN_STOCK:
        assert mine
        assert all(h.get("inStock") is True for h in mine)
    if not mine:
        assert verdict.availability is Availability.UNKNOWN


def test_duplicates_that_disagree_are_unknown() -> None:
    hits = [{"code": KETTLE, "inStock": True, "price": 1}, {"code": KETTLE, "inStock": False}]
    assert search_verdict(parse_code(KETTLE), {"hits": hits}).availability is Availability.UNKNOWN
