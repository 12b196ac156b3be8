"""`orders pull`: fetch new and updated seller-fulfilled orders and store them.

Every marketplace the catalogue lists is pulled, plus the configured ``[amazon] marketplace``,
as long as it is in the account's region (an account's endpoint serves NA, EU or FE; a
marketplace of another region cannot be read with it: the pull names those once, in its result
and one warning). One search covers up to 50 marketplaces.

Incremental by lastUpdatedAfter: each marketplace's newest ``last_updated_at`` seen is stored
as its high-water mark and the next pull starts a little before the oldest mark
(``PULL_OVERLAP``), because Amazon indexes updates with a delay; storing an order twice
changes nothing. A marketplace pulled for the first time (the first pull, or one newly added
to the catalogue) reaches back ``DEFAULT_LOOKBACK`` (the rate report needs 7 days, the
two-cancellations rule 30).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.clock import Clock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import Marketplace, Order, marketplace
from stockguard.core.errors import ConfigError
from stockguard.core.store.listings import listing_marketplaces
from stockguard.core.store.orders import PULL_MARK, get_high_water, set_high_water, upsert_orders

DEFAULT_LOOKBACK = timedelta(days=30)
PULL_OVERLAP = timedelta(minutes=5)
log = logging.getLogger("stockguard.cancellations.pull")
_warned: set[tuple[str, ...]] = set()  # other-region sets already warned about (once each)


class OrderSource(Protocol):
    """The gateway's order search (v2026-01-01, v0 fallback) and its account settings."""

    settings: AmazonSettings

    def search_orders(
        self, updated_after: datetime, *, marketplace_ids: Sequence[str] = ...
    ) -> list[Order]: ...


@dataclass(frozen=True)
class Markets:
    """The marketplaces a pull reads, and those of the catalogue it cannot read."""

    pulled: tuple[Marketplace, ...]  # the configured one first
    other_region: tuple[Marketplace, ...]  # listed, but outside the account's region


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
    markets: Markets | None = None

    def skipped_note(self) -> str:
        """One line naming the catalogue's marketplaces this account cannot pull, or ""."""
        if self.markets is None or not self.markets.other_region:
            return ""
        return other_region_note(self.markets)


def markets_to_pull(db: Engine, settings: AmazonSettings) -> Markets:
    """The configured marketplace and every catalogue marketplace of its region."""
    try:
        home = marketplace(settings.marketplace)
    except KeyError:
        raise ConfigError(f"[amazon] marketplace: unknown {settings.marketplace!r}") from None
    listed = [marketplace(code) for code in listing_marketplaces(db)]
    same = [m for m in listed if m.region == home.region and m != home]
    other = [m for m in listed if m.region != home.region]
    return Markets((home, *same), tuple(other))


def other_region_note(markets: Markets) -> str:
    """Why some of the catalogue's marketplaces get no orders pulled."""
    home = markets.pulled[0]
    codes = ", ".join(m.code for m in markets.other_region)
    return (
        f"orders of {codes} are not pulled: the account's endpoint serves region {home.region} "
        f"([amazon] marketplace {home.code}); those listings need an account of their region"
    )


def pull_orders(
    db: Engine,
    gateway: OrderSource,
    clock: Clock,
    *,
    since: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> PullResult:
    """Fetch orders updated since the marks (or ``since``), upsert them, advance the marks."""
    markets = markets_to_pull(db, gateway.settings)
    _warn_once(markets)
    marks = {m.code: _mark(db, m, markets.pulled[0]) for m in markets.pulled}
    if since is None:
        starts = [
            mark - PULL_OVERLAP if mark else clock.now() - lookback for mark in marks.values()
        ]
        since = min(starts)
    fetched = gateway.search_orders(
        since, marketplace_ids=[m.marketplace_id for m in markets.pulled]
    )
    mine = [order for order in fetched if order.fulfilled_by == "MERCHANT"]
    stored = upsert_orders(db, mine, clock.now())
    newest = _newest(fetched)
    for code, mark in marks.items():
        if newest is not None or mark is None:
            set_high_water(db, newest or since, clock.now(), name=f"{PULL_MARK}:{code}")
    if newest is not None or get_high_water(db) is None:
        set_high_water(db, newest or since, clock.now())
    return PullResult(
        updated_after=since,
        fetched=len(fetched),
        stored=len(mine),
        new=stored.new,
        updated=stored.updated,
        status_changes=stored.status_changes,
        high_water=_oldest_mark(db, markets),
        markets=markets,
    )


def _mark(db: Engine, market: Marketplace, home: Marketplace) -> datetime | None:
    """A marketplace's mark; the configured one falls back to the mark of the days when only
    it was pulled (one mark named ``orders``)."""
    own = get_high_water(db, f"{PULL_MARK}:{market.code}")
    if own is None and market == home:
        return get_high_water(db)
    return own


def _oldest_mark(db: Engine, markets: Markets) -> datetime | None:
    home = markets.pulled[0]
    marks = [_mark(db, m, home) for m in markets.pulled]
    return min((m for m in marks if m is not None), default=None)


def _warn_once(markets: Markets) -> None:
    key = tuple(m.code for m in markets.other_region)
    if key and key not in _warned:
        _warned.add(key)
        log.warning("%s", other_region_note(markets))


def _newest(batch: Sequence[Order]) -> datetime | None:
    return max((order.last_updated_at for order in batch), default=None)
