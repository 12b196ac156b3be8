"""The planner's per-source state (``check_schedule``), saved and loaded across restarts.

* ``save_schedule``: replace the stored state of the given sources (``Planner.snapshot``);
* ``load_schedule``: every stored state (for ``Planner.restore``);
* ``due_sources``: the sources whose next check is due, highest priority first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from stockguard.core.store.connections import begin, connect
from stockguard.core.store.observation_tables import check_schedule
from stockguard.core.store.raw import driver_rows, raw_columns, utc_or_none
from stockguard.core.store.rows import from_row
from stockguard.sync.planner_state import SourceState

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
