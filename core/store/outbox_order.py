"""The outbox's ordering rules: a later target always has the last word on Amazon.

- ``supersede_older_pending``: before a push round, a ``pending`` row with a newer target of
  the same pool (SKU, in any marketplace: Amazon keeps one quantity) is superseded (a crash
  leftover, a re-queued older row);
- ``newer_done_rows`` + ``reassert``: when an older feed finishes after a newer row was
  accepted or applied, that newer row is sent again (Amazon applied the feed last).

Enqueueing itself supersedes only ``pending`` rows (core/store/outbox.py): a ``sending`` row may
be in flight, and only its sender closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from stockguard.core.store.outbox import DONE, OutboxRow, State, _chunks, _row, mark_superseded
from stockguard.core.store.outbox_tables import outbox


def supersede_older_pending(conn: Connection, now: datetime) -> int:
    """Before a push round: a pending row with a newer target of the same pool (SKU)
    (in any state but superseded; read-backs are observations, not targets) is superseded.

    So a crash leftover released to ``pending`` and a newer target never both go out, and a
    re-queued older row never follows a newer one to Amazon. Returns how many.
    """
    targets = outbox.c.kind != "readback"
    pending = list(
        conn.execute(
            select(outbox.c.id, outbox.c.sku).where(outbox.c.state == State.PENDING.value, targets)
        )
    )
    newest: dict[str, int] = {}
    for chunk in _chunks(sorted({r.sku for r in pending})):  # only the SKUs with pending rows
        query = (
            select(outbox.c.sku, func.max(outbox.c.id).label("top"))
            .where(outbox.c.sku.in_(chunk), targets, outbox.c.state != State.SUPERSEDED.value)
            .group_by(outbox.c.sku)
        )
        newest.update({r.sku: r.top for r in conn.execute(query)})
    ids = [r.id for r in pending if newest.get(r.sku, r.id) > r.id]
    mark_superseded(conn, ids, now, "superseded by a newer target")
    return len(ids)


def newer_done_rows(conn: Connection, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
    """Rows newer than any of ``rows`` (same pool: SKU) already accepted or applied:
    an older feed finishing after them may have overwritten what they set."""
    if not rows:
        return []
    oldest: dict[str, int] = {}
    for r in rows:
        oldest[r.sku] = min(oldest.get(r.sku, r.id), r.id)
    found: list[OutboxRow] = []
    for chunk in _chunks(sorted(oldest)):
        query = select(outbox).where(
            outbox.c.sku.in_(chunk),
            outbox.c.kind != "readback",
            outbox.c.state.in_([s.value for s in DONE]),
        )
        for raw in conn.execute(query.order_by(outbox.c.id)):
            floor = oldest.get(raw.sku)
            if floor is not None and raw.id > floor:
                found.append(_row(raw))
    return found


def reassert(conn: Connection, ids: Sequence[int], note: str) -> int:
    """Put accepted/applied rows back to ``pending`` so they are sent again (``note`` says
    why); a row that is meanwhile superseded or in flight is left alone."""
    count = 0
    for chunk in _chunks(list(ids)):
        result = conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chunk), outbox.c.state.in_([s.value for s in DONE]))
            .values(state=State.PENDING.value, closed_at=None, feed_id=None, last_error=note)
        )
        count += int(result.rowcount or 0)
    return count


def has_newer_target(conn: Connection, row: OutboxRow) -> bool:
    """A newer target (not a read-back, not superseded) exists for the row's pool (SKU, in
    any marketplace): the row is history, and Amazon is compared with the newer one."""
    query = select(func.count()).where(
        outbox.c.sku == row.sku,
        outbox.c.id > row.id,
        outbox.c.kind != "readback",
        outbox.c.state != State.SUPERSEDED.value,
    )
    return bool(conn.scalar(query))
