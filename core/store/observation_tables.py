"""Tables of what was seen and decided: observations, decisions, the per-source check schedule.

``observations`` keeps every check with its evidence (the phrase, the HTTP status, the final
URL); ``decisions`` keeps every quantity decided, with its reason code and the evidence of the
observation behind it, so "why did SKU X go to 0 at 12:03?" is one query. ``check_schedule``
is the planner's per-source state (sync/planner_state.SourceState): next check, last check,
flip counts, exposures; it survives restarts of ``stockguard run``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, Numeric, String, Table, Text

from stockguard.core.store.metadata import UTCDateTime, metadata

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_ref", String(2000), nullable=False),
    Column("checked_at", UTCDateTime(), nullable=False),
    Column("availability", String(16), nullable=False),  # IN_STOCK | OUT_OF_STOCK | UNKNOWN
    Column("reason", String(32), nullable=True),  # UnknownReason, set exactly when UNKNOWN
    Column("evidence", Text, nullable=False),
    Column("quantity", Integer, nullable=True),
    Column("price_amount", Numeric(14, 4), nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("ships_within_days", Integer, nullable=True),
    Column("http_status", Integer, nullable=True),
    Column("content_hash", String(128), nullable=True),
    Column("adapter", String(100), nullable=False, default=""),
    Column("url", String(2000), nullable=True),
)
Index("ix_observations_source_time", observations.c.source_ref, observations.c.checked_at)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sku", String(200), nullable=False),
    Column("marketplace", String(8), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("target_quantity", Integer, nullable=False),
    Column("previous_quantity", Integer, nullable=True),  # None: not known before
    Column("reason", String(40), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("source_ref", String(2000), nullable=True),
    Column("observation_id", Integer, nullable=True),  # the observation behind it, if stored
)
Index("ix_decisions_sku_time", decisions.c.sku, decisions.c.decided_at)
# "The newest decision of every listing" (status, the engine's current view) reads this index
# alone instead of sorting the whole decision history.
decisions_by_listing = Index(
    "ix_decisions_listing", decisions.c.sku, decisions.c.marketplace, decisions.c.id
)

check_schedule = Table(
    "check_schedule",
    metadata,
    Column("source_ref", String(2000), primary_key=True),
    Column("listing_sku", String(200), nullable=False),
    Column("host", String(255), nullable=False),
    Column("state", String(16), nullable=False),  # UNSEEN | IN_STOCK | OUT_OF_STOCK | UNKNOWN
    Column("observed_at", UTCDateTime(), nullable=True),
    Column("checked_at", UTCDateTime(), nullable=True),
    Column("next_check_at", UTCDateTime(), nullable=True),
    Column("priority", Float, nullable=False, default=0.0),
    Column("streak", Integer, nullable=False, default=0),
    Column("stockouts", Integer, nullable=False, default=0),
    Column("restocks", Integer, nullable=False, default=0),
    Column("in_days", Float, nullable=False, default=0.0),
    Column("out_days", Float, nullable=False, default=0.0),
)
Index("ix_check_schedule_next", check_schedule.c.next_check_at)
