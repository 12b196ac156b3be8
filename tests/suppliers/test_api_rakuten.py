"""RakutenItemApi against the local fake over real HTTP: verdicts, refusals, quota, resolving."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockguard.core.clock import ManualClock
from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.core.errors import ConfigError, SupplierBlocked, SupplierError
from stockguard.doubles.apis.rakuten import (
    FakeRakuten,
    FakeRakutenApp,
    FakeRakutenItem,
    demo_items,
)
from stockguard.suppliers.apis.base import ItemApi
from stockguard.suppliers.apis.rakuten import (
    ENV_ACCESS_KEY,
    ENV_APP_ID,
    RakutenCredentials,
    RakutenItemApi,
)
from stockguard.suppliers.apis.rakuten_answers import item_verdict
from stockguard.suppliers.base import Reading

APP_ID = "1a3cdfd9-0000-4000-8000-00000000c0de"
KEY = "pk_test_0123456789abcdef0123456789"
SITE = "https://seller.example"
CREDS = RakutenCredentials(APP_ID, KEY)
APPS = [FakeRakutenApp(APP_ID, KEY), FakeRakutenApp("web-app-uuid", "pk_web_app_key_1", SITE)]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeRakuten]:
    with FakeRakuten(demo_items(), APPS, clock) as server:
        yield server


def api_for(
    fake: FakeRakuten,
    http: httpx.Client,
    clock: ManualClock,
    creds: RakutenCredentials = CREDS,
    **options: str,
) -> RakutenItemApi:
    return RakutenItemApi(creds, http=http, clock=clock, base_url=fake.base_url, **options)


def test_in_stock_with_price_and_the_contract(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    api: ItemApi = api_for(fake, http, clock)
    verdict = api.read(["amiami:13050893"])["amiami:13050893"]
    assert verdict.availability is Availability.IN_STOCK
    assert verdict.price == Money(Decimal(8800), "JPY")  # sent as the string "8800"
    assert "availability=1" in verdict.evidence
    assert (api.name, api.batch_size, api.quota.calls_per_second) == ("rakuten", 1, 1.0)


def test_sold_out_comes_back_because_availability_0_is_sent(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    verdict = api_for(fake, http, clock).read(["kitchen-plus:10000042"])["kitchen-plus:10000042"]
    assert verdict.availability is Availability.OUT_OF_STOCK
    assert "postage separate" in verdict.evidence
    # Without availability=0 the API drops the sold-out item (the pitfall the client avoids).
    clock.advance(1)
    plain = http.get(
        f"{fake.base_url}/ichibams/api/IchibaItem/Search/20260701",
        params={"applicationId": APP_ID, "itemCode": "kitchen-plus:10000042"},
        headers={"accessKey": KEY},
    )
    assert plain.json()["count"] == 0


def test_unknown_code_is_unknown_never_out(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    verdict = api_for(fake, http, clock).read(["amiami:99999999"])["amiami:99999999"]
    assert verdict.availability is Availability.UNKNOWN
    assert verdict.reason is UnknownReason.NOT_IN_FEED
    assert "404" in verdict.evidence


def test_a_malformed_code_is_unknown_without_a_call(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    verdict = api_for(fake, http, clock).read(["https://item.rakuten.co.jp/a/b/"])
    assert next(iter(verdict.values())).reason is UnknownReason.ERROR
    assert sum(fake.statuses.values()) == 0


@pytest.mark.parametrize(
    ("creds", "said"),
    [
        (RakutenCredentials(APP_ID, "pk_not_a_registered_key"), "Invalid Access Key"),
        (RakutenCredentials("0000-wrong-app-id", KEY), "specify valid applicationId"),
        (RakutenCredentials("web-app-uuid", "pk_web_app_key_1"), "REFERRER_MISSING"),
        (
            RakutenCredentials("web-app-uuid", "pk_web_app_key_1", "https://x.example"),
            "NOT_ALLOWED",
        ),
    ],
)
def test_wrong_credentials_are_blocked_and_never_shown(
    fake: FakeRakuten,
    http: httpx.Client,
    clock: ManualClock,
    creds: RakutenCredentials,
    said: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="suppliers")
    verdict = api_for(fake, http, clock, creds).read(["book:17798676"])["book:17798676"]
    assert verdict.availability is Availability.UNKNOWN
    assert verdict.reason is UnknownReason.BLOCKED
    assert said in verdict.evidence
    for secret in (creds.application_id, creds.access_key):
        assert secret not in verdict.evidence
        assert secret not in caplog.text
    assert creds.access_key not in repr(creds)


def test_a_web_application_sends_its_origin(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    creds = RakutenCredentials("web-app-uuid", "pk_web_app_key_1", SITE)
    verdict = api_for(fake, http, clock, creds).read(["book:17798676"])["book:17798676"]
    assert verdict.availability is Availability.IN_STOCK


def test_over_one_call_a_second_is_429_then_paused_then_fine(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    api = api_for(fake, http, clock)
    assert api.read(["book:17798676"])["book:17798676"].availability is Availability.IN_STOCK
    clock.advance(0.5)
    refused = api.read(["book:17798676"])["book:17798676"]
    assert (refused.availability, refused.reason) == (Availability.UNKNOWN, UnknownReason.BLOCKED)
    assert "429" in refused.evidence
    assert api.paused_until is not None
    clock.advance(0.2)  # still inside the back-off: answered without a call
    assert api.read(["book:17798676"])["book:17798676"].reason is UnknownReason.BLOCKED
    assert fake.statuses == {200: 1, 429: 1}
    clock.advance(1.0)
    assert api.read(["book:17798676"])["book:17798676"].availability is Availability.IN_STOCK
    assert api.paused_until is None


@pytest.mark.parametrize("fault", ["malformed", "wrong-shape", "500", "503"])
def test_a_broken_answer_is_an_error(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock, fault: str
) -> None:
    fake.set_fault(fault)
    verdict = api_for(fake, http, clock).read(["book:17798676"])["book:17798676"]
    assert (verdict.availability, verdict.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)


def test_network_failure_is_an_error(http: httpx.Client, clock: ManualClock) -> None:
    with FakeRakuten([], APPS, clock) as gone:
        base = gone.base_url
    api = RakutenItemApi(CREDS, http=http, clock=clock, base_url=base)
    verdict = api.read(["book:17798676"])["book:17798676"]
    assert verdict.reason is UnknownReason.ERROR
    assert APP_ID not in verdict.evidence


def test_a_batch_of_codes_at_one_call_a_second_without_429(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    api = api_for(fake, http, clock)
    wanted = {
        "amiami:13050893": Availability.IN_STOCK,
        "book:17798676": Availability.IN_STOCK,
        "kitchen-plus:10000042": Availability.OUT_OF_STOCK,
        "wear-jp:10000777": Availability.IN_STOCK,
        "book:404": Availability.UNKNOWN,
    }
    seen: dict[str, Reading] = {}
    for code in wanted:
        seen |= api.read([code])
        clock.advance(1.0)
    assert {c: v.availability for c, v in seen.items()} == wanted
    assert "variants ¥1980–¥2480" in seen["wear-jp:10000777"].evidence
    assert fake.statuses[429] == 0
    with pytest.raises(ValueError, match="1 code per call"):
        api.read(["book:17798676", "amiami:13050893"])


def test_sold_out_and_restocked(fake: FakeRakuten, http: httpx.Client, clock: ManualClock) -> None:
    api = api_for(fake, http, clock)
    fake.set_available("book:17798676", False)
    assert api.read(["book:17798676"])["book:17798676"].availability is Availability.OUT_OF_STOCK
    fake.set_available("book:17798676", True)
    clock.advance(1)
    assert api.read(["book:17798676"])["book:17798676"].availability is Availability.IN_STOCK


def test_the_older_version_and_its_shapes_read_the_same(
    http: httpx.Client, clock: ManualClock
) -> None:
    with FakeRakuten(demo_items(), APPS, clock, price_as_text=False) as fake:
        api = api_for(fake, http, clock, version="20260401")  # "Items", integer prices
        verdict = api.read(["amiami:13050893"])["amiami:13050893"]
    assert verdict.availability is Availability.IN_STOCK
    assert verdict.price == Money(Decimal(8800), "JPY")


def test_a_retired_version_is_an_error_reported_once(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_for(fake, http, clock, version="20220601")
    for _ in range(3):
        verdict = api.read(["book:17798676"])["book:17798676"]
        clock.advance(1)
    assert verdict.reason is UnknownReason.ERROR
    assert "API Configuration not found" in verdict.evidence
    assert sum("retired" in r.getMessage() for r in caplog.records) == 1


def test_resolve_item_code_from_the_url_slug(
    fake: FakeRakuten, http: httpx.Client, clock: ManualClock
) -> None:
    api = api_for(fake, http, clock)
    url = "https://item.rakuten.co.jp/amiami/goods-04818580/?s-id=top"
    assert api.resolve_item_code(url) == "amiami:13050893"
    clock.advance(1)  # a sold-out item resolves too (availability=0)
    assert api.resolve_item_code("https://item.rakuten.co.jp/kitchen-plus/pan-26cm") == (
        "kitchen-plus:10000042"
    )
    clock.advance(1)
    with pytest.raises(SupplierError, match="no item among"):
        api.resolve_item_code("https://item.rakuten.co.jp/amiami/goods-00000000/")
    with pytest.raises(SupplierBlocked, match="429"):  # no clock advance: over the quota
        api.resolve_item_code(url)
    with pytest.raises(ValueError, match="not a Rakuten item URL"):
        api.resolve_item_code("https://www.rakuten.co.jp/amiami/")


def test_credentials_come_from_the_environment_only() -> None:
    assert RakutenCredentials.from_env({}) is None
    creds = RakutenCredentials.from_env({ENV_APP_ID: APP_ID, ENV_ACCESS_KEY: KEY})
    assert creds == CREDS
    assert APP_ID not in repr(creds)
    assert KEY not in repr(creds)
    with pytest.raises(ConfigError, match=ENV_ACCESS_KEY):
        RakutenCredentials.from_env({ENV_APP_ID: APP_ID})


items_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "itemCode": st.sampled_from(["book:1", "book:2", "Book:1", "book:1 "]),
            "availability": st.one_of(
                st.none(), st.booleans(), st.integers(-1, 3), st.sampled_from(["0", "1", "yes"])
            ),
            "itemPrice": st.one_of(st.none(), st.integers(), st.text(max_size=5)),
        },
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items_strategy)
def test_in_stock_only_on_an_exact_code_saying_1(items: list[dict[str, object]]) -> None:
    verdict = item_verdict("book:1", items)
    mine = [i for i in items if i.get("itemCode") == "book:1"]
    if verdict.availability is Availability.IN_STOCK:
        assert mine
        assert all(i.get("availability") in (1, "1") for i in mine)
    if not mine:
        assert verdict.availability is Availability.UNKNOWN
    if verdict.availability is Availability.UNKNOWN:
        assert verdict.reason is not None


def test_true_is_not_availability_1() -> None:
    verdict = item_verdict("book:1", [{"itemCode": "book:1", "availability": True}])
    assert verdict.availability is Availability.UNKNOWN


def test_fake_items_keep_code_and_slug_apart() -> None:
    item = FakeRakutenItem("amiami:13050893", "goods-04818580", "x", 1)
    assert item.url == "https://item.rakuten.co.jp/amiami/goods-04818580/"
