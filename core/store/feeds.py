"""Feed imports in the store, and feed items as Observations for the sync engine.

``SqlFeedStore`` is what ``suppliers.feeds.import_feed`` writes through (it matches the
``FeedStore`` protocol there without importing it: the core never imports the suppliers
package). ``latest_feed_observations`` gives the engine each item's current Observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from stockguard.core.domain import Availability, FeedImportRecord, Money, Observation, UnknownReason
from stockguard.core.store.feed_tables import feed_imports, feed_items
from stockguard.core.store.refused_feeds import claim, discard, keep_refused

_CHUNK = 500  # codes per DELETE ... IN (...) on a partial feed


@dataclass(frozen=True)
class FeedImportRow:
    """One recorded import, as `feeds history` would show it."""

    id: int
    supplier: str
    file_name: str
    imported_at: datetime
    status: str
    items: int
    out_of_stock: int
    total_quantity: int
    rows_refused: int
    missing: int
    accepted_drift: bool
    message: str


class SqlFeedStore:
    """Feed imports on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, db: Engine, *, claim: int | None = None) -> None:
        """``claim``: the refused import whose kept file this store's applied import consumes
        (`feeds accept`); recording fails with AlreadyAccepted once it is gone."""
        self.db = db
        self.claim = claim

    def last_import_totals(self, supplier: str) -> tuple[int, int, int] | None:
        """(items, out_of_stock, total_quantity) of the latest applied import, if any."""
        query = (
            select(
                feed_imports.c.item_count,
                feed_imports.c.out_of_stock,
                feed_imports.c.total_quantity,
            )
            .where(feed_imports.c.supplier == supplier, feed_imports.c.status == "applied")
            .order_by(feed_imports.c.id.desc())
            .limit(1)
        )
        with self.db.connect() as conn:
            row = conn.execute(query).first()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def current_codes(self, supplier: str) -> set[str]:
        """Every item code held for this supplier."""
        query = select(feed_items.c.code).where(feed_items.c.supplier == supplier)
        with self.db.connect() as conn:
            return set(conn.scalars(query))

    def record_import(
        self,
        record: FeedImportRecord,
        observations: Sequence[tuple[Observation, int | None]],
        *,
        replace_all: bool,
        refused_file: bytes | None = None,
    ) -> int:
        """Record an import and replace its items' state, in one transaction. A refusal keeps
        ``refused_file`` (refused_feeds); an applied import discards the supplier's kept file."""
        supplier = record.supplier
        item_count, out_of_stock, total_quantity = record.totals
        values = {
            "supplier": supplier,
            "file_name": record.file_name,
            "file_sha256": record.file_sha256,
            "imported_at": record.imported_at,
            "status": record.status,
            "rows_total": record.rows_total,
            "rows_refused": record.rows_refused,
            "item_count": item_count,
            "out_of_stock": out_of_stock,
            "total_quantity": total_quantity,
            "missing": record.missing,
            "accepted_drift": record.accepted_drift,
            "encoding": record.encoding,
            "message": record.message,
        }
        with self.db.begin() as conn:
            import_id = int(
                conn.execute(
                    insert(feed_imports).values(**values).returning(feed_imports.c.id)
                ).scalar_one()
            )
            if record.status != "applied":
                if refused_file is not None:
                    keep_refused(
                        conn,
                        import_id,
                        supplier,
                        record.file_name,
                        record.file_sha256,
                        refused_file,
                        record.imported_at,
                    )
                return import_id
            if self.claim is not None:
                claim(conn, self.claim)  # AlreadyAccepted rolls the whole import back
            discard(conn, supplier)
            if not observations:
                return import_id
            if replace_all:
                conn.execute(delete(feed_items).where(feed_items.c.supplier == supplier))
            else:
                codes = [obs.source_ref for obs, _ in observations]
                for start in range(0, len(codes), _CHUNK):
                    conn.execute(
                        delete(feed_items).where(
                            feed_items.c.supplier == supplier,
                            feed_items.c.code.in_(codes[start : start + _CHUNK]),
                        )
                    )
            rows = [_item_row(supplier, import_id, obs, line) for obs, line in observations]
            conn.execute(insert(feed_items), rows)
        return import_id

    def suppliers(self) -> list[str]:
        """Every supplier with a recorded import, by name."""
        query = select(feed_imports.c.supplier).distinct().order_by(feed_imports.c.supplier)
        with self.db.connect() as conn:
            return list(conn.scalars(query))

    def imports(self, supplier: str, limit: int = 20) -> list[FeedImportRow]:
        """The latest imports of a supplier, newest first."""
        c = feed_imports.c
        query = (
            select(
                c.id,
                c.supplier,
                c.file_name,
                c.imported_at,
                c.status,
                c.item_count,
                c.out_of_stock,
                c.total_quantity,
                c.rows_refused,
                c.missing,
                c.accepted_drift,
                c.message,
            )
            .where(c.supplier == supplier)
            .order_by(c.id.desc())
            .limit(limit)
        )
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FeedImportRow(
                id=row.id,
                supplier=row.supplier,
                file_name=row.file_name,
                imported_at=row.imported_at,
                status=row.status,
                items=row.item_count,
                out_of_stock=row.out_of_stock,
                total_quantity=row.total_quantity,
                rows_refused=row.rows_refused,
                missing=row.missing,
                accepted_drift=bool(row.accepted_drift),
                message=row.message,
            )
            for row in rows
        ]


def _item_row(supplier: str, import_id: int, obs: Observation, line: int | None) -> dict[str, Any]:
    return {
        "supplier": supplier,
        "code": obs.source_ref,
        "import_id": import_id,
        "line": line,
        "availability": obs.availability.value,
        "reason": obs.reason.value if obs.reason else None,
        "quantity": obs.quantity,
        "price_amount": obs.price.amount if obs.price else None,
        "currency": obs.price.currency if obs.price else None,
        "ships_within_days": obs.ships_within_days,
        "evidence": obs.evidence,
        "checked_at": obs.checked_at,
    }


def latest_feed_observations(db: Engine, supplier: str) -> dict[str, Observation]:
    """Each item code of ``supplier`` mapped to the Observation of its latest applied feed."""
    c = feed_items.c
    query = select(
        c.code,
        c.availability,
        c.reason,
        c.quantity,
        c.price_amount,
        c.currency,
        c.ships_within_days,
        c.evidence,
        c.checked_at,
    ).where(c.supplier == supplier)
    found: dict[str, Observation] = {}
    with db.connect() as conn:
        for row in conn.execute(query):
            price = Money(row.price_amount, row.currency) if row.price_amount is not None else None
            found[row.code] = Observation(
                source_ref=row.code,
                availability=Availability(row.availability),
                checked_at=row.checked_at,
                evidence=row.evidence,
                reason=UnknownReason(row.reason) if row.reason else None,
                quantity=row.quantity,
                price=price,
                ships_within_days=row.ships_within_days,
                adapter="feed",
            )
    return found
