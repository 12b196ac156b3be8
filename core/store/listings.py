"""Queries on the catalogue: save listings with their sources, read them back as domain objects.

Writes are batched (one statement per kind of change, executed with many parameter sets) and
chunked (``save_listing_chunk``: 500 listings, looking up only their own ids), so importing
hundreds of thousands of rows stays quick and small on SQLite and PostgreSQL alike; no
dialect-specific upsert is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from stockguard.core.domain import (
    Listing,
    ListingKey,
    Money,
    QuantityUpdate,
    Source,
    SourceKind,
    market_id,
    primary_first,
)
from stockguard.core.store.listing_tables import listings, sources

_CHUNK = 500  # keeps IN (...) lists under every backend's parameter limit


@dataclass(frozen=True)
class SaveResult:
    """How many listings a save created and how many it replaced."""

    inserted: int
    updated: int


def save_listings(db: Engine, items: Sequence[Listing], now: datetime) -> SaveResult:
    """Insert or replace listings (key: SKU + marketplace) and their sources, in one transaction."""
    inserted = updated = 0
    with db.begin() as conn:
        for start in range(0, len(items), _CHUNK):
            saved = save_listing_chunk(conn, items[start : start + _CHUNK], now)
            inserted, updated = inserted + saved.inserted, updated + saved.updated
    return SaveResult(inserted, updated)


def save_listing_chunk(conn: Connection, items: Sequence[Listing], now: datetime) -> SaveResult:
    """Insert or replace up to ``_CHUNK`` listings and their sources inside the caller's
    transaction; reads only the ids of these SKUs, so a streamed import stays small."""
    existing = _ids_of(conn, items)
    fresh = [item for item in items if (item.sku, item.marketplace) not in existing]
    known = [item for item in items if (item.sku, item.marketplace) in existing]
    if fresh:
        conn.execute(insert(listings), [_row(item, now, created=True) for item in fresh])
    if known:
        conn.execute(
            update(listings).where(listings.c.id == bindparam("_id")),
            [{**_row(item, now), "_id": existing[(item.sku, item.marketplace)]} for item in known],
        )
        touched = [existing[(item.sku, item.marketplace)] for item in known]
        conn.execute(delete(sources).where(sources.c.listing_id.in_(touched)))
    ids = _ids_of(conn, items) if fresh else existing
    source_rows = [
        _source_row(ids[(item.sku, item.marketplace)], position, source)
        for item in items
        for position, source in enumerate(item.sources)
    ]
    if source_rows:
        conn.execute(insert(sources), source_rows)
    return SaveResult(inserted=len(fresh), updated=len(known))


def get_listing(db: Engine, key: ListingKey) -> Listing | None:
    """One listing by its key; None if absent."""
    found = find_listings(db, sku=key.sku, marketplace=key.code)
    return found[0] if found else None


def find_listings(
    db: Engine, *, sku: str | None = None, marketplace: str | None = None
) -> list[Listing]:
    """Listings ordered by marketplace and SKU, optionally filtered.

    Two queries whatever the catalogue's size (listings, then their sources through a join
    on the same filter), read as plain tuples: 100,000 listings load in about a second.
    """
    query = select(listings.c.id, *_LISTING_COLUMNS).order_by(
        listings.c.marketplace, listings.c.sku
    )
    joined = (
        select(sources.c.listing_id, *_SOURCE_COLUMNS)
        .join(listings, listings.c.id == sources.c.listing_id)
        .order_by(sources.c.listing_id, sources.c.position)
    )
    if sku is not None:
        query, joined = query.where(listings.c.sku == sku), joined.where(listings.c.sku == sku)
    if marketplace is not None:
        query = query.where(listings.c.marketplace == marketplace)
        joined = joined.where(listings.c.marketplace == marketplace)
    with db.connect() as conn:
        by_listing = _sources_by_listing(conn.execute(joined).all())
        rows = conn.execute(query).all()
    return [_listing(row[1:], by_listing.get(row[0], ())) for row in rows]


def listing_versions(db: Engine) -> dict[ListingKey, datetime]:
    """Per listing: when its catalogue row was last written (its version)."""
    query = select(listings.c.sku, listings.c.marketplace, listings.c.updated_at)
    with db.connect() as conn:
        return {ListingKey.of(row[0], row[1]): row[2] for row in conn.execute(query)}


def quantity_updates(
    db: Engine, skus: Sequence[str], quantity: int, default_market: str
) -> list[QuantityUpdate]:
    """One update per SKU: its quantity is one pool on Amazon, whatever the marketplaces it
    is listed in. Addressed (marketplace, product type) to the catalogue's primary listing;
    a SKU the catalogue lacks goes to ``default_market`` as product type PRODUCT."""
    updates: list[QuantityUpdate] = []
    for sku in skus:
        found = find_listings(db, sku=sku) or [Listing(sku, default_market)]
        item = min(found, key=lambda i: primary_first(i.key))
        updates.append(QuantityUpdate(sku, quantity, item.key.marketplace_id, item.product_type))
    return updates


def pool_marketplaces(db: Engine, skus: Sequence[str]) -> dict[str, list[str]]:
    """Per SKU: the marketplace ids the catalogue lists it in, primary first (a pool's
    quantity is read back in each of them)."""
    found: dict[str, list[ListingKey]] = {}
    with db.connect() as conn:
        for chunk in (skus[i : i + _CHUNK] for i in range(0, len(skus), _CHUNK)):
            query = select(listings.c.sku, listings.c.marketplace).where(listings.c.sku.in_(chunk))
            for sku, code in conn.execute(query):
                found.setdefault(sku, []).append(ListingKey(sku, market_id(code)))
    return {
        sku: [k.marketplace_id for k in sorted(keys, key=primary_first)]
        for sku, keys in found.items()
    }


def count_listings(db: Engine) -> int:
    """How many listings the catalogue holds."""
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(listings)) or 0)


def listing_marketplaces(db: Engine) -> list[str]:
    """The marketplace codes the catalogue lists, sorted (US, UK, ...)."""
    with db.connect() as conn:
        return sorted(conn.scalars(select(listings.c.marketplace).distinct()))


def _ids_of(conn: Connection, items: Sequence[Listing]) -> dict[tuple[str, str], int]:
    """The ids of the stored listings among ``items`` (at most ``_CHUNK`` of them), by
    (SKU, marketplace code): the table's own columns."""
    wanted = {(item.sku, item.marketplace) for item in items}
    skus = sorted({sku for sku, _ in wanted})
    query = select(listings.c.sku, listings.c.marketplace, listings.c.id).where(
        listings.c.sku.in_(skus)
    )
    found = {(row.sku, row.marketplace): row.id for row in conn.execute(query)}
    return {key: value for key, value in found.items() if key in wanted}


