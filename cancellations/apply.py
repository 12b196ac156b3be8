"""Applying planned cancellations: one acknowledgement feed, crash-safe, never sent twice.

See ``cancellations.service`` for the whole flow. The order of writes is what makes it safe:
``sending`` is committed before the feed is submitted and ``sent`` with the feed id right
after, so a resumed run polls a known feed instead of resending, and re-checks the order's
current state when a crash left no feed id behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from stockguard.cancellations.ackfeed import AckFeed, AckItem, AckOrder, build_ack_feed
from stockguard.cancellations.feedresult import order_errors
from stockguard.cancellations.ports import CancellationGateway, Hook, ZeroListing, gateway_zeroer
from stockguard.cancellations.reasons import why_not_cancellable
from stockguard.cancellations.store import cancellation_plan as plan_store
from stockguard.cancellations.store.cancellation_plan import CancellationRow, CancelState
from stockguard.core.clock import Clock
from stockguard.core.domain import CancelReason, Order, OrderStatus
from stockguard.core.errors import AmazonError, StockguardError
from stockguard.core.store.orders import upsert_orders


@dataclass
class ApplyResult:
    """What ``apply_cancellations`` did, per order."""

    feed_ids: list[str] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)  # order id -> reason / how
    failed: dict[str, str] = field(default_factory=dict)  # order id -> Amazon's error
    refused: dict[str, str] = field(default_factory=dict)  # order id -> why not sent
    resumed: list[str] = field(default_factory=list)  # feed ids polled from an earlier run
    zeroed: list[str] = field(default_factory=list)  # SKUs re-zeroed after a restock
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing went wrong."""
        return not self.failed and not self.errors


def apply_cancellations(
    db: Engine,
    gateway: CancellationGateway,
    clock: Clock,
    *,
    zero: ZeroListing | None = None,
    hook: Hook | None = None,
    retry_failed: bool = False,
) -> ApplyResult:
    """Send every planned cancellation once; resume what an earlier run left in flight."""
    result = ApplyResult()
    zero = zero or gateway_zeroer(gateway)
    hook = hook or (lambda _stage: None)
    _resume_sent(db, gateway, clock, result)
    if retry_failed:
        failed = plan_store.rows_in(db, [CancelState.FAILED])
        plan_store.claim(db, failed, CancelState.FAILED, CancelState.PLANNED, clock.now())
    cleared = _recheck(db, gateway, clock, result)
    _send(db, gateway, clock, result, hook, cleared)
    _restock_zeros(db, zero, clock, result)
    return result


def _resume_sent(
    db: Engine, gateway: CancellationGateway, clock: Clock, result: ApplyResult
) -> None:
    by_feed: dict[str, list[CancellationRow]] = {}
    for row in plan_store.rows_in(db, [CancelState.SENT]):
        by_feed.setdefault(row.feed_id or "", []).append(row)
    for feed_id, rows in by_feed.items():
        if not feed_id:  # cannot happen (sent always carries one); never resend blindly
            result.errors.append(f"{len(rows)} sent cancellation(s) without a feed id")
            continue
        result.resumed.append(feed_id)
        _await_feed(db, gateway, clock, result, feed_id, rows, None)


def _recheck(
    db: Engine, gateway: CancellationGateway, clock: Clock, result: ApplyResult
) -> set[str]:
    """Fetch each order about to be cancelled and decide: done, refused, or cleared to send.

    getOrder, not a search: a search by lastUpdatedAfter does not show the last two minutes,
    and an order that shipped a minute ago must not be cancelled.
    """
    cleared: set[str] = set()
    rows = plan_store.rows_in(db, [CancelState.PLANNED, CancelState.SENDING])
    for order_id, group in _by_order(rows).items():
        try:
            order = gateway.get_order(order_id)
        except AmazonError as exc:  # cannot re-check: not sent this time, tried next apply
            result.errors.append(f"order {order_id}: re-check failed: {exc.message}")
            continue
        if order is not None:
            upsert_orders(db, [order], clock.now())
        verdict = _judge(order)
        if verdict is None:
            stuck = [r for r in group if r.state is CancelState.SENDING]
            # No feed id was recorded and the order is still open: nothing that reached
            # Amazon cancelled it, so sending again is the only way to cancel it.
            plan_store.claim(db, stuck, CancelState.SENDING, CancelState.PLANNED, clock.now())
            cleared.add(order_id)
            continue
        state, why = verdict
        plan_store.finish(db, [r.id for r in group], state, clock.now(), why)
        if state is CancelState.DONE:
            result.done[order_id] = f"{group[0].reason}: {why}"
        else:
            result.refused[order_id] = why
    return cleared


def _judge(order: Order | None) -> tuple[CancelState, str] | None:
    """None when the order may be cancelled now; else the final state and why."""
    if order is None:
        return CancelState.REFUSED, "Amazon does not know this order"
    if order.status is OrderStatus.CANCELLED:
        return CancelState.DONE, f"already cancelled (by {order.cancelled_by or 'unknown'})"
    why = why_not_cancellable(order)
    return None if why is None else (CancelState.REFUSED, why)


