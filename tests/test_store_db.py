"""The store opens, migrates once, and records its schema version on both backends."""

from __future__ import annotations

from sqlalchemy import Engine, select

from stockguard.core.store.db import apply_migrations, schema_version
from stockguard.core.store.migrations import MIGRATIONS


def test_migrations_are_recorded_and_not_reapplied(db: Engine) -> None:
    with db.connect() as conn:
        versions = list(conn.scalars(select(schema_version.c.version)))
    assert versions == [version for version, _, _ in MIGRATIONS]
    assert apply_migrations(db) == []


def test_a_version_1_store_gets_the_decisions_index(db: Engine) -> None:
    from sqlalchemy import delete, inspect

    from stockguard.core.store.observation_tables import decisions_by_listing

    with db.begin() as conn:  # as a store made before version 2 was
        decisions_by_listing.drop(conn)
        conn.execute(delete(schema_version).where(schema_version.c.version == 2))

    assert apply_migrations(db) == [2]
    names = {ix["name"] for ix in inspect(db).get_indexes("decisions")}
    assert "ix_decisions_listing" in names
