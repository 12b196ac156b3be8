"""Leaving dates, tomorrow's projection, flags and offer risk, computed by hand."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from stockguard.cancellations import outlook
from stockguard.cancellations.rate import Treatment, seller_orders
from stockguard.core.domain import Party
from tests.cancellations.rate_orders import US, order, plain
from tests.cancellations.test_rate import _us_history

TZ = "America/Los_Angeles"
TARGET = Fraction(1, 40)


def test_each_counted_cancellation_leaves_seven_days_after_its_purchase_day() -> None:
    mine = seller_orders(_us_history(), US)
    found = outlook.leaving(mine, TZ, date(2026, 3, 10))
    assert [(x.order_id, x.purchased_on, x.leaves_on, x.treatment) for x in found] == [
        ("o-first", date(2026, 3, 4), date(2026, 3, 11), Treatment.SELLER),  # 03-04 + 7
        ("o-auto", date(2026, 3, 5), date(2026, 3, 12), Treatment.AMAZON_AUTO),
        ("o-wrong", date(2026, 3, 7), date(2026, 3, 14), Treatment.WRONG_REASON),
    ]


def test_projection_drops_the_first_day_and_adds_average_orders_and_planned() -> None:
    mine = seller_orders(_us_history(), US)
    ahead = outlook.project(mine, TZ, date(2026, 3, 10), TARGET, planned={"o-last", "o-first"})
    # window 03-04..03-10 = 121 orders; o-first (03-04) drops: 120 kept, counted o-auto, o-wrong;
    # expected new = 121 // 7 = 17 -> 137 orders; planned: o-last counts (+1), o-first dropped
    assert (ahead.day, ahead.orders, ahead.cancellations) == (date(2026, 3, 11), 137, 3)
    assert (ahead.expected_new_orders, ahead.planned) == (17, 1)
    assert ahead.rate == Fraction(3, 137)  # 2.19%: under
    assert not ahead.at_or_over_target


def test_small_seller_projection_crosses_the_target() -> None:
    history = [
        *plain(6, "2026-03-04T18:00Z", prefix="d1-"),  # the day that leaves tomorrow
        *plain(34, "2026-03-09T18:00Z", prefix="d6-"),
    ]
    ahead = outlook.project(history, TZ, date(2026, 3, 10), TARGET, planned={"d6-000"})
    # 40 - 6 = 34 kept; 40 // 7 = 5 new -> 39 orders; 1 planned -> 1/39 = 2.56% >= 2.5%
    assert (ahead.orders, ahead.cancellations, ahead.expected_new_orders) == (39, 1, 5)
    assert ahead.at_or_over_target


def test_flags_name_wrong_reasons_and_unclaimed_cancellations() -> None:
    mine = seller_orders(_us_history(), US)
    found = outlook.flags(mine, TZ, date(2026, 3, 4), date(2026, 3, 10))
    assert [(f.order_id, f.treatment, f.reason) for f in found] == [
        ("o-wrong", Treatment.WRONG_REASON, "NoInventory")
    ]


def test_two_consecutive_seller_cancellations_per_offer() -> None:
    m = Party.MERCHANT
    history = [
        # SKU-A: shipped, seller-cancelled, Amazon-cancelled -> two in a row
        order("a1", "2026-03-01T18:00Z", sku="SKU-A"),
        order("a2", "2026-03-02T18:00Z", sku="SKU-A", cancelled_by=m),
        order("a3", "2026-03-03T18:00Z", sku="SKU-A", cancelled_by=Party.AMAZON),
        # SKU-B: cancelled, shipped, cancelled -> the latest is one: next makes two
        order("b1", "2026-03-01T18:00Z", sku="SKU-B", cancelled_by=m),
        order("b2", "2026-03-02T18:00Z", sku="SKU-B"),
        order("b3", "2026-03-03T18:00Z", sku="SKU-B", cancelled_by=m),
        # SKU-C: an official buyer cancellation between two seller ones does not break the run
        order("c1", "2026-03-01T18:00Z", sku="SKU-C", cancelled_by=m),
        order(
            "c2",
            "2026-03-02T18:00Z",
            sku="SKU-C",
            cancelled_by=m,
            requested_by=Party.BUYER,
            reason="BuyerCanceled",
        ),
        order("c3", "2026-03-03T18:00Z", sku="SKU-C", cancelled_by=m),
        # SKU-D: one cancellation 31 local days ago (02-08, outside 02-09..03-10), one today
        order("d1", "2026-02-08T18:00Z", sku="SKU-D", cancelled_by=m),
        order("d2", "2026-03-10T18:00Z", sku="SKU-D", cancelled_by=m),
        # SKU-E: nothing cancelled -> not listed
        order("e1", "2026-03-03T18:00Z", sku="SKU-E"),
    ]
    risks = outlook.offer_risks(history, TZ, date(2026, 3, 10))
    assert [(r.sku, r.level, r.orders, r.cancellations, r.trailing, r.longest) for r in risks] == [
        ("SKU-A", outlook.TWO_IN_A_ROW, 3, 2, 2, 2),
        ("SKU-C", outlook.TWO_IN_A_ROW, 3, 2, 2, 2),
        ("SKU-B", outlook.NEXT_MAKES_TWO, 3, 2, 1, 1),
        ("SKU-D", outlook.NEXT_MAKES_TWO, 1, 1, 1, 1),
    ]
