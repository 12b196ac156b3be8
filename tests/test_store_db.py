"""The store opens, migrates once, and records its schema version on both backends."""

from __future__ import annotations

from sqlalchemy import Engine, select

from sync.store.db import apply_migrations, schema_version


def test_migrations_are_recorded_and_not_reapplied(engine: Engine) -> None:
    with engine.connect() as conn:
        versions = list(conn.scalars(select(schema_version.c.version)))
    assert versions == [1]
    assert apply_migrations(engine) == []
