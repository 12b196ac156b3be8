"""Queries on the decision state: which listings a pass must decide, and what it took in.

``due_listings`` is one query over the catalogue and ``decision_reviews``: a listing never
decided, decided on an older catalogue row, or whose review time has come; ``decided_targets``
lets the caller compare each target with what Amazon shows. The ``*_since`` reads give what
happened after the marks: observations stored and order events (a sale changes what a
supplier has left). ``record_reviews`` writes the state of new decisions together with the
marks they took in, in the caller's transaction, so a crash before it leaves the news to the
next pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, or_, select, tuple_, update

from stockguard.core.domain import ListingKey
from stockguard.core.store.listing_tables import listings
from stockguard.core.store.observation_tables import observations
from stockguard.core.store.order_tables import order_items, order_status_history
from stockguard.core.store.review_tables import decision_marks, decision_reviews

_CHUNK = 400  # listing keys per DELETE ... IN (...): two parameters each


@dataclass(frozen=True)
class Marks:
    """The newest observation and order event taken into account, and the
    fingerprint of the policy settings the decisions were made under."""

    observation_id: int = 0
    order_event_id: int = 0
    policy: str = ""


@dataclass(frozen=True)
class Review:
    """One listing's newest decision, as the next process needs it."""

    key: ListingKey
    target_quantity: int
    decided_at: datetime
    review_at: datetime | None
    listing_updated_at: datetime | None


def read_marks(conn: Connection) -> Marks:
    """The stored marks (all zero, no policy, before the first recorded decision)."""
    row = conn.execute(select(decision_marks).where(decision_marks.c.id == 1)).first()
    if row is None:
        return Marks()
    return Marks(row.observation_id, row.order_event_id, row.policy)


def newest_marks(conn: Connection, policy: str) -> Marks:
    """Marks at the newest observation and order event (all taken in)."""
    observed, ordered = (
        int(conn.scalar(select(func.max(table.c.id))) or 0)
        for table in (observations, order_status_history)
    )
    return Marks(observed, ordered, policy)


def due_listings(conn: Connection, now: datetime) -> set[ListingKey]:
    """Listings never decided, decided on another version of their catalogue row, or whose
    decision's review time has come."""
    r = decision_reviews
    joined = listings.outerjoin(
        r, (r.c.sku == listings.c.sku) & (r.c.marketplace == listings.c.marketplace)
    )
    query = (
        select(listings.c.sku, listings.c.marketplace)
        .select_from(joined)
        .where(
            or_(
                r.c.sku.is_(None),
                r.c.listing_updated_at.is_distinct_from(listings.c.updated_at),
                r.c.review_at <= now,
            )
        )
    )
    return {ListingKey.of(row[0], row[1]) for row in conn.execute(query)}


def decided_targets(conn: Connection) -> dict[ListingKey, int]:
    """The newest decided quantity of every listing decided so far."""
    query = select(
        decision_reviews.c.sku, decision_reviews.c.marketplace, decision_reviews.c.target_quantity
    )
    return {ListingKey.of(row[0], row[1]): int(row[2]) for row in conn.execute(query)}


def observed_since(conn: Connection, after_id: int) -> tuple[int, set[str]]:
    """(newest observation id, the sources observed after ``after_id``)."""
    query = (
        select(func.max(observations.c.id), observations.c.source_ref)
        .where(observations.c.id > after_id)
        .group_by(observations.c.source_ref)
    )
    newest, refs = after_id, set()
    for top, ref in conn.execute(query):
        newest = max(newest, int(top))
        refs.add(ref)
    return newest, refs


def ordered_since(conn: Connection, after_id: int) -> tuple[int, set[str]]:
    """(newest order event id, the SKUs of orders that changed after ``after_id``)."""
    events = order_status_history
    newest = max(int(conn.scalar(select(func.max(events.c.id))) or 0), after_id)
    query = (
        select(order_items.c.sku)
        .distinct()
        .join(events, order_items.c.order_id == events.c.order_id)
        .where(events.c.id > after_id, events.c.id <= newest)  # an event added meanwhile: next
    )
    return newest, set(conn.scalars(query))


def record_reviews(conn: Connection, reviews: Sequence[Review], marks: Marks | None) -> None:
    """Replace these listings' review rows and store the marks (unless None: none taken in
    yet), in the caller's transaction."""
    keys = [(review.key.sku, review.key.code) for review in reviews]  # the table's columns
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        r = decision_reviews
        conn.execute(delete(r).where(tuple_(r.c.sku, r.c.marketplace).in_(chunk)))
    if reviews:
        conn.execute(insert(decision_reviews), [_review_row(review) for review in reviews])
    if marks is not None:
        _store_marks(conn, marks)


def _store_marks(conn: Connection, marks: Marks) -> None:
    values = {
        "observation_id": marks.observation_id,
        "order_event_id": marks.order_event_id,
        "policy": marks.policy,
    }
    done = conn.execute(update(decision_marks).where(decision_marks.c.id == 1).values(**values))
    if not done.rowcount:
        conn.execute(insert(decision_marks).values(id=1, **values))


def _review_row(review: Review) -> dict[str, object]:
    return {
        "sku": review.key.sku,
        "marketplace": review.key.code,
        "target_quantity": review.target_quantity,
        "decided_at": review.decided_at,
        "review_at": review.review_at,
        "listing_updated_at": review.listing_updated_at,
    }
