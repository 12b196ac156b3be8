"""Which listings a pass must decide even though none of their sources was checked.

A decision can change without a new observation: by time alone (an IN_STOCK growing older
than ``max_observation_age_hours``, a hold running out — the policy says when, as a
decision's ``review_at``), because the listing itself changed (a catalogue import), or because
someone else set its quantity on Amazon (a manual push, a cancellation's zeroing, a quantity
read back: any outbox row this engine did not expect). The queue remembers all three, so a
listing that no check touches still goes to 0 when its evidence ages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Engine

from sync.domain import Decision, Listing
from sync.domain import marketplace as find_marketplace
from sync.store import outbox

Key = tuple[str, str]  # (SKU, marketplace code)


class DecisionQueue:
    """Listings due for a decision whatever was checked."""

    def __init__(self) -> None:
        self.undecided: set[Key] = set()  # new or changed since the last catalogue load
        self._review_at: dict[Key, datetime] = {}
        self._outbox_mark = 0  # the newest outbox row looked at
        self._codes: dict[str, str] = {}  # marketplace id -> code, of the catalogue's listings

    def catalogue(
        self, db: Engine, listings: Mapping[Key, Listing], previous: Mapping[Key, Listing]
    ) -> None:
        """A (re)loaded catalogue: new or changed listings are due. At the first load every
        listing is, so outbox rows written before it are no news."""
        if not previous:
            with db.connect() as conn:
                self._outbox_mark = outbox.newest_id(conn)
        self.undecided |= {k for k, item in listings.items() if previous.get(k) != item}
        self.undecided &= set(listings)
        self._codes = {find_marketplace(code).marketplace_id: code for _, code in listings}

    def due(self, db: Engine, now: datetime, listings: Iterable[Key]) -> set[Key]:
        """Undecided listings, decisions whose ``review_at`` has come, and listings with an
        outbox row written since the last call."""
        reviews = {key for key, at in self._review_at.items() if at <= now}
        with db.connect() as conn:
            self._outbox_mark, written = outbox.written_since(conn, self._outbox_mark)
        others = {(sku, self._codes.get(market_id, "")) for sku, market_id in written}
        return reviews | self.undecided | (others & set(listings))

    def decided(self, decisions: Sequence[Decision]) -> None:
        """Remember when each decision must be looked at again."""
        for d in decisions:
            key = (d.sku, d.marketplace)
            self.undecided.discard(key)
            if d.review_at is None:
                self._review_at.pop(key, None)
            else:
                self._review_at[key] = d.review_at
