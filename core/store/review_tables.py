"""What a new process needs to know which listings to decide: the decision state per listing.

``decision_reviews`` keeps, per listing, the newest decision's target, when it was made, when
time alone can change it (the policy's ``review_at``) and the catalogue row it was made on
(``listings.updated_at``). ``decision_marks`` is one row: the newest observation and order
event that the recorded decisions have taken into account, and a fingerprint of the
policy settings they were made under. Together they let `sync --once` and `plan` decide only
the listings whose decision can have changed, instead of the whole catalogue at every start.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from stockguard.core.store.metadata import UTCDateTime, metadata

decision_reviews = Table(
    "decision_reviews",
    metadata,
    Column("sku", String(200), primary_key=True),
    Column("marketplace", String(8), primary_key=True),
    Column("target_quantity", Integer, nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("review_at", UTCDateTime(), nullable=True),  # None: only news changes it
    Column("listing_updated_at", UTCDateTime(), nullable=True),  # the catalogue row decided on
)
Index("ix_decision_reviews_review_at", decision_reviews.c.review_at)

decision_marks = Table(
    "decision_marks",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("observation_id", Integer, nullable=False),
    Column("order_event_id", Integer, nullable=False),
    Column("policy", String(64), nullable=False),  # fingerprint of the policy settings
)
