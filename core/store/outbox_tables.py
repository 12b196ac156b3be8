"""The outbox: one row per quantity change stockguard sends to Amazon.

A row is written (state ``sending``) before the request leaves and closed after Amazon's
answer, so a crash between the two leaves a row to resume, never a silent gap. States::

    pending ──► sending ──► sent (feed submitted, feed_id known) ──► accepted ──► applied
       │           │                                               │   (read back)
       │           └──────────────► accepted | failed              └──► pending (not applied)
       └──► superseded (a newer target for the same SKU arrived first)

``idempotency_key`` is unique: enqueueing the same decision twice yields one row.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from stockguard.core.store.metadata import UTCDateTime, metadata

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(10), nullable=False, default="patch"),  # patch | feed
    Column("sku", String(200), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("product_type", String(100), nullable=False, default="PRODUCT"),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("decision_ref", String(200), nullable=True),
    Column("state", String(12), nullable=False, default="pending"),
    Column("feed_id", String(100), nullable=True),
    Column("submission_id", String(100), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
)

# The pusher's two hot questions: "what is open?" and "what did this SKU last get?".
Index("ix_outbox_state", outbox.c.state)
Index("ix_outbox_sku", outbox.c.sku, outbox.c.marketplace_id, outbox.c.id)
Index("ix_outbox_feed", outbox.c.feed_id)
