"""The frozen version 1 plus the later migrations give exactly the declared schema.

A store migrated from empty is compared, on each backend, with a store made by
``metadata.create_all`` over today's declared tables: the same tables, columns (type,
nullability, primary key), foreign keys, unique constraints and indexes. A table changed in
a ``*_tables`` module without a migration fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from stockguard.cancellations.store.schema import metadata
from stockguard.core.store import open_store

Shape = dict[str, dict[str, Any]]


def _shape(db: Engine) -> Shape:
    """Every table of a database as comparable plain values (schema_version left out)."""
    found = inspect(db)
    return {
        table: {
            "columns": [
                (c["name"], c["type"].compile(db.dialect), c["nullable"])
                for c in found.get_columns(table)
            ],
            "primary key": found.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in found.get_foreign_keys(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
        }
        for table in found.get_table_names()
        if table != "schema_version"
    }


@pytest.fixture
def declared_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'declared.db'}"
        return
    schema = re.search(r"search_path%3D(\w+)", db_url)
    assert schema is not None
    declared = f"{schema.group(1)}_declared"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {declared}"))
    try:
        yield db_url.replace(schema.group(0), f"search_path%3D{declared}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {declared} CASCADE"))
        admin.dispose()


def test_migrations_from_empty_give_the_declared_schema(db_url: str, declared_url: str) -> None:
    migrated = open_store(db_url)
    declared = create_engine(declared_url)
    try:
        metadata.create_all(declared)
        assert _shape(migrated) == _shape(declared)
        assert set(_shape(migrated)) == set(metadata.tables)
    finally:
        migrated.dispose()
        declared.dispose()
