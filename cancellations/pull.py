"""`orders pull`: fetch new and updated seller-fulfilled orders and store them.

Incremental by lastUpdatedAfter: the newest ``last_updated_at`` seen is stored as a
high-water mark and the next pull starts a little before it (``PULL_OVERLAP``), because
Amazon indexes updates with a delay; storing an order twice changes nothing. The first pull
reaches back ``DEFAULT_LOOKBACK`` (the rate report needs 7 days, the two-cancellations rule 30).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from sync.clock import Clock
from sync.domain import Order
from sync.store.orders import get_high_water, set_high_water, upsert_orders

DEFAULT_LOOKBACK = timedelta(days=30)
PULL_OVERLAP = timedelta(minutes=5)


class OrderSource(Protocol):
    """The gateway's order search (v2026-01-01, v0 fallback)."""

    def search_orders(self, updated_after: datetime) -> list[Order]: ...


@dataclass(frozen=True)
class PullResult:
    """What one pull fetched and changed."""

    updated_after: datetime
    fetched: int
    stored: int  # seller-fulfilled ones (Amazon-fulfilled orders are not ours to track)
    new: int
    updated: int
    status_changes: int
    high_water: datetime | None


def pull_orders(
    engine: Engine,
    gateway: OrderSource,
    clock: Clock,
    *,
    since: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> PullResult:
    """Fetch orders updated since the mark (or ``since``), upsert them, advance the mark."""
    mark = get_high_water(engine)
    if since is None:
        since = mark - PULL_OVERLAP if mark is not None else clock.now() - lookback
    fetched = gateway.search_orders(since)
    mine = [order for order in fetched if order.fulfilled_by == "MERCHANT"]
    stored = upsert_orders(engine, mine, clock.now())
    newest = _newest(fetched)
    if newest is not None:
        set_high_water(engine, newest, clock.now())
    elif mark is None:
        set_high_water(engine, since, clock.now())
    return PullResult(
        updated_after=since,
        fetched=len(fetched),
        stored=len(mine),
        new=stored.new,
        updated=stored.updated,
        status_changes=stored.status_changes,
        high_water=get_high_water(engine),
    )


def _newest(batch: Sequence[Order]) -> datetime | None:
    return max((order.last_updated_at for order in batch), default=None)
