"""Queries on the outbox: enqueue targets, move rows through their states, read what Amazon has.

Every function takes an open Connection so the caller decides the transaction: the pusher
commits the ``sending`` mark before a request leaves and the close right after the answer.
Batch operations work in chunks so thousands of rows cost a handful of statements.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, true, update

from stockguard.core.domain import DEFAULT_ACCOUNT, ListingKey, PoolKey, QuantityUpdate
from stockguard.core.store.outbox_tables import outbox
from stockguard.core.store.rows import from_row

_CHUNK = 500
_T = TypeVar("_T")


class State(StrEnum):
    """Where an outbox row is in its life (see outbox_tables for the diagram)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    ACCEPTED = "accepted"
    APPLIED = "applied"
    FAILED = "failed"
    SUPERSEDED = "superseded"


OPEN = (State.PENDING, State.SENDING, State.SENT)
DONE = (State.ACCEPTED, State.APPLIED)


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as the pusher sees it."""

    id: int
    key: str
    kind: str
    sku: str
    marketplace_id: str
    product_type: str
    quantity: int
    reason: str
    state: State
    attempts: int
    feed_id: str | None = None
    submission_id: str | None = None
    last_error: str | None = None
    decision_ref: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    account: str = DEFAULT_ACCOUNT

    @property
    def update(self) -> QuantityUpdate:
        """The quantity change this row carries."""
        return QuantityUpdate(
            self.sku, self.quantity, self.marketplace_id, self.product_type, self.account
        )

    @property
    def pool(self) -> PoolKey:
        """The quantity this row sets: its account's SKU."""
        return PoolKey(self.sku, self.account)


@dataclass(frozen=True)
class Target:
    """A quantity to enqueue, with why it is wanted."""

    update: QuantityUpdate
    reason: str = ""
    decision_ref: str | None = None  # same ref twice -> one row (the idempotency key)


@dataclass(frozen=True)
class EnqueueResult:
    """What enqueueing did: new row ids, and SKUs skipped because nothing would change."""

    queued: list[int]
    unchanged: list[str]
    duplicate: list[str]
    superseded: int


def idempotency_key(target: Target, now: datetime) -> str:
    """The decision's ref when there is one (re-enqueueing it is a no-op), else a fresh key."""
    u = target.update
    tail = target.decision_ref or f"{now.isoformat()}:{uuid.uuid4().hex[:12]}"
    # Another account's same SKU and decision is another row: its account leads the key
    # (the one account of a single-account store keeps the keys it always had).
    owner = "" if u.account == DEFAULT_ACCOUNT else f"{u.account}:"
    key = f"{owner}{u.marketplace_id}:{u.sku}:{u.quantity}:{tail}"
    return key if len(key) <= 200 else hashlib.sha256(key.encode()).hexdigest()


def enqueue(
    conn: Connection, targets: Sequence[Target], now: datetime, *, force: bool = False
) -> EnqueueResult:
    """Queue the targets that change something (all when ``force``); a newer target supersedes
    older unsent rows of the same pool (the SKU's quantity, in whichever marketplace)."""
    keys = {id(t): idempotency_key(t, now) for t in targets}
    seen = _existing_keys(conn, list(keys.values()))
    effective = effective_quantities(conn, [t.update.sku for t in targets])
    fresh: list[dict[str, Any]] = []
    unchanged: list[str] = []
    duplicate: list[str] = []
    for target in targets:
        u = target.update
        if keys[id(target)] in seen:
            duplicate.append(u.sku)
        elif not force and effective.get(u.pool) == u.quantity:
            unchanged.append(u.sku)
        else:
            effective[u.pool] = u.quantity
            seen.add(keys[id(target)])
            fresh.append(_new_row(target, keys[id(target)], now))
    superseded = _supersede(conn, [PoolKey(r["sku"], r["account"]) for r in fresh], now)
    queued: list[int] = []
    if fresh:
        conn.execute(insert(outbox), fresh)
        queued = _ids_for_keys(conn, [r["idempotency_key"] for r in fresh])
    return EnqueueResult(queued, unchanged, duplicate, superseded)


