"""The planner's per-source state (``check_schedule``), saved and loaded across restarts.

* ``save_schedule``: replace the stored state of the given sources (``Planner.snapshot``);
* ``load_schedule``: every stored state (for ``Planner.restore``);
* ``load_schedule_columns``: the same column by column, fast (the start of ``run``: a million
  rows on PostgreSQL in about two seconds, where ``SourceState`` objects took over ten);
* ``due_sources``: the sources whose next check is due, highest priority first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, insert, select, text

from stockguard.core.errors import StoreError
from stockguard.core.store.connections import begin, connect
from stockguard.core.store.observation_tables import check_schedule
from stockguard.core.store.raw import driver_rows, raw_columns, utc_or_none
from stockguard.core.store.rows import from_row
from stockguard.sync.planner_state import STATE_NAMES, ScheduleColumns, SourceState

_CHUNK = 500  # keeps IN (...) lists under every backend's parameter limit
_WRITE_BATCH = 10_000  # rows per executemany


def save_schedule(db: Engine | Connection, rows: Sequence[SourceState]) -> None:
    """Replace the stored state of these sources (the planner's ``snapshot``), in one
    transaction, written in batches so 150,000 parameter rows are never all in memory."""
    with begin(db) as conn:
        refs = [r.source_ref for r in rows]
        for start in range(0, len(refs), _CHUNK):
            chunk = refs[start : start + _CHUNK]
            conn.execute(delete(check_schedule).where(check_schedule.c.source_ref.in_(chunk)))
        for start in range(0, len(rows), _WRITE_BATCH):
            batch = rows[start : start + _WRITE_BATCH]
            conn.execute(insert(check_schedule), [_schedule_row(r) for r in batch])


def load_schedule(db: Engine | Connection) -> list[SourceState]:
    """Every stored source state (for ``Planner.restore``), built positionally: a catalogue
    of 150,000 sources is read at every start."""
    with connect(db) as conn:
        return [_state(row) for row in driver_rows(conn, _STATE_QUERY)]


def load_schedule_columns(db: Engine | Connection) -> ScheduleColumns:
    """Every stored source state column by column (for ``Planner.restore``).

    On PostgreSQL each column of a slice of the table comes back as one value: text columns
    joined by newlines, numbers as one bytea of big-endian doubles, read into numpy at once.
    Slices are ranges of the table's pages (``_PAGES_PER_READ``), read in one snapshot, so
    no value nears PostgreSQL's 1 GB limit. Other backends go through ``load_schedule``.
    """
    if db.dialect.name != "postgresql":
        return ScheduleColumns.from_states(load_schedule(db))
    if isinstance(db, Connection):
        return _read_pages(db)
    with db.connect() as conn:
        snapshot = conn.execution_options(isolation_level="REPEATABLE READ")
        with snapshot.begin():
            return _read_pages(snapshot)


_PAGES_PER_READ = 8192  # 64 MB of table a slice
_TEXT = ("source_ref", "listing_sku", "host")
_NUMBERS = (
    "coalesce(array_position(ARRAY[{names}]::varchar[], state::varchar) - 1, -1)",
    "coalesce(extract(epoch FROM observed_at)::float8, 0)",
    "coalesce(extract(epoch FROM checked_at)::float8, 0)",
    "streak",
    "stockouts",
    "restocks",
    "in_days",
    "out_days",
)
_SLICE_QUERY = (
    "SELECT count(*), "
    + ", ".join(f"string_agg({c}, E'\\n')" for c in _TEXT)
    + ", "
    + ", ".join(f"string_agg(float8send(({c})::float8), ''::bytea)" for c in _NUMBERS).format(
        names=", ".join(f"'{name}'" for name in STATE_NAMES)
    )
    + " FROM check_schedule WHERE ctid >= %s::tid"
)


def _read_pages(conn: Connection) -> ScheduleColumns:
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection
    with driver.cursor(binary=True) as cursor:  # bytea in binary: no hex to decode
        pages = cursor.execute(
            "SELECT pg_relation_size('check_schedule') / current_setting('block_size')::int"
        ).fetchone()
        last = int(pages[0]) if pages else 0
        parts = []
        for first in range(0, max(last, 1), _PAGES_PER_READ):
            end = first + _PAGES_PER_READ
            upto = None if end >= last else f"({end},0)"  # the last slice: to the end
            if upto is None:
                row = cursor.execute(_SLICE_QUERY, (f"({first},0)",)).fetchone()
            else:
                query = _SLICE_QUERY + " AND ctid < %s::tid"
                row = cursor.execute(query, (f"({first},0)", upto)).fetchone()
            if row is not None and row[0]:
                parts.append(_slice_columns(conn, row, f"({first},0)", upto))
    return ScheduleColumns.concat(parts)


def _slice_columns(
    conn: Connection, row: Sequence[Any], first: str, upto: str | None
) -> ScheduleColumns:
    count = int(row[0])
    refs, skus, hosts = (str(value).split("\n") for value in row[1:4])
    if not len(refs) == len(skus) == len(hosts) == count:  # a newline inside a value: row by row
        return ScheduleColumns.from_states(_slice_states(conn, first, upto))
    state, observed, checked, *counts = (
        np.frombuffer(v, ">f8").astype(np.float64) for v in row[4:]
    )
    if (state < 0).any():
        bad = refs[int(np.argmax(state < 0))]
        raise StoreError(f"check_schedule: source {bad!r} has a state not in {STATE_NAMES}")
    streak, stockouts, restocks, in_days, out_days = counts
    return ScheduleColumns(
        refs,
        skus,
        hosts,
        state.astype(np.int8),
        observed,
        checked,
        streak,
        stockouts,
        restocks,
        in_days,
        out_days,
    )


def _slice_states(conn: Connection, first: str, upto: str | None) -> list[SourceState]:
    query = _STATE_QUERY.where(text("ctid >= CAST(:first AS tid)"))
    if upto is not None:
        query = query.where(text("ctid < CAST(:upto AS tid)"))
    return [_state(row) for row in driver_rows(conn, query, {"first": first, "upto": upto})]


def due_sources(db: Engine | Connection, now: datetime, limit: int = 100) -> list[SourceState]:
    """Sources whose next check is due at ``now``, highest priority first."""
    query = (
        select(check_schedule)
        .where(check_schedule.c.next_check_at <= now)
        .order_by(check_schedule.c.priority.desc(), check_schedule.c.next_check_at)
        .limit(limit)
    )
    with connect(db) as conn:
        return [from_row(SourceState, row) for row in conn.execute(query)]


# The columns in SourceState's field order, as the driver gives them (see core.store.raw).
_STATE_QUERY = select(*raw_columns(check_schedule.c[f.name] for f in fields(SourceState)))


def _state(row: Sequence[Any]) -> SourceState:
    (
        ref,
        sku,
        host,
        state,
        observed,
        checked,
        streak,
        outs,
        ins,
        in_days,
        out_days,
        upcoming,
        rank,
    ) = row
    return SourceState(
        ref,
        sku,
        host,
        state,
        utc_or_none(observed),
        utc_or_none(checked),
        streak,
        outs,
        ins,
        in_days,
        out_days,
        utc_or_none(upcoming),
        rank,
    )


def _schedule_row(r: SourceState) -> dict[str, Any]:
    return {
        "source_ref": r.source_ref,
        "listing_sku": r.listing_sku,
        "host": r.host,
        "state": r.state,
        "observed_at": r.observed_at,
        "checked_at": r.checked_at,
        "next_check_at": r.next_check_at,
        "priority": r.priority,
        "streak": r.streak,
        "stockouts": r.stockouts,
        "restocks": r.restocks,
        "in_days": r.in_days,
        "out_days": r.out_days,
    }
