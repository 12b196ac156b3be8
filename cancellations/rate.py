"""The cancellation rate, computed the way Amazon defines it (pure: Orders in, figures out).

Definitions (seller-rules.md, amazon-sp-api.md §5, pitfalls 1 and 15), decided once here:

* Only seller-fulfilled orders (``fulfilled_by == "MERCHANT"``) of one marketplace count.
* **Window.** The window of report day D is the ``window_days`` local calendar days D-6 .. D
  (both included) in the marketplace's time zone; an order belongs to it by its *purchase*
  time converted to that zone: ``local_midnight(D-6) <= purchased_at < local_midnight(D+1)``.
  A counted cancellation therefore leaves the window on ``purchase_day + window_days``.
* **Orders** (denominator): every seller-fulfilled order in the window, except pending orders
  the buyer cancelled directly (``cancelled_by == BUYER``): Amazon does not include those.
* **Seller cancellations** (numerator): cancelled orders executed by the seller, by Amazon
  (auto-cancel for unconfirmed shipment), or by nobody known (Orders v0 does not say who:
  counted, flagged). An official buyer request (``cancel_requested_by == BUYER`` or an item's
  ``buyer_requested_cancel``) cancelled with a buyer reason is excluded; cancelled with any
  other reason (e.g. NoInventory) it is *counted* and flagged as a mistake (pitfall 1: the
  reason decides whether Amazon treats it as the buyer's request; counting errs on the safe
  side of the seller's metric).
* **Rate** ``c / n`` as an exact Fraction; ``None`` ("n/a") when the window has no orders.
* **Budget** (target condition LESS_THAN, "keep it under 2.5%"): the most seller
  cancellations the window may hold is the largest ``m`` with ``m / n < target``, i.e.
  ``ceil(target * n) - 1``; the budget is that minus ``c``, never below 0 (0 with no orders).
  Integer arithmetic on Fractions: 40 orders at 2.5% allow 0 cancellations, 41 allow 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from stockguard.core.domain import Order, OrderStatus, Party

MERCHANT = "MERCHANT"
_BUYER_REASONS = ("buyercanceled", "buyercancelled")


class Treatment(StrEnum):
    """How one order enters the rate."""

    NOT_CANCELLED = "not-cancelled"  # an order, no cancellation
    SELLER = "seller"  # counted
    AMAZON_AUTO = "amazon-auto"  # counted: Amazon cancelled (unconfirmed shipment)
    UNKNOWN_EXECUTOR = "unknown-executor"  # counted and flagged: cancelled, nobody named
    WRONG_REASON = "wrong-reason"  # counted and flagged: official request, non-buyer reason
    OFFICIAL_REQUEST = "official-request"  # an order, cancellation excluded
    BUYER_SELF = "buyer-self-cancel"  # neither order nor cancellation


COUNTED = frozenset(
    {Treatment.SELLER, Treatment.AMAZON_AUTO, Treatment.UNKNOWN_EXECUTOR, Treatment.WRONG_REASON}
)


def as_fraction(value: Fraction | Decimal | float | str) -> Fraction:
    """An exact Fraction; a float goes through its shortest repr (0.025 -> 1/40, not 0.0250…01)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(Decimal(value)) if isinstance(value, str) else Fraction(value)


def request_scope(order: Order) -> str:
    """What the buyer asked with Amazon's official "Request cancellation": ``"whole"`` (every
    item flagged, or the order's requester BUYER with no item flagged), ``"partial"`` (some
    items flagged: a whole-order cancellation must not serve it) or ``"none"``. The one rule
    for the rate, the intake and the cancellation reasons."""
    flagged = [item.buyer_requested_cancel for item in order.items]
    if flagged and all(flagged):
        return "whole"
    if any(flagged):
        return "partial"
    return "whole" if order.cancel_requested_by is Party.BUYER else "none"


def is_official_request(order: Order) -> bool:
    """True when the buyer used Amazon's official "Request cancellation" option."""
    return request_scope(order) != "none"


def is_buyer_reason(reason: str | None) -> bool:
    """BuyerCanceled, or a v2026 execution reason naming the buyer; no reason known: assumed so."""
    if reason is None:
        return True
    squashed = "".join(ch for ch in reason.lower() if ch.isalpha())
    return squashed in _BUYER_REASONS or "buyer" in squashed


