"""Tables of the seller's catalogue: listings and the supplier sources behind each one.

A listing is one seller SKU on one marketplace (``sku`` + ``marketplace`` is unique); its
sources are ordered (``position``) because the import keeps the order the seller wrote them in.
Money is stored as ``Numeric`` (never float) beside its currency.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

from stockguard.core.store.metadata import UTCDateTime, metadata

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sku", String(200), nullable=False),
    Column("marketplace", String(8), nullable=False),  # short code: US, UK, DE...
    Column("asin", String(20), nullable=False, default=""),
    Column("product_type", String(100), nullable=False, default="PRODUCT"),
    Column("handling_days", Integer, nullable=False),
    Column("default_quantity", Integer, nullable=False),
    Column("max_cost_amount", Numeric(14, 4), nullable=True),
    Column("max_cost_currency", String(3), nullable=True),
    Column("safety_buffer", Integer, nullable=False, default=0),
    Column("pack_size", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sku", "marketplace", name="uq_listings_sku_marketplace"),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "listing_id",
        Integer,
        ForeignKey("listings.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # page | feed | api
    Column("ref", String(2000), nullable=False),
    Column("supplier", String(200), nullable=False, default=""),
    Column("variant", String(200), nullable=True),
    Column("required", Boolean, nullable=False, default=False),
    UniqueConstraint("listing_id", "position", name="uq_sources_listing_position"),
)

Index("ix_sources_ref", sources.c.ref)