def effective_quantities(conn: Connection, skus: Sequence[str]) -> dict[PoolKey, int]:
    """Per pool: the newest open target, else the last accepted (or read back) quantity, in
    any of the SKU's marketplaces: Amazon keeps one quantity per seller and SKU."""
    wanted = sorted(set(skus))
    if len(wanted) > _WHOLE_OUTBOX_ABOVE:
        # Most of the catalogue: one grouped pass over the outbox beats hundreds of IN lists.
        newest = select(func.max(outbox.c.id)).group_by(outbox.c.account, outbox.c.sku)
        ids = newest.where(outbox.c.state.in_([s.value for s in OPEN])).union_all(
            newest.where(outbox.c.state.in_([s.value for s in DONE]))
        )
        batches = [_EFFECTIVE.where(outbox.c.id.in_(ids))]
    else:
        # The state is filtered here, not in SQL: with it, SQLite walks the state index
        # (every row) instead of seeking each SKU.
        batches = [_EFFECTIVE.where(outbox.c.sku.in_(chunk)) for chunk in _chunks(wanted)]
    open_q: dict[PoolKey, int] = {}
    done_q: dict[PoolKey, int] = {}
    opened, done = {s.value for s in OPEN}, {s.value for s in DONE}
    keep = set(wanted)
    for batch in batches:
        for sku, quantity, state, account in conn.execute(batch.order_by(outbox.c.id)):
            if sku in keep and (state in opened or state in done):
                target = open_q if state in opened else done_q
                target[PoolKey(sku, account)] = quantity  # ordered by id: the newest row wins
    return {**done_q, **open_q}


_WHOLE_OUTBOX_ABOVE = 4 * _CHUNK  # SKUs asked for, above which the whole outbox is read
_EFFECTIVE = select(outbox.c.sku, outbox.c.quantity, outbox.c.state, outbox.c.account)


def last_known(conn: Connection, skus: Sequence[str] | None = None) -> dict[ListingKey, int]:
    """Per listing: the quantity Amazon last accepted or showed on read-back there."""
    return {
        ListingKey(sku, market, account): quantity
        for sku, market, quantity, account in _done_rows(conn, skus)
    }


def _done_rows(conn: Connection, skus: Sequence[str] | None) -> list[tuple[str, str, int, str]]:
    """(SKU, marketplace id, quantity, account) of the accepted and applied rows, oldest first."""
    query = select(
        outbox.c.sku, outbox.c.marketplace_id, outbox.c.quantity, outbox.c.account
    ).where(outbox.c.state.in_([s.value for s in DONE]))
    batches = (
        [query]
        if skus is None
        else [query.where(outbox.c.sku.in_(c)) for c in _chunks(sorted(set(skus)))]
    )
    # A SKU's rows all fall in one batch, so its own rows come in id order.
    return [
        (sku, market_id, quantity, account)
        for batch in batches
        for sku, market_id, quantity, account in conn.execute(batch.order_by(outbox.c.id))
    ]


def last_known_pools(conn: Connection, skus: Sequence[str] | None = None) -> dict[PoolKey, int]:
    """Per pool: the quantity Amazon last accepted or showed, in any of the SKU's marketplaces
    (one quantity for all of them)."""
    return {PoolKey(sku, account): q for sku, _, q, account in _done_rows(conn, skus)}


def record_readback(conn: Connection, update: QuantityUpdate, now: datetime) -> None:
    """Note what Amazon shows for a SKU (read back, nothing sent): a closed ``applied`` row,
    so "what Amazon has" is known before the first push of a listing stockguard never set."""
    record_readbacks(conn, [update], now)


def record_readbacks(conn: Connection, updates: Sequence[QuantityUpdate], now: datetime) -> int:
    """``record_readback`` for many SKUs at once (an All Listings Report): one closed
    ``applied`` row of kind ``readback`` per update, written by a single executemany insert.

    A (SKU, marketplace) given twice gets two rows; the later one is what ``last_known``
    answers, as it orders by id. Returns the number of rows written.
    """
    batch = uuid.uuid4().hex[:12]  # with the position, a unique key without a query
    rows = []
    for n, u in enumerate(updates):
        key = f"readback:{batch}:{n}:{u.account}:{u.marketplace_id}:{u.sku}"[:200]
        row = _new_row(Target(u, reason="read-back"), key, now)
        row.update(kind="readback", state=State.APPLIED.value, sent_at=now, closed_at=now)
        rows.append(row)
    if rows:
        conn.execute(insert(outbox), rows)
    return len(rows)