def classify(order: Order) -> Treatment:
    """How ``order`` enters the rate (see the module docstring)."""
    cancelled = order.status is OrderStatus.CANCELLED or order.cancelled_by is not None
    if not cancelled:
        return Treatment.NOT_CANCELLED
    if order.cancelled_by is Party.BUYER:
        return Treatment.BUYER_SELF
    if order.cancelled_by is Party.AMAZON:
        return Treatment.AMAZON_AUTO
    if is_official_request(order):
        if is_buyer_reason(order.cancel_reason):
            return Treatment.OFFICIAL_REQUEST
        return Treatment.WRONG_REASON
    if order.cancelled_by is Party.MERCHANT:
        return Treatment.SELLER
    return Treatment.UNKNOWN_EXECUTOR


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar date of ``moment`` (aware) in ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    """The aware instant at which ``day`` starts in ``timezone`` (DST-correct)."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))


def allowed_cancellations(orders: int, target: Fraction) -> int:
    """The most seller cancellations ``orders`` orders can hold and stay strictly under target."""
    if orders <= 0:
        return 0
    return math.ceil(target * orders) - 1


def budget(orders: int, cancellations: int, target: Fraction) -> int:
    """How many more seller cancellations fit before the rate reaches the target (>= 0)."""
    if orders <= 0:
        return 0
    return max(0, allowed_cancellations(orders, target) - cancellations)


def orders_for_next_slot(orders: int, cancellations: int, target: Fraction) -> int | None:
    """New, uncancelled orders needed before the budget grows by one (None: target is 0).

    The budget rises to b+1 once ``ceil(t*N) - 1 >= c + b + 1``, i.e. ``N > (c+b+1)/t``.
    """
    if target <= 0:
        return None
    wanted = cancellations + budget(orders, cancellations, target) + 1
    return max(0, math.floor(wanted / target) + 1 - orders)


def rate_of(orders: int, cancellations: int) -> Fraction | None:
    """``cancellations / orders``, or None when there were no orders."""
    return Fraction(cancellations, orders) if orders else None


@dataclass(frozen=True)
class DayFigures:
    """The window ending on ``day`` for one marketplace."""

    marketplace: str
    day: date
    first_day: date
    orders: int
    cancellations: int
    target: Fraction

    @property
    def rate(self) -> Fraction | None:
        return rate_of(self.orders, self.cancellations)

    @property
    def budget(self) -> int:
        return budget(self.orders, self.cancellations, self.target)

    @property
    def at_or_over_target(self) -> bool:
        rate = self.rate
        return rate is not None and rate >= self.target


@dataclass(frozen=True)
class DayCounts:
    """Orders and counted cancellations purchased on one local day."""

    orders: int = 0
    cancellations: int = 0


def seller_orders(orders: Iterable[Order], marketplace_id: str) -> list[Order]:
    """The marketplace's seller-fulfilled orders."""
    return [o for o in orders if o.marketplace_id == marketplace_id and o.fulfilled_by == MERCHANT]


def counts_by_day(orders: Iterable[Order], timezone: str) -> dict[date, DayCounts]:
    """Orders and counted cancellations per local purchase day (orders already filtered)."""
    totals: dict[date, list[int]] = {}
    for order in orders:
        treatment = classify(order)
        if treatment is Treatment.BUYER_SELF:
            continue
        slot = totals.setdefault(local_day(order.purchased_at, timezone), [0, 0])
        slot[0] += 1
        slot[1] += treatment in COUNTED
    return {day: DayCounts(n, c) for day, (n, c) in totals.items()}


def daily_series(
    counts: dict[date, DayCounts],
    marketplace: str,
    first: date,
    last: date,
    target: Fraction,
    window_days: int = 7,
) -> list[DayFigures]:
    """One DayFigures per report day from ``first`` to ``last`` (inclusive)."""
    series = []
    day = first
    while day <= last:
        start = day - timedelta(days=window_days - 1)
        inside = [counts[d] for d in _days(start, day) if d in counts]
        series.append(
            DayFigures(
                marketplace=marketplace,
                day=day,
                first_day=start,
                orders=sum(c.orders for c in inside),
                cancellations=sum(c.cancellations for c in inside),
                target=target,
            )
        )
        day += timedelta(days=1)
    return series


def _days(first: date, last: date) -> Sequence[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
