"""Tables for orders and cancellations: orders, their items, status history, the pull mark,
the cancellation plan/journal and the listing zeroings a cancellation caused.

A cancellation row's ``idempotency_key`` (order id + item id + reason) is unique: the same
cancellation can be planned any number of times but exists, and is sent, once.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from stockguard.core.store.metadata import UTCDateTime, metadata

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("status", String(30), nullable=False),
    Column("purchased_at", UTCDateTime(), nullable=False),
    Column("last_updated_at", UTCDateTime(), nullable=False),
    Column("fulfilled_by", String(20), nullable=False),
    Column("cancel_requested_by", String(20)),
    Column("cancelled_by", String(20)),
    Column("cancel_reason", Text),
    Column("latest_ship_date", UTCDateTime()),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("pulled_at", UTCDateTime(), nullable=False),
    Index("ix_orders_marketplace_purchased", "marketplace_id", "purchased_at"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", String(40), ForeignKey("orders.order_id"), primary_key=True),
    Column("order_item_id", String(40), primary_key=True),
    Column("position", Integer, nullable=False),  # keeps the order's item order
    Column("sku", String(200), nullable=False),
    Column("asin", String(20), nullable=False, default=""),
    Column("quantity", Integer, nullable=False),
    Column("quantity_shipped", Integer, nullable=False, default=0),
    Column("buyer_requested_cancel", Boolean, nullable=False, default=False),
    Column("buyer_cancel_reason", Text),
)

# One row per observed change of status or cancellation data (and one at first sight).
order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.order_id"), nullable=False),
    Column("status", String(30), nullable=False),
    Column("cancel_requested_by", String(20)),
    Column("cancelled_by", String(20)),
    Column("buyer_requested_cancel", Boolean, nullable=False, default=False),
    Column("changed_at", UTCDateTime(), nullable=False),  # Amazon's lastUpdateDate
    Column("recorded_at", UTCDateTime(), nullable=False),  # when we saw it
    Index("ix_order_status_history_order", "order_id", "id"),
)

# The lastUpdatedAfter high-water mark of `orders pull`, one row per name.
order_pull_state = Table(
    "order_pull_state",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("high_water", UTCDateTime(), nullable=False),
    Column("pulled_at", UTCDateTime(), nullable=False),
)

# The plan and its state: planned -> sending -> sent -> done | failed; or refused.
cancellations = Table(
    "cancellations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("order_item_id", String(40), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("reason", String(50), nullable=False),
    Column("route", String(20), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("feed_id", String(100)),
    Column("message_id", Integer),
    Column("detail", Text),  # Amazon's error, or why it was refused
    Column("planned_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_cancellations_idempotency_key"),
    Index("ix_cancellations_state", "state"),
    Index("ix_cancellations_order", "order_id"),
)

# Every state change of a cancellation, with time: the audit trail.
cancellation_journal = Table(
    "cancellation_journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cancellation_id", Integer, ForeignKey("cancellations.id"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("feed_id", String(100)),
    Column("detail", Text),
    Column("at", UTCDateTime(), nullable=False),
)

# Listings zeroed because of an order (stock-out, unknown supplier, BuyerCanceled restock).
order_listing_zeros = Table(
    "order_listing_zeros",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("sku", String(200), primary_key=True),
    Column("cause", String(30), primary_key=True),  # out-of-stock | unknown | restock
    Column("marketplace_id", String(20), nullable=False),
    Column("zeroed_at", UTCDateTime(), nullable=False),
)