def _sources_by_listing(rows: Sequence[Sequence[Any]]) -> dict[int, tuple[Source, ...]]:
    found: dict[int, list[Source]] = {}
    kinds = _KINDS
    for listing_id, kind, ref, supplier, variant, required in rows:
        source = Source(kinds[kind], ref, supplier, variant, bool(required))
        some = found.get(listing_id)
        if some is None:
            found[listing_id] = [source]
        else:
            some.append(source)
    return {key: tuple(value) for key, value in found.items()}


def _row(item: Listing, now: datetime, *, created: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sku": item.sku,
        "marketplace": item.marketplace,
        "asin": item.asin,
        "product_type": item.product_type,
        "handling_days": item.handling_days,
        "default_quantity": item.default_quantity,
        "max_cost_amount": item.max_cost.amount if item.max_cost else None,
        "max_cost_currency": item.max_cost.currency if item.max_cost else None,
        "safety_buffer": item.safety_buffer,
        "pack_size": item.pack_size,
        "updated_at": now,
    }
    if created:
        row["created_at"] = now
    return row


def _source_row(listing_id: int, position: int, source: Source) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "position": position,
        "kind": source.kind.value,
        "ref": source.ref,
        "supplier": source.supplier,
        "variant": source.variant,
        "required": source.required,
    }


_LISTING_COLUMNS = (
    listings.c.sku,
    listings.c.marketplace,
    listings.c.asin,
    listings.c.product_type,
    listings.c.handling_days,
    listings.c.default_quantity,
    listings.c.max_cost_amount,
    listings.c.max_cost_currency,
    listings.c.safety_buffer,
    listings.c.pack_size,
)
_SOURCE_COLUMNS = (
    sources.c.kind,
    sources.c.ref,
    sources.c.supplier,
    sources.c.variant,
    sources.c.required,
)
_KINDS = {kind.value: kind for kind in SourceKind}


def _listing(columns: Sequence[Any], found: tuple[Source, ...]) -> Listing:
    (sku, market, asin, product_type, handling, default, amount, currency, buffer, pack) = columns
    max_cost = None
    if amount is not None:
        max_cost = Money(_trim(Decimal(amount)), currency or "")
    return Listing(
        sku, market, asin, product_type, handling, default, found, max_cost, buffer, pack
    )


def _trim(value: Decimal) -> Decimal:
    """Drop the zeros the column's scale added (1980.0000 -> 1980), without exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
