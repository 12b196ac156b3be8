"""Fixtures every test area shares: databases (SQLite and PostgreSQL), ../shared, a clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from stockguard.core.clock import ManualClock
from stockguard.core.store import open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PG_SERVER = os.environ.get(
    "STOCKGUARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the project; the test is skipped on a clone without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (a user's clone): nothing to check against")
    return SHARED


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when told to."""
    return ManualClock()


def _postgres_reachable() -> bool:
    probe = create_engine(PG_SERVER)
    try:
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        probe.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema; dropped afterwards.

    Skipped when no server is reachable (a laptop), but never in CI: there it fails.
    """
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER} in CI")
        pytest.skip("no PostgreSQL server reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stockguard.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """A migrated store on each backend."""
    eng = open_store(db_url)
    yield eng
    eng.dispose()
