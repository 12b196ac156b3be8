"""Plan, then apply: cancellations through the gateway, idempotent and crash-safe.

``plan_cancellations`` routes every open stored order (``reasons.choose_route``), records an
AUTO_CANCEL route as planned rows (idempotency key = order + item + reason) and zeroes the
listings a stock-out or an unknown supplier state puts at risk. ``apply_cancellations``
sends every planned row as ONE POST_ORDER_ACKNOWLEDGEMENT_DATA feed:

1. resume: rows ``sent`` with a feed id are polled, never resent;
2. fetch each order again (getOrder) and re-check it: shipped meanwhile -> refused, already
   cancelled -> done; rows left ``sending`` by a crash (no feed id) are resent only if the
   order is still open;
3. ``sending`` is committed BEFORE submitting, ``sent`` + feed id BEFORE waiting;
4. the processing report marks each order done or failed (failed ones stay open);
5. a done BuyerCanceled is followed by quantity 0 (Amazon restocks those units).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from stockguard.cancellations.apply import ApplyResult, apply_cancellations
from stockguard.cancellations.ports import CancellationGateway, Hook, ZeroListing, gateway_zeroer
from stockguard.cancellations.pull import PullResult, pull_orders
from stockguard.cancellations.reasons import (
    DEFAULT_MAX_AGE,
    Route,
    RouteKind,
    SellerFlag,
    SupplierCheck,
    choose_route,
)
from stockguard.cancellations.store import cancellation_plan as plan_store
from stockguard.cancellations.store.cancellation_plan import CancelState, NewCancellation
from stockguard.core.clock import Clock
from stockguard.core.domain import ListingKey, Order, OrderStatus
from stockguard.core.errors import StockguardError
from stockguard.core.store.orders import load_orders

__all__ = [
    "ApplyResult",
    "CancellationGateway",
    "Hook",
    "Plan",
    "PlannedOrder",
    "RunResult",
    "Verdicts",
    "ZeroListing",
    "apply_cancellations",
    "gateway_zeroer",
    "plan_cancellations",
    "run_cancellations",
]

OPEN_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY, OrderStatus.UNSHIPPED)

# Per SKU (a verdict file: the supplier's stock is the pool's question, its sources are the
# SKU's in every marketplace) or per listing (an order's SKU in the order's marketplace).
Verdicts = Mapping[str, SupplierCheck | None] | Callable[[ListingKey], SupplierCheck | None]


@dataclass(frozen=True)
class PlannedOrder:
    """One routed order, with the state of any cancellation already recorded for it."""

    order: Order
    route: Route
    state: str = ""  # planned / sent / done ... of its recorded rows; "" when none


@dataclass(frozen=True)
class Plan:
    """What ``plan_cancellations`` found and did."""

    entries: tuple[PlannedOrder, ...]
    new_rows: int
    zeroed: tuple[tuple[str, str], ...] = ()  # (sku, cause) zeroed now
    errors: tuple[str, ...] = ()

    @property
    def auto(self) -> tuple[PlannedOrder, ...]:
        """Entries stockguard will cancel itself."""
        return tuple(e for e in self.entries if e.route.kind is RouteKind.AUTO_CANCEL)


def _lookup(verdicts: Verdicts) -> Callable[[ListingKey], SupplierCheck | None]:
    if isinstance(verdicts, Mapping):
        by_sku = verdicts
        return lambda key: by_sku.get(key.sku)
    return verdicts


def plan_cancellations(
    db: Engine,
    clock: Clock,
    verdicts: Verdicts,
    flags: Mapping[str, frozenset[SellerFlag]] | None = None,
    *,
    zero: ZeroListing | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Plan:
    """Route every open order; record AUTO_CANCEL rows; zero listings at risk (if ``zero``)."""
    lookup, now, flags = _lookup(verdicts), clock.now(), flags or {}
    routed: list[tuple[Order, Route]] = []
    wanted: list[NewCancellation] = []
    for order in load_orders(db, statuses=OPEN_ORDER_STATUSES):
        found = {i.sku: lookup(ListingKey(i.sku, order.marketplace_id)) for i in order.items}
        route = choose_route(
            order, found, flags.get(order.order_id, frozenset()), now=now, max_age=max_age
        )
        if route.kind is RouteKind.NONE or (route.kind is RouteKind.NEVER and not route.zero_skus):
            continue
        routed.append((order, route))
        if route.kind is RouteKind.AUTO_CANCEL:
            wanted.extend(_new_rows(order, route))
    new_rows = plan_store.record_planned(db, wanted, now)
    zeroed, errors = _zero_routes(db, routed, zero, clock) if zero else ((), ())
    entries = tuple(PlannedOrder(o, r, _state_of(db, o.order_id)) for o, r in routed)
    return Plan(entries, new_rows, tuple(zeroed), tuple(errors))


def _new_rows(order: Order, route: Route) -> list[NewCancellation]:
    assert route.reason is not None  # AUTO_CANCEL always carries a reason
    skus = {item.order_item_id: item.sku for item in order.items}
    return [
        NewCancellation(
            order_id=order.order_id,
            order_item_id=item_id,
            sku=skus[item_id],
            marketplace_id=order.marketplace_id,
            reason=route.reason.value,
            route=route.kind.value,
            evidence=route.evidence,
        )
        for item_id in route.item_ids
    ]


def _state_of(db: Engine, order_id: str) -> str:
    rows = [r for r in plan_store.all_rows(db, order_id) if r.state is not CancelState.REFUSED]
    return rows[-1].state.value if rows else ""


def _zero_routes(
    db: Engine, routed: list[tuple[Order, Route]], zero: ZeroListing, clock: Clock
) -> tuple[list[tuple[str, str]], list[str]]:
    zeroed: list[tuple[str, str]] = []
    errors: list[str] = []
    for order, route in routed:
        for sku, cause in route.zero_skus:
            if plan_store.zero_recorded(db, order.order_id, sku, cause.value):
                continue
            try:
                zero(sku, order.marketplace_id)
            except StockguardError as exc:  # reported; retried by the next plan
                errors.append(f"order {order.order_id} SKU {sku}: zeroing failed: {exc.message}")
                continue
            plan_store.record_zero(
                db, order.order_id, sku, cause.value, order.marketplace_id, clock.now()
            )
            zeroed.append((sku, cause.value))
    return zeroed, errors


@dataclass(frozen=True)
class RunResult:
    """One scheduled cancellations pass: pull, plan, and (when configured) apply."""

    pull: PullResult
    plan: Plan
    applied: ApplyResult | None


def run_cancellations(
    db: Engine,
    gateway: CancellationGateway,
    clock: Clock,
    verdicts: Verdicts,
    auto_apply: bool,
    *,
    flags: Mapping[str, frozenset[SellerFlag]] | None = None,
    zero: ZeroListing | None = None,
) -> RunResult:
    """What the scheduled service calls: plan always, apply only when ``auto_apply``."""
    zero = zero or gateway_zeroer(gateway)
    pulled = pull_orders(db, gateway, clock)
    plan = plan_cancellations(db, clock, verdicts, flags, zero=zero)
    applied = apply_cancellations(db, gateway, clock, zero=zero) if auto_apply else None
    return RunResult(pulled, plan, applied)
