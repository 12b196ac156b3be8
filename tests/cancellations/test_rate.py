"""Cancellation rate against hand-computed histories (every expected number is a literal).

Calendar used throughout: Los Angeles switches to daylight time on Sunday 2026-03-08, so a US
local day starts at 08:00Z up to 03-08 and at 07:00Z from 03-09; Tokyo is always UTC+9.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from stockguard.cancellations.chart import percent
from stockguard.cancellations.rate import (
    Treatment,
    allowed_cancellations,
    as_fraction,
    budget,
    classify,
    counts_by_day,
    daily_series,
    local_day,
    local_midnight,
    orders_for_next_slot,
    seller_orders,
)
from stockguard.core.domain import Order, OrderStatus, Party
from tests.cancellations.rate_orders import JP, US, at, order, plain

TARGET = Fraction(1, 40)  # 2.5%


def series(orders: list[Order], first: date, last: date, market: str = US) -> list[tuple]:
    tz = "America/Los_Angeles" if market == US else "Asia/Tokyo"
    mine = seller_orders(orders, market)
    days = daily_series(counts_by_day(mine, tz), "XX", first, last, TARGET)
    return [(d.day, d.orders, d.cancellations, d.rate, d.budget) for d in days]


def test_target_from_a_float_is_exact() -> None:
    assert as_fraction(0.025) == Fraction(1, 40)
    assert Fraction(0.025) != Fraction(1, 40)  # why as_fraction exists
    assert as_fraction("0.01") == Fraction(1, 100)


@pytest.mark.parametrize(
    ("orders", "cancelled", "target", "allowed", "left"),
    [
        (40, 0, TARGET, 0, 0),  # 40 x 1/40 = 1 -> ceil 1 - 1 = 0: one stock-out is 2.5%, not under
        (41, 0, TARGET, 1, 1),  # 41/40 = 1.025 -> ceil 2 - 1 = 1 (1/41 = 2.44%)
        (100, 1, TARGET, 2, 1),  # 2.5 -> ceil 3 - 1 = 2; 2 - 1 = 1 (2/100 = 2%, 3/100 = 3%)
        (200, 2, TARGET, 4, 2),  # 5 -> 5 - 1 = 4; 4 - 2 = 2 (5/200 is exactly 2.5%: not under)
        (10, 1, TARGET, 0, 0),  # 0.25 -> 1 - 1 = 0; 0 - 1 < 0 -> 0 (already over)
        (1000, 0, Fraction(1, 100), 9, 9),  # Amazon's example target 1%: 10 - 1 = 9
        (0, 0, TARGET, 0, 0),  # no orders: nothing can be absorbed
    ],
)
def test_budget_by_hand(
    orders: int, cancelled: int, target: Fraction, allowed: int, left: int
) -> None:
    assert allowed_cancellations(orders, target) == allowed
    assert budget(orders, cancelled, target) == left


def test_new_orders_needed_for_one_more_cancellation() -> None:
    # n=100, c=1, budget 1 -> budget 2 needs ceil(N/40) - 1 >= 3, N > 120: 121 - 100 = 21
    assert orders_for_next_slot(100, 1, TARGET) == 21
    # n=0, c=0 -> the first cancellation needs N > 40: 41 orders
    assert orders_for_next_slot(0, 0, TARGET) == 41
    # over target: n=10, c=1, budget 0 -> ceil(N/40) - 1 >= 2, N > 80: 81 - 10 = 71
    assert orders_for_next_slot(10, 1, TARGET) == 71


def test_window_with_no_orders_has_no_rate_and_no_budget() -> None:
    rows = series([], date(2026, 3, 10), date(2026, 3, 10))
    assert rows == [(date(2026, 3, 10), 0, 0, None, 0)]
    assert percent(None) == "n/a"


def test_classification_follows_the_rules() -> None:
    t = "2026-03-05T18:00Z"
    assert classify(order("a", t)) is Treatment.NOT_CANCELLED
    assert (
        classify(order("b", t, cancelled_by=Party.MERCHANT, reason="NoInventory"))
        is Treatment.SELLER
    )
    assert classify(order("c", t, cancelled_by=Party.AMAZON)) is Treatment.AMAZON_AUTO
    assert classify(order("d", t, cancelled_by=Party.BUYER)) is Treatment.BUYER_SELF
    official = order(
        "e", t, cancelled_by=Party.MERCHANT, requested_by=Party.BUYER, reason="BuyerCanceled"
    )
    assert classify(official) is Treatment.OFFICIAL_REQUEST
    v2026 = order(
        "f",
        t,
        cancelled_by=Party.MERCHANT,
        requested_by=Party.BUYER,
        reason="Buyer requested cancellation",
    )
    assert classify(v2026) is Treatment.OFFICIAL_REQUEST
    wrong = order("g", t, cancelled_by=Party.MERCHANT, item_flag=True, reason="NoInventory")
    assert classify(wrong) is Treatment.WRONG_REASON
    # Orders v0: cancelled, nobody named, no official request -> counted, flagged
    assert classify(order("h", t, status=OrderStatus.CANCELLED)) is Treatment.UNKNOWN_EXECUTOR


def _us_history() -> list[Order]:
    """The US history of the window tests (report day 2026-03-10, window 03-04..03-10)."""
    return [
        order("o-before", "2026-03-04T07:59:59Z"),  # 03-03 23:59:59 PST: day before the window
        order("o-first", "2026-03-04T08:00Z", cancelled_by=Party.MERCHANT, reason="NoInventory"),
        order("o-auto", "2026-03-05T18:00Z", cancelled_by=Party.AMAZON),
        order(
            "o-official",
            "2026-03-06T18:00Z",
            cancelled_by=Party.MERCHANT,
            requested_by=Party.BUYER,
            reason="BuyerCanceled",
        ),
        order(
            "o-wrong",
            "2026-03-07T18:00Z",
            cancelled_by=Party.MERCHANT,
            item_flag=True,
            reason="NoInventory",
        ),
        order("o-self", "2026-03-08T18:00Z", cancelled_by=Party.BUYER),
        order("o-fba", "2026-03-08T19:00Z", cancelled_by=Party.MERCHANT, fulfilled_by="AMAZON"),
        *plain(116, "2026-03-09T18:00Z"),  # 03-09 11:00 PDT
        order("o-last", "2026-03-11T06:59:59Z"),  # 03-10 23:59:59 PDT: last second inside
        order("o-after", "2026-03-11T07:00Z"),  # 03-11 00:00 PDT: outside
        order("o-jp", "2026-03-08T18:00Z", market=JP, cancelled_by=Party.MERCHANT),
    ]


def test_window_edges_exclusions_and_budget_by_hand() -> None:
    rows = series(_us_history(), date(2026, 3, 9), date(2026, 3, 11))
    assert rows == [
        # 03-03..03-09: o-before, o-first, o-auto, o-official, o-wrong + 116 = 121 orders
        # (o-self is not an order, o-fba not seller-fulfilled, o-jp another marketplace);
        # counted: o-first, o-auto, o-wrong = 3; 121/40 = 3.025 -> ceil 4 - 1 = 3 -> budget 0
        (date(2026, 3, 9), 121, 3, Fraction(3, 121), 0),
        # 03-04..03-10: o-before leaves, o-last (23:59:59 local) enters: 121 orders, 3 counted
        (date(2026, 3, 10), 121, 3, Fraction(3, 121), 0),
        # 03-05..03-11: o-first (00:00 on 03-04) leaves, o-after enters: 121 orders, 2 counted;
        # allowed 3 - 2 = budget 1
        (date(2026, 3, 11), 121, 2, Fraction(2, 121), 1),
    ]
    assert percent(Fraction(3, 121)) == "2.48%"  # under 2.5%, yet no room for one more


def test_wrong_reason_is_counted_and_buyer_canceled_is_not() -> None:
    base = plain(40, "2026-03-09T18:00Z")
    official = order(
        "x",
        "2026-03-09T19:00Z",
        cancelled_by=Party.MERCHANT,
        requested_by=Party.BUYER,
        reason="BuyerCanceled",
    )
    wrong = order(
        "x",
        "2026-03-09T19:00Z",
        cancelled_by=Party.MERCHANT,
        requested_by=Party.BUYER,
        reason="NoInventory",
    )
    day = date(2026, 3, 9)
    # 41 orders, 0 counted: ceil(41/40) - 1 = 1 -> budget 1
    assert series([*base, official], day, day) == [(day, 41, 0, Fraction(0), 1)]
    # 41 orders, 1 counted: 1/41 = 2.44%, budget 1 - 1 = 0
    assert series([*base, wrong], day, day) == [(day, 41, 1, Fraction(1, 41), 0)]


def test_time_zones_put_the_same_instant_on_different_local_days() -> None:
    instant = at("2026-03-09T23:30Z")
    assert local_day(instant, "America/Los_Angeles") == date(2026, 3, 9)  # 16:30 PDT
    assert local_day(instant, "Asia/Tokyo") == date(2026, 3, 10)  # 08:30 JST
    assert local_midnight(date(2026, 3, 4), "America/Los_Angeles") == at("2026-03-04T08:00Z")
    assert local_midnight(date(2026, 3, 10), "America/Los_Angeles") == at("2026-03-10T07:00Z")
    history = [
        *plain(9, "2026-03-05T03:00Z", prefix="us"),  # US 03-04 19:00 PST
        order("us-x", "2026-03-09T23:30Z", cancelled_by=Party.MERCHANT),
        *plain(9, "2026-03-05T03:00Z", market=JP, prefix="jp"),  # JP 03-05 12:00
        order("jp-x", "2026-03-09T23:30Z", market=JP, cancelled_by=Party.MERCHANT),
    ]
    first, last = date(2026, 3, 9), date(2026, 3, 10)
    # US: the cancellation is on 03-09, inside both windows: 10 orders, 1 counted
    assert [r[1:3] for r in series(history, first, last, US)] == [(10, 1), (10, 1)]
    # JP: the cancellation is on 03-10: 9 orders, none counted on 03-09; 10 and 1 on 03-10
    assert [r[1:3] for r in series(history, first, last, JP)] == [(9, 0), (10, 1)]
