"""Looking ahead from one report day: when counted cancellations leave the window, tomorrow's
projected rate, orders to flag, and offers close to "two consecutive seller cancellations".

Pure, like ``cancellations.rate`` (whose definitions apply here); orders passed in are one
marketplace's seller-fulfilled orders (``rate.seller_orders``).

* **Projection**: the window ending tomorrow. Today's first window day drops out; new orders
  are estimated as the current window's daily average rounded *down* (fewer orders, higher
  rate: the estimate errs towards warning); planned cancellations still inside tomorrow's
  window are added as seller cancellations. A warning is due when it reaches the target.
* **Offer risk**: per SKU, its orders of the 30 local days ending on the report day, in
  purchase order. A counted cancellation extends a streak, an order that is not cancelled
  ends it; excluded cancellations (official requests, buyer self-cancels) are neutral.
  ``two-in-a-row`` once any streak reached 2 (Amazon may remove the offer);
  ``next-makes-two`` when the latest order was a seller cancellation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from stockguard.cancellations.rate import (
    COUNTED,
    DayCounts,
    Treatment,
    classify,
    local_day,
    rate_of,
)
from stockguard.core.domain import Order

OFFER_DAYS = 30
TWO_IN_A_ROW = "two-in-a-row"
NEXT_MAKES_TWO = "next-makes-two"


@dataclass(frozen=True)
class Leaving:
    """A counted cancellation in the current window and the day it stops counting."""

    order_id: str
    purchased_on: date
    leaves_on: date
    treatment: Treatment


@dataclass(frozen=True)
class Projection:
    """The window ending the day after the report day, under the module's assumptions."""

    day: date
    orders: int
    cancellations: int
    expected_new_orders: int
    planned: int
    target: Fraction

    @property
    def rate(self) -> Fraction | None:
        return rate_of(self.orders, self.cancellations)

    @property
    def at_or_over_target(self) -> bool:
        rate = self.rate
        return rate is not None and rate >= self.target


@dataclass(frozen=True)
class Flag:
    """An order the seller should look at: a wrong reason, or a cancellation nobody claimed."""

    order_id: str
    purchased_on: date
    treatment: Treatment
    reason: str | None


@dataclass(frozen=True)
class OfferRisk:
    """One SKU's seller-cancellation streaks over the last 30 days."""

    sku: str
    orders: int
    cancellations: int
    trailing: int
    longest: int

    @property
    def level(self) -> str | None:
        if self.longest >= 2:
            return TWO_IN_A_ROW
        return NEXT_MAKES_TWO if self.trailing == 1 else None


def _in_window(day: date, window_days: int) -> tuple[date, date]:
    return day - timedelta(days=window_days - 1), day


def leaving(orders: Iterable[Order], tz: str, day: date, window_days: int = 7) -> list[Leaving]:
    """Counted cancellations in the window ending on ``day``, soonest to leave first."""
    first, last = _in_window(day, window_days)
    found = []
    for order in orders:
        treatment = classify(order)
        purchased = local_day(order.purchased_at, tz)
        if treatment in COUNTED and first <= purchased <= last:
            leaves = purchased + timedelta(days=window_days)
            found.append(Leaving(order.order_id, purchased, leaves, treatment))
    return sorted(found, key=lambda item: (item.leaves_on, item.order_id))


def project(
    orders: Iterable[Order],
    tz: str,
    day: date,
    target: Fraction,
    window_days: int = 7,
    planned: Collection[str] = (),
) -> Projection:
    """Tomorrow's window: today's minus its first day, plus average new orders and ``planned``."""
    first, last = _in_window(day, window_days)
    kept = DayCounts()
    planned_inside = 0
    dropped = 0
    for order in orders:
        treatment = classify(order)
        purchased = local_day(order.purchased_at, tz)
        if treatment is Treatment.BUYER_SELF or not first <= purchased <= last:
            continue
        if purchased == first:
            dropped += 1
            continue
        counted = treatment in COUNTED
        extra = not counted and order.order_id in planned
        planned_inside += extra
        kept = DayCounts(kept.orders + 1, kept.cancellations + (counted or extra))
    expected = (kept.orders + dropped) // window_days
    return Projection(
        day=day + timedelta(days=1),
        orders=kept.orders + expected,
        cancellations=kept.cancellations,
        expected_new_orders=expected,
        planned=planned_inside,
        target=target,
    )


def flags(orders: Iterable[Order], tz: str, first: date, last: date) -> list[Flag]:
    """Wrong-reason and unclaimed cancellations purchased between ``first`` and ``last``."""
    found = []
    for order in orders:
        treatment = classify(order)
        if treatment not in (Treatment.WRONG_REASON, Treatment.UNKNOWN_EXECUTOR):
            continue
        purchased = local_day(order.purchased_at, tz)
        if first <= purchased <= last:
            found.append(Flag(order.order_id, purchased, treatment, order.cancel_reason))
    return sorted(found, key=lambda flag: (flag.purchased_on, flag.order_id))


def offer_risks(orders: Iterable[Order], tz: str, day: date) -> list[OfferRisk]:
    """SKUs with a risk level over the ``OFFER_DAYS`` local days ending on ``day``."""
    first, last = _in_window(day, OFFER_DAYS)
    history: dict[str, list[Treatment]] = {}
    recent = [o for o in orders if first <= local_day(o.purchased_at, tz) <= last]
    for order in sorted(recent, key=lambda o: (o.purchased_at, o.order_id)):
        treatment = classify(order)
        for sku in dict.fromkeys(item.sku for item in order.items):
            history.setdefault(sku, []).append(treatment)
    risks = [_streaks(sku, treatments) for sku, treatments in history.items()]
    return sorted(
        (r for r in risks if r.level is not None),
        key=lambda r: (r.level != TWO_IN_A_ROW, r.sku),
    )


def _streaks(sku: str, treatments: list[Treatment]) -> OfferRisk:
    streak = longest = orders = cancellations = 0
    for treatment in treatments:
        if treatment in COUNTED:
            streak += 1
            cancellations += 1
            longest = max(longest, streak)
        elif treatment is Treatment.NOT_CANCELLED:
            streak = 0
        orders += treatment is not Treatment.BUYER_SELF
    return OfferRisk(sku, orders, cancellations, streak, longest)
