"""Amazon's account-health cancellation figure: both key spellings, fractions, bad input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import Engine

from stockguard.cancellations.health import parse_account_health
from stockguard.cancellations.report_run import fetch_health
from stockguard.cancellations.store.mail import latest_health, save_health
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings
from stockguard.core.errors import InputError
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

SCHEMA = "spapi-models/json-schemas/accountHealthReport-2020-11-18.json"


def report(**cancel: Any) -> dict[str, Any]:
    """A schema-valid V2 report: US with the schema's key, JP with another figure."""
    metric = {
        "reportingDateRange": {
            "reportingDateFrom": "2026-03-03T00:00Z",
            "reportingDateTo": "2026-03-09T23:59Z",
        },
        "orderCount": 121,
        "cancellationCount": 3,
        "status": "GOOD",
        "rate": 0.0248,
        "targetValue": 0.025,
        "targetCondition": "LESS_THAN",
    }
    metric.update(cancel)
    jp = dict(metric, orderCount=40, cancellationCount=2, rate=0.05, status="BAD")
    return {
        "accountStatuses": [
            {"marketplaceId": "ATVPDKIKX0DER", "status": "NORMAL"},
            {"marketplaceId": "A1VC38T7YXB528", "status": "AT_RISK"},
        ],
        "performanceMetrics": [
            {"marketplaceId": "ATVPDKIKX0DER", "preFulfillmentCancellationRate": metric},
            {"marketplaceId": "A1VC38T7YXB528", "preFulfillmentCancellationRate": jp},
            {"marketplaceId": "A2EUQ1WTGCTBG2"},  # no cancellation metric: simply absent
        ],
    }


def test_schema_spelling_and_fractions() -> None:
    us, jp = parse_account_health(report())
    assert (us.marketplace_id, us.metric_key) == ("ATVPDKIKX0DER", "preFulfillmentCancellationRate")
    assert (us.order_count, us.cancellation_count) == (121, 3)
    assert (us.rate, us.target) == (Decimal("0.0248"), Decimal("0.025"))  # fractions, exact
    assert us.date_to == datetime(2026, 3, 9, 23, 59, tzinfo=UTC)
    assert (jp.rate, jp.status) == (Decimal("0.05"), "BAD")


def test_own_metric_objects_are_valid_against_the_schema(shared_dir: Path) -> None:
    # The schema requires every account-health metric per marketplace; the cancellation
    # metric objects of the fixture are checked against that metric's own sub-schema.
    schema = json.loads((shared_dir / SCHEMA).read_text(encoding="utf-8"))
    item = schema["properties"]["performanceMetrics"]["items"]["properties"]
    sub = {**item["preFulfillmentCancellationRate"], "definitions": schema["definitions"]}
    for entry in report()["performanceMetrics"][:2]:
        jsonschema.Draft7Validator(sub).validate(entry["preFulfillmentCancellationRate"])
    bad = dict(report()["performanceMetrics"][0]["preFulfillmentCancellationRate"], rate="2.5%")
    assert not jsonschema.Draft7Validator(sub).is_valid(bad)


def test_amazons_own_example_uses_the_other_spelling(shared_dir: Path) -> None:
    schema = json.loads((shared_dir / SCHEMA).read_text(encoding="utf-8"))
    (figure,) = parse_account_health(schema["examples"][0])
    assert figure.metric_key == "prefulfillmentCancelRate"
    assert (figure.order_count, figure.cancellation_count) == (17197, 551)
    assert (figure.rate, figure.target) == (Decimal("0.005"), Decimal("0.01"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate": 2.48}, "rate: 2.48 is not a fraction"),  # a percentage is refused, not guessed
        ({"targetValue": "abc"}, "targetValue: expected a number"),
        ({"orderCount": -1}, "orderCount: expected a whole number"),
        (
            {"reportingDateRange": {"reportingDateFrom": "2026-03-03T00:00Z"}},
            "reportingDateTo: missing",
        ),
    ],
)
def test_bad_values_are_refused_with_their_path(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_account_health(report(**change), where="health.json")
    assert "performanceMetrics[0].preFulfillmentCancellationRate" in caught.value.message


def test_not_a_v2_report() -> None:
    with pytest.raises(InputError, match="no performanceMetrics"):
        parse_account_health({"accountStatuses": []})


def test_stored_figures_come_back_newest_per_marketplace(db: Engine) -> None:
    older = parse_account_health(report())
    newer_doc = copy.deepcopy(report())
    newer_doc["performanceMetrics"][0]["preFulfillmentCancellationRate"]["rate"] = 0.0331
    save_health(db, older, datetime(2026, 3, 10, tzinfo=UTC))
    save_health(db, parse_account_health(newer_doc)[:1], datetime(2026, 3, 11, tzinfo=UTC))
    latest = latest_health(db)
    assert latest["ATVPDKIKX0DER"].rate == Decimal("0.0331")
    assert latest["ATVPDKIKX0DER"].fetched_at == datetime(2026, 3, 11, tzinfo=UTC)
    assert latest["A1VC38T7YXB528"].rate == Decimal("0.05")
    assert latest["A1VC38T7YXB528"].date_from == datetime(2026, 3, 3, tzinfo=UTC)


def test_fetched_through_the_gateway_from_the_emulator(db: Engine, clock: ManualClock) -> None:
    # Amazon's own example spelling, served by the local SP-API emulator over real HTTP.
    document = report()
    for entry in document["performanceMetrics"][:2]:
        entry["prefulfillmentCancelRate"] = entry.pop("preFulfillmentCancellationRate")
    seed = {"seller_id": EMULATOR_SELLER_ID, "account_health": {"report": document}}
    with Emulator(seed, clock=clock) as emulator:
        settings = AmazonSettings(
            seller_id=EMULATOR_SELLER_ID, endpoint=emulator.base_url, lwa_endpoint=emulator.base_url
        )
        with AmazonGateway(settings, EMULATOR_SECRETS, clock) as gateway:
            figures = fetch_health(db, gateway, clock.now())
    assert [(f.marketplace_id, f.metric_key, f.rate) for f in figures] == [
        ("ATVPDKIKX0DER", "prefulfillmentCancelRate", Decimal("0.0248")),
        ("A1VC38T7YXB528", "prefulfillmentCancelRate", Decimal("0.05")),
    ]
    assert latest_health(db)["ATVPDKIKX0DER"].order_count == 121
