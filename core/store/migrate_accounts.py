"""Migration 6: every listing, decision, outbox row and order belongs to a seller account;
migration 7: so does each account-health figure (Amazon measures the rate per account).

Frozen like ``schema_v1``: the DDL here is the schema as this migration leaves it, never
today's declared tables. An ``account`` column (NOT NULL, default ``'default'``: every row
of an older store is the one account it served) is added to ``outbox``, ``decisions`` and
``orders``; ``listings`` gets it inside its unique key (account + SKU + marketplace) and
``decision_reviews`` inside its primary key.

PostgreSQL alters the constraints in place. SQLite cannot change a table's unique or primary
key: those two tables are rebuilt (new table, copy, drop, rename) within the migration's
transaction. ``sources`` refers to ``listings`` with ON DELETE CASCADE and foreign keys are
on, so dropping the old ``listings`` while ``sources`` still pointed at it would empty
``sources``: it is rebuilt too, pointing at the new table before the old one goes (the
rename then rewrites its reference, SQLite ≥ 3.26).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.schema import CreateTable

_ACCOUNT = "account VARCHAR(40) DEFAULT 'default' NOT NULL"

_frozen = MetaData()


def _account() -> Column[str]:
    return Column("account", String(40), nullable=False, server_default="default")


# decision_reviews as migration 3 made it (before the account was part of its key).
reviews_v3 = Table(
    "decision_reviews",
    MetaData(),
    Column("sku", String(200), primary_key=True),
    Column("marketplace", String(8), primary_key=True),
    Column("target_quantity", Integer(), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("review_at", DateTime(timezone=True), nullable=True),
    Column("listing_updated_at", DateTime(timezone=True), nullable=True),
)
Index("ix_decision_reviews_review_at", reviews_v3.c.review_at)

_LISTING_COLUMNS = (
    "id, sku, marketplace, asin, product_type, handling_days, default_quantity, "
    "max_cost_amount, max_cost_currency, safety_buffer, pack_size, created_at, updated_at"
)
_listings_new = Table(
    "listings_new",
    _frozen,
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
    _account(),
    UniqueConstraint("account", "sku", "marketplace", name="uq_listings_account_sku_marketplace"),
)

_SOURCE_COLUMNS = "id, listing_id, position, kind, ref, supplier, variant, required"
_sources_new = Table(
    "sources_new",
    _frozen,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column(
        "listing_id", Integer(), ForeignKey("listings_new.id", ondelete="CASCADE"), nullable=False
    ),
    Column("position", Integer(), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("ref", String(2000), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("variant", String(200), nullable=True),
    Column("required", Boolean(), nullable=False),
    UniqueConstraint("listing_id", "position", name="uq_sources_listing_position"),
)

_REVIEW_COLUMNS = "sku, marketplace, target_quantity, decided_at, review_at, listing_updated_at"
_reviews_new = Table(
    "decision_reviews_new",
    _frozen,
    Column("sku", String(200), primary_key=True),
    Column("marketplace", String(8), primary_key=True),
    Column("target_quantity", Integer(), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("review_at", DateTime(timezone=True), nullable=True),
    Column("listing_updated_at", DateTime(timezone=True), nullable=True),
    Column("account", String(40), primary_key=True, server_default="default"),
)


def seller_accounts(conn: Connection) -> None:
    """The migration: see the module docstring."""
    for table in ("outbox", "decisions", "orders"):
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {_ACCOUNT}"))
    if conn.dialect.name == "sqlite":
        _rebuild_listings(conn)
        _rebuild_reviews(conn)
        return
    conn.execute(text(f"ALTER TABLE listings ADD COLUMN {_ACCOUNT}"))
    conn.execute(text("ALTER TABLE listings DROP CONSTRAINT uq_listings_sku_marketplace"))
    conn.execute(
        text(
            "ALTER TABLE listings ADD CONSTRAINT uq_listings_account_sku_marketplace "
            "UNIQUE (account, sku, marketplace)"
        )
    )
    conn.execute(text(f"ALTER TABLE decision_reviews ADD COLUMN {_ACCOUNT}"))
    conn.execute(text("ALTER TABLE decision_reviews DROP CONSTRAINT decision_reviews_pkey"))
    conn.execute(text("ALTER TABLE decision_reviews ADD PRIMARY KEY (sku, marketplace, account)"))


def _rebuild_listings(conn: Connection) -> None:
    conn.execute(CreateTable(_listings_new))
    conn.execute(
        text(
            f"INSERT INTO listings_new ({_LISTING_COLUMNS}, account) "
            f"SELECT {_LISTING_COLUMNS}, 'default' FROM listings"
        )
    )
    conn.execute(CreateTable(_sources_new))  # refers to listings_new: old rows never cascade
    conn.execute(
        text(f"INSERT INTO sources_new ({_SOURCE_COLUMNS}) SELECT {_SOURCE_COLUMNS} FROM sources")
    )
    conn.execute(text("DROP TABLE sources"))
    conn.execute(text("DROP TABLE listings"))
    conn.execute(text("ALTER TABLE listings_new RENAME TO listings"))
    conn.execute(text("ALTER TABLE sources_new RENAME TO sources"))
    conn.execute(text("CREATE INDEX ix_sources_ref ON sources (ref)"))


def _rebuild_reviews(conn: Connection) -> None:
    conn.execute(CreateTable(_reviews_new))
    conn.execute(
        text(
            f"INSERT INTO decision_reviews_new ({_REVIEW_COLUMNS}, account) "
            f"SELECT {_REVIEW_COLUMNS}, 'default' FROM decision_reviews"
        )
    )
    conn.execute(text("DROP TABLE decision_reviews"))
    conn.execute(text("ALTER TABLE decision_reviews_new RENAME TO decision_reviews"))
    conn.execute(text("CREATE INDEX ix_decision_reviews_review_at ON decision_reviews (review_at)"))


def health_by_account(conn: Connection) -> None:
    """Migration 7: the stored account-health figures were fetched through the one account an
    older store served (``default``)."""
    conn.execute(text(f"ALTER TABLE account_health ADD COLUMN {_ACCOUNT}"))
