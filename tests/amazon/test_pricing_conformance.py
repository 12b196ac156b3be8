"""Product Pricing answers of the emulator hold to productPricingV0.json, through the client.

The checker's real transport (python-amazon-sp-api) asks getItemOffersBatch for items in every
state the emulator can answer (buyable, points, shipping later, no offers, Amazon's false zero,
ActiveButTooSoonForProcessing, an unknown ASIN), getItemOffers for one, and a throttled
batch; every request body and JSON answer in the emulator's log is then validated against
Amazon's model, objects closed as in test_conformance.py (allOf parts merged first).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stockguard.core.amazon.gateway_pricing import PricingTransport
from stockguard.core.clock import ManualClock
from stockguard.core.domain import marketplace
from stockguard.core.errors import ApiQuotaRefused
from stockguard.doubles.emulator import Emulator
from tests.amazon.spapi_models import PRICING_OPERATIONS
from tests.amazon.test_conformance import _check_record
from tests.apis.emulated import CREDENTIALS

pytestmark = pytest.mark.shared

SEED = {
    "offers": [
        {
            "asin": "B0JPCONF01",
            "offers": [{"price": 1980, "points": 20, "fba": True, "prime": True}],
        },
        {
            "asin": "B0JPCONF02",
            "offers": [
                {"seller_id": "A2X", "price": 1500, "shipping": 500},
                {"price": 2400, "ships": "FUTURE_WITH_DATE", "available_date": "2026-02-01"},
                {"seller_id": "A3Y", "price": 2600, "ships": "FUTURE_WITHOUT_DATE"},
            ],
        },
        {"asin": "B0JPCONF03", "offers": []},
        {"asin": "B0JPCONF04", "offers": [{"price": 900}]},
        {"asin": "B0JPCONF05", "status": "ActiveButTooSoonForProcessing", "offers": []},
    ]
}


def test_pricing_requests_and_answers_match_the_model(shared_dir: Path) -> None:
    clock = ManualClock()
    with Emulator(SEED, clock=clock) as emu:
        transport = PricingTransport(
            marketplace("JP"), CREDENTIALS, endpoint=emu.base_url, lwa_endpoint=emu.base_url
        )
        try:
            emu.false_zero_offers(["B0JPCONF04"])
            asins = [f"B0JPCONF0{n}" for n in range(1, 6)] + ["B0NOSUCH01"]
            answers = transport.item_offers_batch(asins)
            assert [a["status"]["statusCode"] for a in answers] == [200] * 5 + [400]
            single = transport._client.get_item_offers("B0JPCONF02", "New")  # its own bucket
            assert single.payload["ASIN"] == "B0JPCONF02"
            with pytest.raises(ApiQuotaRefused):
                transport.item_offers_batch(["B0JPCONF01"])  # within 10 s of the last: 429
        finally:
            transport.close()
        records = [r for r in emu.request_log if r.operation in PRICING_OPERATIONS]
    assert {(r.operation, r.status) for r in records} == {
        ("getItemOffersBatch", 200),
        ("getItemOffers", 200),
        ("getItemOffersBatch", 429),
    }
    problems = [p for r in records for p in _check_record(shared_dir, r)]
    assert problems == []
