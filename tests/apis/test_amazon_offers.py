"""Reading getItemOffersBatch answers: buyable iff a New offer ships now within the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.suppliers.apis.amazon import SourcingRule, read_answer, read_offers

AMAZON = "AN1VRQENFRJN5"


def offer(
    price: float = 1980,
    *,
    seller: str = AMAZON,
    ships: str = "NOW",
    shipping: float = 0,
    points: int = 0,
    fba: bool = False,
    prime: bool = False,
    condition: str = "new",
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "SellerId": seller,
        "SubCondition": condition,
        "ListingPrice": {"CurrencyCode": "JPY", "Amount": price},
        "Shipping": {"CurrencyCode": "JPY", "Amount": shipping},
        "ShippingTime": {"availabilityType": ships},
        "IsFulfilledByAmazon": fba,
        "PrimeInformation": {"IsPrime": prime, "IsNationalPrime": prime},
    }
    if points:
        found["Points"] = {
            "PointsNumber": points,
            "PointsMonetaryValue": {"CurrencyCode": "JPY", "Amount": points},
        }
    return found


def payload(*offers: dict[str, Any], total: int | None = None, status: str = "Success") -> Any:
    count = len(offers) if total is None else total
    return {"status": status, "Summary": {"TotalOfferCount": count}, "Offers": list(offers)}


def test_a_new_offer_that_ships_now_is_in_stock_at_its_price_with_points() -> None:
    verdict = read_offers(payload(offer(2000, shipping=300, points=100)), SourcingRule())
    assert verdict.availability is Availability.IN_STOCK
    assert verdict.price == Money(Decimal("2200"), "JPY")
    assert "2000 + 300 shipping - 100 points = 2200" in verdict.evidence


def test_the_cheapest_buyable_offer_sets_the_price() -> None:
    verdict = read_offers(
        payload(offer(3000), offer(2500, seller="A2X"), offer(100, ships="FUTURE_WITH_DATE")),
        SourcingRule(),
    )
    assert verdict.price == Money(Decimal("2500"), "JPY")


def test_offers_that_do_not_ship_now_are_out_of_stock() -> None:
    verdict = read_offers(
        payload(offer(ships="FUTURE_WITHOUT_DATE"), offer(ships="FUTURE_WITH_DATE")),
        SourcingRule(),
    )
    assert verdict.availability is Availability.OUT_OF_STOCK
    assert "FUTURE_WITHOUT_DATE, FUTURE_WITH_DATE" in verdict.evidence


def test_a_used_offer_does_not_count() -> None:
    verdict = read_offers(payload(offer(condition="used")), SourcingRule())
    assert verdict.availability is Availability.OUT_OF_STOCK


def test_the_sourcing_rule_restricts_what_counts() -> None:
    offers = payload(offer(1000, seller="A2X"), offer(1500, fba=True, prime=True))
    assert read_offers(offers, SourcingRule(prime=True)).price == Money(Decimal("1500"), "JPY")
    assert read_offers(offers, SourcingRule(fulfilled_by_amazon=True)).availability is (
        Availability.IN_STOCK
    )
    capped = read_offers(offers, SourcingRule(prime=True, max_landed_price=Decimal("1400")))
    assert capped.availability is Availability.OUT_OF_STOCK
    assert "landed price 1000 above 1400" not in capped.evidence  # the cheapest is not Prime
    assert "not Prime" in capped.evidence
    points = read_offers(
        payload(offer(1500, points=150)), SourcingRule(max_landed_price=Decimal("1400"))
    )
    assert points.availability is Availability.IN_STOCK  # 1500 - 150 points = 1350


def test_zero_offers_is_unconfirmed_never_out_of_stock() -> None:
    verdict = read_offers(payload(), SourcingRule())
    assert verdict.availability is Availability.UNKNOWN
    assert verdict.reason is UnknownReason.UNCONFIRMED


def test_amazons_own_offer_missing_is_unconfirmed_under_a_sold_by_amazon_rule() -> None:
    verdict = read_offers(payload(offer(seller="A2X")), SourcingRule(sold_by=AMAZON))
    assert verdict.reason is UnknownReason.UNCONFIRMED
    there = read_offers(payload(offer(ships="FUTURE_WITH_DATE")), SourcingRule(sold_by=AMAZON))
    assert there.availability is Availability.OUT_OF_STOCK  # Amazon's offer is there: plain


def test_a_truncated_offer_list_without_a_buyable_offer_is_unconfirmed() -> None:
    verdict = read_offers(payload(offer(ships="FUTURE_WITH_DATE"), total=35), SourcingRule())
    assert verdict.reason is UnknownReason.UNCONFIRMED
    assert "only 1 of 35 offers" in verdict.evidence


def test_too_soon_for_processing_and_item_errors_are_unknown_with_a_reason() -> None:
    soon = read_offers(payload(status="ActiveButTooSoonForProcessing"), SourcingRule())
    assert (soon.availability, soon.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)
    assert "ActiveButTooSoonForProcessing" in soon.evidence
    failed = read_answer(
        {
            "status": {"statusCode": 400},
            "body": {"errors": [{"code": "InvalidInput", "message": "bad ASIN"}]},
        },
        SourcingRule(),
    )
    assert failed.reason is UnknownReason.ERROR
    assert "InvalidInput: bad ASIN" in failed.evidence
    throttled = read_answer({"status": {"statusCode": 429}, "body": {}}, SourcingRule())
    assert throttled.reason is UnknownReason.BLOCKED


OFFERS = st.lists(
    st.builds(
        offer,
        st.integers(1, 10_000),
        seller=st.sampled_from([AMAZON, "A2X"]),
        ships=st.sampled_from(["NOW", "FUTURE_WITH_DATE", "FUTURE_WITHOUT_DATE"]),
        shipping=st.integers(0, 1000),
        points=st.integers(0, 500),
        fba=st.booleans(),
        prime=st.booleans(),
        condition=st.sampled_from(["new", "used"]),
    ),
    max_size=6,
)
RULES = st.builds(
    SourcingRule,
    sold_by=st.sampled_from([None, AMAZON]),
    fulfilled_by_amazon=st.booleans(),
    prime=st.booleans(),
    max_landed_price=st.sampled_from([None, Decimal(500), Decimal(5000)]),
)


@given(OFFERS, RULES, st.integers(0, 40))
def test_in_stock_only_with_a_new_offer_shipping_now_within_the_rule(
    offers: list[dict[str, Any]], rule: SourcingRule, extra: int
) -> None:
    verdict = read_offers(payload(*offers, total=len(offers) + extra), rule)
    buyable = [
        o
        for o in offers
        if o["SubCondition"] == "new"
        and o["ShippingTime"]["availabilityType"] == "NOW"
        and rule.refuses(o) is None
    ]
    assert (verdict.availability is Availability.IN_STOCK) == bool(buyable)
    if not offers or (extra and not buyable):
        assert verdict.availability is Availability.UNKNOWN  # never a false "out of stock"