def rows_in(
    conn: Connection,
    *states: State,
    ids: Iterable[int] | None = None,
    account: str | None = None,
) -> list[OutboxRow]:
    """Rows in any of ``states`` (optionally only these ids, this account's), oldest first."""
    query = select(outbox).where(outbox.c.state.in_([s.value for s in states]))
    if account is not None:
        query = query.where(outbox.c.account == account)
    if ids is None:
        return [_row(r) for r in conn.execute(query.order_by(outbox.c.id))]
    found: list[OutboxRow] = []
    for chunk in _chunks(sorted(set(ids))):
        found += [_row(r) for r in conn.execute(query.where(outbox.c.id.in_(chunk)))]
    return sorted(found, key=lambda r: r.id)


def latest_accepted(
    conn: Connection, skus: Sequence[str] | None = None, account: str | None = None
) -> list[OutboxRow]:
    """Rows to read back: per pool (account + SKU), the newest live row, when it is accepted
    (only ``account``'s when given).

    A pool with a newer target still in flight is skipped: that target will replace it.
    """
    live = [s.value for s in (*OPEN, *DONE)]
    newest = (
        select(func.max(outbox.c.id))
        .where(outbox.c.state.in_(live))
        .group_by(outbox.c.account, outbox.c.sku)
    )
    query = select(outbox).where(outbox.c.id.in_(newest), outbox.c.state == State.ACCEPTED.value)
    if account is not None:
        query = query.where(outbox.c.account == account)
    wanted = None if skus is None else set(skus)
    rows = [_row(r) for r in conn.execute(query.order_by(outbox.c.id))]
    return [r for r in rows if wanted is None or r.sku in wanted]


def history(conn: Connection, sku: str, account: str | None = None) -> list[OutboxRow]:
    """Every row ever written for ``sku`` (in every account, or ``account``'s), oldest first
    (answers "why is it 0?")."""
    query = select(outbox).where(outbox.c.sku == sku)
    if account is not None:
        query = query.where(outbox.c.account == account)
    return [_row(r) for r in conn.execute(query.order_by(outbox.c.id))]


def newest_id(conn: Connection) -> int:
    """The id of the newest outbox row (0 when empty)."""
    return int(conn.scalar(select(func.max(outbox.c.id))) or 0)


def written_since(conn: Connection, after_id: int) -> tuple[int, set[PoolKey]]:
    """(newest row id, the pool of every row written after ``after_id``): what anyone — a
    manual push, a cancellation, a read-back — put in the outbox since then."""
    query = select(outbox.c.id, outbox.c.sku, outbox.c.account).where(outbox.c.id > after_id)
    newest, keys = after_id, set()
    for row in conn.execute(query):
        newest = max(newest, row.id)
        keys.add(PoolKey(row.sku, row.account))
    return newest, keys


def mark_sending(conn: Connection, ids: Sequence[int], kind: str, now: datetime) -> list[int]:
    """Claim ``pending`` rows before the request: state sending, one more attempt, the send
    time and the path. Returns the ids claimed: a row superseded (or claimed by another
    sender) since it was read is not sent."""
    claimed: list[int] = []
    for chunk in _chunks(list(ids)):
        free = list(
            conn.scalars(
                select(outbox.c.id).where(
                    outbox.c.id.in_(chunk), outbox.c.state == State.PENDING.value
                )
            )
        )
        if not free:
            continue
        result = conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(free), outbox.c.state == State.PENDING.value)
            .values(
                state=State.SENDING.value,
                kind=kind,
                sent_at=now,
                feed_id=None,
                attempts=outbox.c.attempts + 1,
            )
        )
        if int(result.rowcount or 0) != len(free):  # lost a race: ask which rows are ours
            free = list(
                conn.scalars(
                    select(outbox.c.id).where(
                        outbox.c.id.in_(free), outbox.c.state == State.SENDING.value
                    )
                )
            )
        claimed += free
    return sorted(claimed)


