"""Which listings a pass must decide even though none of their sources was checked.

A decision can change without a check of this process: by time alone (an IN_STOCK growing
older than ``max_observation_age_hours``, a hold running out — the policy says when, as a
decision's ``review_at``), because the listing itself changed (a catalogue import), because
Amazon does not show the decided quantity (a refused or unapplied push, a manual push, a
cancellation's zeroing, a quantity not read yet), because an observation was stored by another
process, because an order changed what a supplier has left, or because the policy settings
changed.

The queue keeps this in the store (core/store/reviews.py), not in memory: each recorded
decision writes its listing's review row and the marks of what it took in, in the same
transaction. So a new process (`sync --once`, `plan`) decides only the listings whose decision
can have changed — the first pass on a store, or under new policy settings, decides them all —
and a crash between seeing news and recording decisions leaves that news to the next pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine

from stockguard.core.config import PolicySettings
from stockguard.core.domain import Decision, Listing, ListingKey, Source
from stockguard.core.store import reviews
from stockguard.core.store.reviews import Marks, Review

Key = ListingKey


def fingerprint(settings: PolicySettings) -> str:
    """A stable digest of the policy settings: decisions made under others are all redone."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:32]


class DecisionQueue:
    """Listings due for a decision whatever was checked."""

    def __init__(self, settings: PolicySettings) -> None:
        self.undecided: set[Key] = set()  # known due in this process (quantities just learnt)
        self._policy = fingerprint(settings)
        self._versions: Mapping[Key, datetime] = {}  # listings.updated_at of the loaded rows
        self._recorded: Marks | None = None  # the marks stored with the last decisions
        self._taken: Marks | None = None  # the marks the last `due` took in, stored next

    def catalogue(self, listings: Mapping[Key, Listing], versions: Mapping[Key, datetime]) -> None:
        """A (re)loaded catalogue and the version (``updated_at``) of each listing's row."""
        self._versions = versions
        self.undecided &= set(listings)

    def due(
        self,
        db: Engine,
        now: datetime,
        listings: Mapping[Key, Listing],
        by_ref: Mapping[str, Sequence[tuple[Listing, Source]]],
        shown: Mapping[Key, int],
    ) -> set[Key]:
        """Listings never decided or decided on an older catalogue row, reviews come due,
        listings whose recorded target is not what Amazon shows or is about to show
        (``shown``: a refused or unapplied push, a manual one, a cancellation's zeroing, a
        quantity not read yet), and listings touched by observations or orders newer than the
        recorded marks; all of them when the policy settings changed. Asking again before the
        decisions are recorded gives the same listings (and any news since)."""
        with db.connect() as conn:
            if self._recorded is None:
                self._recorded = reviews.read_marks(conn)
            marks = self._recorded
            if marks.policy != self._policy:  # decided under other settings, or never
                self._taken = reviews.newest_marks(conn, self._policy)
                return set(listings)
            observed, refs = reviews.observed_since(conn, marks.observation_id)
            ordered, skus = reviews.ordered_since(conn, marks.order_event_id)
            keys = reviews.due_listings(conn, now)
            targets = reviews.decided_targets(conn)
        self._taken = Marks(observed, ordered, self._policy)
        keys |= {key for key, target in targets.items() if shown.get(key) != target}
        keys |= {item.key for ref in refs for item, _ in by_ref.get(ref, ())}
        keys |= {key for key in listings if key.sku in skus}
        return (keys | self.undecided) & set(listings)

    def decided(self, conn: Connection, decisions: Sequence[Decision]) -> None:
        """Store each decision's review row and the marks its pass took in."""
        rows = {
            key: Review(key, d.target_quantity, d.decided_at, d.review_at, self._versions.get(key))
            for d in decisions
            for key in (d.key,)
        }
        self.undecided -= rows.keys()
        reviews.record_reviews(conn, list(rows.values()), self._taken)
        self._recorded = self._taken or self._recorded

    def add(self, keys: Iterable[Key]) -> None:
        """Listings to decide in the next pass."""
        self.undecided.update(keys)
