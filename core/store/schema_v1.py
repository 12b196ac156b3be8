"""The store's schema at version 1, frozen: migration 1 creates exactly these tables.

Written out once from the tables of the first release (everything the ``*_tables`` modules
declared then: today's tables without those that migrations 2-5 add). Never edit it: stores
in the wild recorded version 1 as this. A change to a table is a new migration in
``migrations.py``; ``tests/store/test_migrations.py`` checks that version 1 plus the later
migrations give exactly the declared schema. Only DDL lives here (types, keys, indexes): the
Python-side defaults and the UTC conversion stay with the declared tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

account_health = Table(
    "account_health",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("metric_key", String(60), nullable=False),
    Column("date_from", DateTime(timezone=True), nullable=False),
    Column("date_to", DateTime(timezone=True), nullable=False),
    Column("order_count", Integer(), nullable=False),
    Column("cancellation_count", Integer(), nullable=False),
    Column("rate", String(40), nullable=False),
    Column("target", String(40), nullable=False),
    Column("target_condition", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)
Index("ix_account_health_marketplace", account_health.c.marketplace_id, account_health.c.fetched_at)

cancellations = Table(
    "cancellations",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("order_item_id", String(40), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("reason", String(50), nullable=False),
    Column("route", String(20), nullable=False),
    Column("evidence", Text(), nullable=False),
    Column("state", String(20), nullable=False),
    Column("feed_id", String(100), nullable=True),
    Column("message_id", Integer(), nullable=True),
    Column("detail", Text(), nullable=True),
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_cancellations_idempotency_key"),
)
Index("ix_cancellations_order", cancellations.c.order_id)
Index("ix_cancellations_state", cancellations.c.state)

check_schedule = Table(
    "check_schedule",
    metadata,
    Column("source_ref", String(2000), primary_key=True),
    Column("listing_sku", String(200), nullable=False),
    Column("host", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
    Column("next_check_at", DateTime(timezone=True), nullable=True),
    Column("priority", Float(), nullable=False),
    Column("streak", Integer(), nullable=False),
    Column("stockouts", Integer(), nullable=False),
    Column("restocks", Integer(), nullable=False),
    Column("in_days", Float(), nullable=False),
    Column("out_days", Float(), nullable=False),
)
Index("ix_check_schedule_next", check_schedule.c.next_check_at)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("sku", String(200), nullable=False),
    Column("marketplace", String(8), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("target_quantity", Integer(), nullable=False),
    Column("previous_quantity", Integer(), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("evidence", Text(), nullable=False),
    Column("source_ref", String(2000), nullable=True),
    Column("observation_id", Integer(), nullable=True),
)
Index("ix_decisions_sku_time", decisions.c.sku, decisions.c.decided_at)

feed_imports = Table(
    "feed_imports",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("supplier", String(200), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("rows_total", Integer(), nullable=False),
    Column("rows_refused", Integer(), nullable=False),
    Column("item_count", Integer(), nullable=False),
    Column("out_of_stock", Integer(), nullable=False),
    Column("total_quantity", Integer(), nullable=False),
    Column("missing", Integer(), nullable=False),
    Column("accepted_drift", Boolean(), nullable=False),
    Column("encoding", String(40), nullable=False),
    Column("message", Text(), nullable=False),
)
Index("ix_feed_imports_supplier", feed_imports.c.supplier, feed_imports.c.id)

imap_state = Table(
    "imap_state",
    metadata,
    Column("mailbox", String(500), primary_key=True),
    Column("uidvalidity", BigInteger(), nullable=False),
    Column("last_uid", BigInteger(), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("sku", String(200), nullable=False),
    Column("marketplace", String(8), nullable=False),
    Column("asin", String(20), nullable=False),
    Column("product_type", String(100), nullable=False),
    Column("handling_days", Integer(), nullable=False),
    Column("default_quantity", Integer(), nullable=False),
    Column("max_cost_amount", Numeric(14, 4), nullable=True),
    Column("max_cost_currency", String(3), nullable=True),
    Column("safety_buffer", Integer(), nullable=False),
    Column("pack_size", Integer(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sku", "marketplace", name="uq_listings_sku_marketplace"),
)

mail_cancel_requests = Table(
    "mail_cancel_requests",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("marketplace_id", String(20), nullable=True),
    Column("reason", Text(), nullable=True),
    Column("api_check", String(20), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_mail_cancel_requests_order", mail_cancel_requests.c.order_id)

mail_messages = Table(
    "mail_messages",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("origin", Text(), nullable=False),
    Column("subject", Text(), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

mail_returns = Table(
    "mail_returns",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("marketplace_id", String(20), nullable=True),
    Column("item", Text(), nullable=True),
    Column("sku", String(200), nullable=True),
    Column("quantity", Integer(), nullable=True),
    Column("reason", Text(), nullable=False),
    Column("comment", Text(), nullable=True),
    Column("state", String(20), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_mail_returns_order", mail_returns.c.order_id)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("source_ref", String(2000), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("availability", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("evidence", Text(), nullable=False),
    Column("quantity", Integer(), nullable=True),
    Column("price_amount", Numeric(14, 4), nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("ships_within_days", Integer(), nullable=True),
    Column("http_status", Integer(), nullable=True),
    Column("content_hash", String(128), nullable=True),
    Column("adapter", String(100), nullable=False),
    Column("url", String(2000), nullable=True),
)
Index("ix_observations_source_time", observations.c.source_ref, observations.c.checked_at)

order_listing_zeros = Table(
    "order_listing_zeros",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("sku", String(200), primary_key=True),
    Column("cause", String(30), primary_key=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("zeroed_at", DateTime(timezone=True), nullable=False),
)

order_pull_state = Table(
    "order_pull_state",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("high_water", DateTime(timezone=True), nullable=False),
    Column("pulled_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("status", String(30), nullable=False),
    Column("purchased_at", DateTime(timezone=True), nullable=False),
    Column("last_updated_at", DateTime(timezone=True), nullable=False),
    Column("fulfilled_by", String(20), nullable=False),
    Column("cancel_requested_by", String(20), nullable=True),
    Column("cancelled_by", String(20), nullable=True),
    Column("cancel_reason", Text(), nullable=True),
    Column("latest_ship_date", DateTime(timezone=True), nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("pulled_at", DateTime(timezone=True), nullable=False),
)
Index("ix_orders_marketplace_purchased", orders.c.marketplace_id, orders.c.purchased_at)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("product_type", String(100), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("decision_ref", String(200), nullable=True),
    Column("state", String(12), nullable=False),
    Column("feed_id", String(100), nullable=True),
    Column("submission_id", String(100), nullable=True),
    Column("attempts", Integer(), nullable=False),
    Column("last_error", Text(), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)
Index("ix_outbox_feed", outbox.c.feed_id)
Index("ix_outbox_sku", outbox.c.sku, outbox.c.marketplace_id, outbox.c.id)
Index("ix_outbox_state", outbox.c.state)

run_lock = Table(
    "run_lock",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer(), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

cancellation_journal = Table(
    "cancellation_journal",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("cancellation_id", Integer(), ForeignKey("cancellations.id"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("feed_id", String(100), nullable=True),
    Column("detail", Text(), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

feed_items = Table(
    "feed_items",
    metadata,
    Column("supplier", String(200), primary_key=True),
    Column("code", String(200), primary_key=True),
    Column("import_id", Integer(), ForeignKey("feed_imports.id"), nullable=False),
    Column("line", Integer(), nullable=True),
    Column("availability", String(20), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("quantity", Integer(), nullable=True),
    Column("price_amount", Numeric(14, 4), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("ships_within_days", Integer(), nullable=True),
    Column("evidence", Text(), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", String(40), ForeignKey("orders.order_id"), primary_key=True),
    Column("order_item_id", String(40), primary_key=True),
    Column("position", Integer(), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("asin", String(20), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("quantity_shipped", Integer(), nullable=False),
    Column("buyer_requested_cancel", Boolean(), nullable=False),
    Column("buyer_cancel_reason", Text(), nullable=True),
)

order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.order_id"), nullable=False),
    Column("status", String(30), nullable=False),
    Column("cancel_requested_by", String(20), nullable=True),
    Column("cancelled_by", String(20), nullable=True),
    Column("buyer_requested_cancel", Boolean(), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_order_status_history_order", order_status_history.c.order_id, order_status_history.c.id)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("listing_id", Integer(), ForeignKey("listings.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("ref", String(2000), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("variant", String(200), nullable=True),
    Column("required", Boolean(), nullable=False),
    UniqueConstraint("listing_id", "position", name="uq_sources_listing_position"),
)
Index("ix_sources_ref", sources.c.ref)
