"""Hot reads without SQLAlchemy's per-value result processing.

A whole catalogue's history or check schedule is hundreds of thousands of rows, and the
column types (``UTCDateTime``, ``Numeric``) and a ``Row`` per row cost about a third of
reading them. These reads select ``raw_columns`` (the driver's values, untouched), fetch the
driver's tuples with ``driver_rows``, and convert the few typed values with ``utc`` and
``amount`` to exactly what the column types would give, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, type_coerce
from sqlalchemy.types import NullType


def raw_columns(columns: Iterable[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The columns, selected without result processing."""
    return [type_coerce(c, NullType()) for c in columns]


def driver_rows(conn: Connection, query: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows as the driver's tuples: no ``Row`` per row."""
    result = conn.execute(query, params or {})
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def utc(value: Any) -> datetime:
    """A ``UTCDateTime`` value as the driver gives it, aware UTC: SQLite's text (UTC without
    an offset) or the datetime of another backend."""
    if type(value) is str:
        return datetime.fromisoformat(value + "+00:00")  # aware at parse: the cheapest way
    at: datetime = value
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def utc_or_none(value: Any) -> datetime | None:
    return None if value is None else utc(value)


def amount(value: Any, scale: int = 4) -> Decimal:
    """A ``Numeric(_, scale)`` value as the driver gives it (SQLite: a float), as a Decimal
    read the way SQLAlchemy reads it."""
    if isinstance(value, float):
        return Decimal(f"{value:.{scale}f}")
    return Decimal(value)
