"""Opening the database: engine options, SQLite pragmas (WAL), and versioned migrations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from stockguard.core.config import database_url
from stockguard.core.errors import ConfigError, StoreError, hide_passwords
from stockguard.core.store.metadata import UTCDateTime

_version_meta = MetaData()
schema_version = Table(
    "schema_version",
    _version_meta,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
)

Migration = tuple[int, str, Callable[[Connection], None]]


def open_store(url: str, *, migrate: bool = True) -> Engine:
    """An Engine for ``url`` (a SQLAlchemy URL or a SQLite path), migrated to the latest schema."""
    url = database_url(url)
    try:
        db = _create(url)
    except (SQLAlchemyError, ValueError) as exc:  # a port that is no number: a ValueError
        raise ConfigError(f"not a usable database URL {_detail(url, exc)}") from None
    try:
        if migrate:
            apply_migrations(db)
    except SQLAlchemyError as exc:
        db.dispose()
        raise StoreError(f"cannot open database {_detail(url, exc)}") from None
    return db


def _detail(url: str, exc: Exception) -> str:
    """The URL and the first line of the error, without any password."""
    first = (str(exc).splitlines() or [""])[0]
    return hide_passwords(f"{url}: {exc.__class__.__name__}: {first}")


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        db = create_engine(url, connect_args={"timeout": 30})
        event.listen(db, "connect", _sqlite_pragmas)
        return db
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the scheduled service write while `status` or `plan` read.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def apply_migrations(db: Engine) -> list[int]:
    """Apply every migration not yet recorded in ``schema_version``; return those applied."""
    from stockguard.core.store.migrations import MIGRATIONS

    applied: list[int] = []
    with db.begin() as conn:
        _version_meta.create_all(conn)
        done = set(conn.scalars(select(schema_version.c.version)))
        for version, name, step in MIGRATIONS:
            if version in done:
                continue
            step(conn)
            conn.execute(
                insert(schema_version).values(
                    version=version, name=name, applied_at=datetime.now(UTC)
                )
            )
            applied.append(version)
    return applied
