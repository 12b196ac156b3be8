"""What Amazon shows for listings stockguard has not set: read one by one, or all at once.

A listing live on Amazon before stockguard first ran is live; the store must know it from
Amazon's own answer, or the planner and the policy would take it for a listing at 0 waiting
for a restore. Two ways to learn it, each recorded as a closed ``readback`` outbox row:

- ``read_each``: getListingsItem per listing (5 requests/s): for a few listings at a time;
- ``read_all``: one All Listings Report per marketplace (GET_MERCHANT_LISTINGS_ALL_DATA): a
  handful of requests for any number of listings, but minutes of report processing on Amazon.

A read takes time (a report takes minutes): a push this process makes meanwhile is newer than
what the read saw, so a read is recorded only for listings with no outbox row written since
the read began, under the push lock (sync/pusher.py).

A listing Amazon does not list (or lists as FBA, without a merchant quantity) has no quantity
to learn: both return such listings apart, so callers stop asking for them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.amazon.listings_report import ListingQuantities
from stockguard.core.clock import Clock
from stockguard.core.domain import Listing, ListingKey, PoolKey, QuantityUpdate
from stockguard.core.errors import AmazonAuthError, AmazonError
from stockguard.core.store import outbox
from stockguard.sync.pusher import push_lock

log = logging.getLogger("stockguard.engine")


class QuantityReader(Protocol):
    """The part of AmazonGateway these reads use."""

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None: ...

    def read_quantities(self, marketplace_id: str | None = None) -> ListingQuantities: ...


@dataclass
class Learnt:
    """Listings whose quantity is now recorded, and listings Amazon has no quantity for."""

    known: set[ListingKey] = field(default_factory=set)
    not_listed: set[ListingKey] = field(default_factory=set)


def read_each(
    db: Engine, gateway: QuantityReader, items: Sequence[Listing], clock: Clock
) -> Learnt:
    """getListingsItem for each listing; an unanswered read is skipped (never guessed). A pool
    is read once: its quantity is its siblings' (a marketplace that does not list the SKU
    says so, and the next sibling is read instead)."""
    learnt = Learnt()
    pools: set[PoolKey] = set()
    for item in items:
        key = item.key
        if key.pool in pools:
            learnt.known.add(key)
            continue
        market_id = key.marketplace_id
        mark = _newest_row(db)
        try:
            shown = gateway.get_quantity(item.sku, marketplace_id=market_id)
        except AmazonError as exc:
            # An unanswered read must not cost the pass its decisions: a stock-out found
            # by this pass still goes out (Amazon's quantity stays unknown for now).
            if isinstance(exc, AmazonAuthError):
                raise
            log.warning("could not read %s back from Amazon: %s", item.sku, exc)
            continue
        if shown is None:
            learnt.not_listed.add(key)
            continue
        update = QuantityUpdate(item.sku, shown, market_id, item.product_type, item.account)
        with push_lock(db, item.account), db.begin() as conn:
            if key.pool in outbox.written_since(conn, mark)[1]:
                continue  # overtaken by a push (in any marketplace) while the read was under way
            outbox.record_readback(conn, update, clock.now())
        learnt.known.add(key)
        pools.add(key.pool)
    return learnt


def read_all(db: Engine, gateway: QuantityReader, items: Sequence[Listing], clock: Clock) -> Learnt:
    """One All Listings Report per marketplace of ``items`` (one account's: ``gateway`` is
    that seller account's); records what it says of them."""
    learnt = Learnt()
    by_market: dict[str, list[Listing]] = {}
    for item in items:
        by_market.setdefault(item.key.marketplace_id, []).append(item)
    for market_id, listed in sorted(by_market.items()):
        mark = _newest_row(db)
        try:
            report = gateway.read_quantities(market_id)
        except AmazonError as exc:
            if isinstance(exc, AmazonAuthError):
                raise
            log.warning("could not read the listings report of %s: %s", market_id, exc)
            continue
        for line in report.skipped:
            log.warning("listings report %s: %s", report.report_id, line)
        with push_lock(db, listed[0].account), db.begin() as conn:
            # A push written while the report was made is newer than the report: keep it.
            overtaken = outbox.written_since(conn, mark)[1]
            found = [
                i for i in listed if i.sku in report.quantities and i.key.pool not in overtaken
            ]
            updates = [
                QuantityUpdate(
                    i.sku, report.quantities[i.sku], market_id, i.product_type, i.account
                )
                for i in found
            ]
            outbox.record_readbacks(conn, updates, clock.now())
        learnt.known |= {i.key for i in found}
        learnt.not_listed |= {i.key for i in listed if i.sku not in report.quantities}
    return learnt


def _newest_row(db: Engine) -> int:
    with db.connect() as conn:
        return outbox.newest_id(conn)
