"""Which listings a pass must decide even though none of their sources was checked.

A decision can change without a check of this process: by time alone (an IN_STOCK growing
older than ``max_observation_age_hours``, a hold running out — the policy says when, as a
decision's ``review_at``), because the listing itself changed (a catalogue import), because
someone else set its quantity on Amazon (a manual push, a cancellation's zeroing, a quantity
read back: any outbox row), because an observation was stored by another process, because an
order changed what a supplier has left, or because the policy settings changed.

The queue keeps this in the store (sync/store/reviews.py), not in memory: each recorded
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

from sync.config import PolicySettings
from sync.domain import Decision, Listing, Source
from sync.domain import marketplace as find_marketplace
from sync.store import outbox, reviews
from sync.store.reviews import Key, Marks, Review


def fingerprint(settings: PolicySettings) -> str:
    """A stable digest of the policy settings: decisions made under others are all redone."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:32]


class DecisionQueue:
    """Listings due for a decision whatever was checked."""

    def __init__(self, settings: PolicySettings) -> None:
        self.undecided: set[Key] = set()  # known due in this process (quantities just learnt)
        self._policy = fingerprint(settings)
        self._versions: Mapping[Key, datetime] = {}  # listings.updated_at of the loaded rows
        self._codes: dict[str, str] = {}  # marketplace id -> code, of the catalogue's listings
        self._recorded: Marks | None = None  # the marks stored with the last decisions
        self._taken: Marks | None = None  # the marks the last `due` took in, stored next

    def catalogue(self, listings: Mapping[Key, Listing], versions: Mapping[Key, datetime]) -> None:
        """A (re)loaded catalogue and the version (``updated_at``) of each listing's row."""
        self._versions = versions
        self._codes = {find_marketplace(code).marketplace_id: code for _, code in listings}
        self.undecided &= set(listings)

    def due(
        self,
        db: Engine,
        now: datetime,
        listings: Mapping[Key, Listing],
        by_ref: Mapping[str, Sequence[tuple[Listing, Source]]],
    ) -> set[Key]:
        """Listings never decided or decided on an older catalogue row, reviews come due, and
        listings touched by observations, outbox rows or orders newer than the recorded marks;
        all of them when the policy settings changed. Asking again before the decisions are
        recorded gives the same listings (and any news since)."""
        with db.connect() as conn:
            if self._recorded is None:
                self._recorded = reviews.read_marks(conn)
            marks = self._recorded
            if marks.policy != self._policy:  # decided under other settings, or never
                self._taken = reviews.newest_marks(conn, self._policy)
                return set(listings)
            found, self._taken = self._news(conn, marks, now)
        refs, written, skus, keys = found
        keys |= {(item.sku, item.marketplace) for ref in refs for item, _ in by_ref.get(ref, ())}
        keys |= written
        keys |= {key for key in listings if key[0] in skus}
        return (keys | self.undecided) & set(listings)

    def _news(
        self, conn: Connection, marks: Marks, now: datetime
    ) -> tuple[tuple[set[str], set[Key], set[str], set[Key]], Marks]:
        observed, refs = reviews.observed_since(conn, marks.observation_id)
        written, keys = self._written(conn, marks.outbox_id)
        ordered, skus = reviews.ordered_since(conn, marks.order_event_id)
        due = reviews.due_listings(conn, now)
        return (refs, keys, skus, due), Marks(observed, written, ordered, self._policy)

    def _written(self, conn: Connection, after_id: int) -> tuple[int, set[Key]]:
        """Listings with an outbox row since ``after_id`` that differs from their recorded
        target: a push or read-back of the decided quantity itself (our own, mostly) is no
        news, a manual push, a cancellation's zeroing or an unapplied quantity is."""
        newest, rows = outbox.quantities_written_since(conn, after_id)
        shown = {(sku, self._codes.get(market_id, ""), qty) for sku, market_id, qty in rows}
        targets = reviews.decided_targets(conn) if shown else {}
        return newest, {(sku, code) for sku, code, qty in shown if targets.get((sku, code)) != qty}

    def decided(
        self, conn: Connection, decisions: Sequence[Decision], shown: Mapping[Key, int]
    ) -> None:
        """Store each decision's review row (``shown``: Amazon's quantity, where known) and
        the marks its pass took in."""
        rows = {
            (d.sku, d.marketplace): Review(
                (d.sku, d.marketplace),
                d.target_quantity,
                shown.get((d.sku, d.marketplace)),
                d.decided_at,
                d.review_at,
                self._versions.get((d.sku, d.marketplace)),
            )
            for d in decisions
        }
        self.undecided -= rows.keys()
        reviews.record_reviews(conn, list(rows.values()), self._taken)
        self._recorded = self._taken or self._recorded

    def add(self, keys: Iterable[Key]) -> None:
        """Listings to decide in the next pass."""
        self.undecided.update(keys)