def mark_sent(conn: Connection, ids: Sequence[int], feed_id: str) -> None:
    """A feed was submitted: remember its id so a restart polls it instead of resubmitting."""
    for chunk in _chunks(list(ids)):
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chunk), outbox.c.state == State.SENDING.value)
            .values(state=State.SENT.value, feed_id=feed_id)
        )


def set_states(conn: Connection, changes: Sequence[dict[str, Any]], now: datetime) -> None:
    """Close or release rows: each change has ``id``, ``state`` and optional error/submission.

    Only rows still in flight (sending / sent / accepted) change, so a row superseded meanwhile
    stays superseded.
    """
    if not changes:
        return
    params = [
        {
            "_id": c["id"],
            "_state": str(c["state"]),
            "_error": c.get("error"),
            "_submission": c.get("submission_id"),
            "_closed": None if c["state"] == State.PENDING else now,
        }
        for c in changes
    ]
    statement = (
        update(outbox)
        .where(
            outbox.c.id == bindparam("_id"),
            # Spelled out: an IN list cannot be expanded inside executemany().
            or_(*(outbox.c.state == s.value for s in (State.SENDING, State.SENT, State.ACCEPTED))),
        )
        .values(
            state=bindparam("_state"),
            last_error=bindparam("_error"),
            submission_id=func.coalesce(bindparam("_submission"), outbox.c.submission_id),
            closed_at=bindparam("_closed"),
        )
    )
    conn.execute(statement, params)


def release_interrupted(conn: Connection, account: str | None = None) -> int:
    """After a crash: ``sending`` rows (answer unknown) become pending again; returns how many.

    Re-sending is safe because a quantity is absolute: applying 0 twice is still 0. Rows with a
    recorded feed id are ``sent`` and are polled instead, never resubmitted. ``account``:
    only that account's rows (its pusher's).
    """
    mine = true() if account is None else outbox.c.account == account
    result = conn.execute(
        update(outbox)
        .where(outbox.c.state == State.SENDING.value, mine)
        .values(
            state=State.PENDING.value,
            feed_id=None,
            last_error="interrupted before Amazon's answer; re-sent",
        )
    )
    return int(result.rowcount or 0)


def _supersede(conn: Connection, pools: Sequence[PoolKey], now: datetime) -> int:
    """Supersede the ``pending`` rows of these pools (any marketplace).

    Never a ``sending`` row: it may be in flight in another thread or process, and only its
    sender may close it (a newer row then goes out after it, so the newer target still wins).
    """
    ids: list[int] = []
    wanted = set(pools)
    for chunk in _chunks(sorted({p.sku for p in wanted})):
        query = select(outbox.c.id, outbox.c.sku, outbox.c.account).where(
            outbox.c.sku.in_(chunk), outbox.c.state == State.PENDING.value
        )
        ids += [r.id for r in conn.execute(query) if PoolKey(r.sku, r.account) in wanted]
    mark_superseded(conn, ids, now, "superseded by a newer target")
    return len(ids)


def mark_superseded(conn: Connection, ids: Sequence[int], now: datetime, note: str) -> None:
    """Close these rows as superseded, those still ``pending`` only."""
    for chunk_ids in _chunks(list(ids)):
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(chunk_ids), outbox.c.state == State.PENDING.value)
            .values(state=State.SUPERSEDED.value, closed_at=now, last_error=note)
        )


def _existing_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        query = select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.in_(chunk))
        found.update(conn.scalars(query))
    return found


def _ids_for_keys(conn: Connection, keys: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for chunk in _chunks(keys):
        ids += conn.scalars(select(outbox.c.id).where(outbox.c.idempotency_key.in_(chunk)))
    return sorted(ids)


def _new_row(target: Target, key: str, now: datetime) -> dict[str, Any]:
    u = target.update
    return {
        "idempotency_key": key,
        "kind": "patch",
        "sku": u.sku,
        "marketplace_id": u.marketplace_id,
        "product_type": u.product_type,
        "quantity": u.quantity,
        "reason": target.reason,
        "decision_ref": target.decision_ref,
        "state": State.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "account": u.account,
    }


def _row(row: Row[Any]) -> OutboxRow:
    return from_row(OutboxRow, row, key=row.idempotency_key, state=State(row.state))


def _chunks(items: Sequence[_T]) -> list[Sequence[_T]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