def _by_order(rows: list[CancellationRow]) -> dict[str, list[CancellationRow]]:
    grouped: dict[str, list[CancellationRow]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


def _send(
    db: Engine,
    gateway: CancellationGateway,
    clock: Clock,
    result: ApplyResult,
    hook: Hook,
    cleared: set[str],
) -> None:
    planned = [r for r in plan_store.rows_in(db, [CancelState.PLANNED]) if r.order_id in cleared]
    if not planned:
        return
    moved = set(
        plan_store.claim(db, planned, CancelState.PLANNED, CancelState.SENDING, clock.now())
    )
    rows = [r for r in planned if r.id in moved]  # another applier may have claimed some
    grouped = _by_order(rows)
    batch = [
        AckOrder(order_id, tuple(AckItem(r.order_item_id, CancelReason(r.reason)) for r in group))
        for order_id, group in grouped.items()
    ]
    feed = build_ack_feed(gateway.settings.seller_id, batch)
    hook("sending")
    try:
        feed_id = gateway.submit_order_acknowledgements(feed.xml)
    except AmazonError as exc:
        _submit_failed(db, clock, result, rows, exc)
        return
    hook("submitted")
    ids = {order_id: number for number, order_id in feed.message_ids.items()}
    plan_store.claim(
        db,
        rows,
        CancelState.SENDING,
        CancelState.SENT,
        clock.now(),
        feed_id=feed_id,
        message_ids=ids,
    )
    result.feed_ids.append(feed_id)
    hook("sent")
    _await_feed(db, gateway, clock, result, feed_id, rows, feed)


def _submit_failed(
    db: Engine,
    clock: Clock,
    result: ApplyResult,
    rows: list[CancellationRow],
    exc: AmazonError,
) -> None:
    result.errors.append(f"submitting the acknowledgement feed failed: {exc.message}")
    if exc.transient:
        return  # it may have reached Amazon: left `sending`, re-checked on the next apply
    plan_store.finish(db, [r.id for r in rows], CancelState.FAILED, clock.now(), exc.message)
    for order_id in _by_order(rows):
        result.failed[order_id] = exc.message


def _await_feed(
    db: Engine,
    gateway: CancellationGateway,
    clock: Clock,
    result: ApplyResult,
    feed_id: str,
    rows: list[CancellationRow],
    feed: AckFeed | None,
) -> None:
    try:
        answer = gateway.wait_for_feed(feed_id)
    except AmazonError as exc:  # still `sent`: the next apply polls it again
        result.errors.append(f"feed {feed_id}: reading its report failed: {exc.message}")
        return
    by_order = _by_order(rows)
    message_ids = feed.message_ids if feed else _message_ids(rows)
    errors = order_errors(answer, message_ids, list(by_order))
    for order_id, group in by_order.items():
        ids = [r.id for r in group]
        if order_id in errors and not _cancelled_anyway(db, gateway, clock, order_id):
            plan_store.finish(db, ids, CancelState.FAILED, clock.now(), errors[order_id])
            result.failed[order_id] = errors[order_id]
        elif order_id in errors:
            how = f"cancelled (feed {feed_id} said: {errors[order_id]})"
            plan_store.finish(db, ids, CancelState.DONE, clock.now(), how)
            result.done[order_id] = f"{group[0].reason}: {how}"
        else:
            plan_store.finish(db, ids, CancelState.DONE, clock.now(), f"feed {feed_id}")
            result.done[order_id] = group[0].reason


def _cancelled_anyway(
    db: Engine, gateway: CancellationGateway, clock: Clock, order_id: str
) -> bool:
    """An error like "already cancelled" (a resend after a crash) is not a failure."""
    try:
        order = gateway.get_order(order_id)
    except AmazonError:
        return False  # cannot tell: reported as failed, which keeps the order in sight
    if order is None:
        return False
    upsert_orders(db, [order], clock.now())
    return order.status is OrderStatus.CANCELLED


def _message_ids(rows: list[CancellationRow]) -> dict[int, str]:
    return {r.message_id: r.order_id for r in rows if r.message_id is not None}


def _restock_zeros(db: Engine, zero: ZeroListing, clock: Clock, result: ApplyResult) -> None:
    """Quantity 0 after every done BuyerCanceled: Amazon put the cancelled units back."""
    reason = CancelReason.BUYER_CANCELED.value
    for order_id, sku, marketplace_id in plan_store.pending_restock_zeros(db, reason):
        try:
            zero(sku, marketplace_id)
        except StockguardError as exc:  # not recorded: retried by the next apply
            result.errors.append(f"order {order_id} SKU {sku}: re-zeroing failed: {exc.message}")
            continue
        plan_store.record_zero(
            db, order_id, sku, plan_store.RESTOCK_CAUSE, marketplace_id, clock.now()
        )
        result.zeroed.append(sku)
