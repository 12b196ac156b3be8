"""Tables of supplier CSV feeds: each import, and each item's latest state.

``feed_imports`` keeps every import, applied or refused, with the figures the drift guard
compares (items, out-of-stock items, total quantity). ``feed_items`` holds the current state of
each (supplier, item code): the Observation its latest applied feed produced, with the line it
came from, so a seller can ask why an item went to 0 and get the file, line and cell.
``refused_feed_files`` keeps the newest file the drift guard refused, per supplier.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
)

from stockguard.core.store.metadata import UTCDateTime, metadata

feed_imports = Table(
    "feed_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("supplier", String(200), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
    Column("status", String(10), nullable=False),  # applied | refused
    Column("rows_total", Integer, nullable=False),
    Column("rows_refused", Integer, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("out_of_stock", Integer, nullable=False),
    Column("total_quantity", Integer, nullable=False),
    Column("missing", Integer, nullable=False),
    Column("accepted_drift", Boolean, nullable=False),
    Column("encoding", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_feed_imports_supplier", "supplier", "id"),
)

feed_items = Table(
    "feed_items",
    metadata,
    Column("supplier", String(200), primary_key=True),
    Column("code", String(200), primary_key=True),
    Column("import_id", Integer, ForeignKey("feed_imports.id"), nullable=False),
    Column("line", Integer, nullable=True),  # None: absent from the feed
    Column("availability", String(20), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("quantity", Integer, nullable=True),
    Column("price_amount", Numeric(14, 4), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("ships_within_days", Integer, nullable=True),
    Column("evidence", Text, nullable=False),
    Column("checked_at", UTCDateTime(), nullable=False),
)

# The newest feed the drift guard refused, per supplier, kept (zlib-compressed) so that it can
# be accepted later (`feeds accept`, the dashboard) without the seller finding the file again.
# One row per supplier bounds it; files over core.store.refused_feeds.MAX_KEPT_BYTES are not kept.
refused_feed_files = Table(
    "refused_feed_files",
    metadata,
    Column("supplier", String(200), primary_key=True),
    Column("import_id", Integer, ForeignKey("feed_imports.id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),  # bytes before compression
    Column("content", LargeBinary, nullable=False),
    Column("refused_at", UTCDateTime(), nullable=False),
)
