"""What the cancellations service needs from the outside world, as narrow interfaces.

``CancellationGateway`` is the part of ``core.amazon.gateway.AmazonGateway`` used here;
``ZeroListing`` sets a listing to quantity 0 (the push pipeline when the engine wires one in,
else ``gateway_zeroer``: patchListingsItem directly).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.amazon.results import FeedResult, SubmissionResult
from stockguard.core.clock import Clock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import Order, QuantityUpdate
from stockguard.core.errors import CancellationError
from stockguard.core.store import outbox
from stockguard.core.store.outbox import Target

ZeroListing = Callable[[str, str], None]  # (sku, marketplace_id); raises on failure
Hook = Callable[[str], None]  # called with a stage name; tests use it to simulate a crash


class CancellationGateway(Protocol):
    """What the cancellations service needs from ``core.amazon.gateway.AmazonGateway``."""

    settings: AmazonSettings

    def search_orders(
        self, updated_after: datetime, *, marketplace_ids: Sequence[str] = ...
    ) -> list[Order]: ...

    def get_order(self, order_id: str) -> Order | None: ...

    def submit_order_acknowledgements(self, xml: bytes) -> str: ...

    def wait_for_feed(self, feed_id: str) -> FeedResult: ...

    def patch_quantity(self, update: QuantityUpdate) -> SubmissionResult: ...


def gateway_zeroer(gateway: CancellationGateway) -> ZeroListing:
    """Zero a listing directly with patchListingsItem (when no push pipeline is wired in)."""

    def zero(sku: str, marketplace_id: str) -> None:
        answer = gateway.patch_quantity(QuantityUpdate(sku, 0, marketplace_id))
        if not answer.accepted:
            issues = "; ".join(i.message for i in answer.issues) or "no detail"
            raise CancellationError(f"SKU {sku}: quantity 0 answered {answer.status}: {issues}")

    return zero


def outbox_zeroer(db: Engine, clock: Clock, reason: str = "cancellation") -> ZeroListing:
    """Zero a listing through the push pipeline: enqueue quantity 0 in the outbox.

    Forced, because the outbox skips a quantity it believes Amazon already has, and a
    restock after BuyerCanceled is exactly Amazon changing the quantity behind its back. The
    caller drains the outbox (``sync.pusher.push``) afterwards.
    """

    def zero(sku: str, marketplace_id: str) -> None:
        target = Target(QuantityUpdate(sku, 0, marketplace_id), reason=reason)
        with db.begin() as conn:
            outbox.enqueue(conn, [target], clock.now(), force=True)

    return zero
