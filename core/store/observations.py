"""Queries on observations and decisions.

* ``record_observations`` / ``latest_observations`` / ``recent_observations``: what checks saw;
  ``recent_observations(k)`` gives the last K per source, oldest first, as the policy wants.
* ``record_decisions`` / ``decision_history`` / ``decision_at``: what was decided and why;
  ``decision_at(engine, "SKU-1", at)`` answers "why did SKU-1 show this at 12:03?" with the
  decision then in force and the observation (page, phrase) behind it.

Times are stored as UTC and come back timezone-aware on both backends. The planner's
per-source state (the check schedule) is saved and loaded by ``schedule``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, func, insert, select

from stockguard.core.domain import Availability, Decision, Money, Observation, UnknownReason
from stockguard.core.errors import StoreError
from stockguard.core.store import raw
from stockguard.core.store.connections import begin, connect
from stockguard.core.store.listing_tables import listings
from stockguard.core.store.observation_tables import decisions, observations
from stockguard.core.store.raw import driver_rows, raw_columns

_CHUNK = 500  # keeps IN (...) lists under every backend's parameter limit
_WRITE_BATCH = 10_000  # rows per executemany of a large write


@dataclass(frozen=True)
class DecisionRecord:
    """A stored decision, with the observation behind it when there was one."""

    id: int
    decision: Decision
    previous_quantity: int | None
    observation: Observation | None


# --- observations ---------------------------------------------------------------------------
def record_observations(db: Engine | Connection, items: Sequence[Observation]) -> list[int]:
    """Store observations; returns their ids in the same order."""
    if not items:
        return []
    with begin(db) as conn:
        return [
            _new_id(conn.execute(insert(observations).values(**_observation_row(o)))) for o in items
        ]


def record_observation(db: Engine | Connection, item: Observation) -> int:
    """Store one observation; returns its id."""
    return record_observations(db, [item])[0]


def latest_observations(
    db: Engine | Connection, refs: Iterable[str] | None = None
) -> dict[str, Observation]:
    """The newest observation of each source (of ``refs``, or of every source)."""
    return {ref: seen[-1] for ref, seen in recent_observations(db, 1, refs).items()}


def recent_observations(
    db: Engine | Connection, k: int, refs: Iterable[str] | None = None
) -> dict[str, list[Observation]]:
    """The last ``k`` observations per source, oldest first (newest last).

    One index seek per source (a correlated ``LIMIT k``), not a window over the whole table:
    a week of checks of 150,000 sources is read in about a second on SQLite.
    """
    wanted = None if refs is None else list(dict.fromkeys(refs))
    # Equal texts (the caller's refs, the few evidence phrases and adapters) share one
    # string: a catalogue's history is a few hundred thousand rows, about 40% less memory.
    texts: dict[str, str] = {ref: ref for ref in wanted or ()}
    result: dict[str, list[Observation]] = {}
    with connect(db) as conn:
        for chunk in _chunks(wanted):
            query, params = _last_k_query(k, chunk is not None), {"refs": chunk}
            for row in driver_rows(conn, query, params):
                seen = _observation(row, texts)
                found = result.get(seen.source_ref)
                if found is None:
                    result[seen.source_ref] = [seen]
                else:
                    found.append(seen)
    for seen_list in result.values():
        if len(seen_list) > 1:
            seen_list.sort(key=_checked_at)
    return result


_checked_at = attrgetter("checked_at")


@cache
def _last_k_query(k: int, some: bool) -> Any:
    """The statement, built once per ``k`` (and reused from SQLAlchemy's compiled cache):
    of the sources in the expanding parameter ``refs`` when ``some``, else of every source."""
    known = select(observations.c.source_ref).distinct()
    if some:
        known = known.where(observations.c.source_ref.in_(bindparam("refs", expanding=True)))
    each = known.subquery("each_source")
    inner = observations.alias("inner_obs")
    last_ids = (
        select(inner.c.id)
        .where(inner.c.source_ref == each.c.source_ref)
        .order_by(inner.c.checked_at.desc(), inner.c.id.desc())
        .limit(k)
        .correlate(each)
    )
    return select(*raw_columns(observations.c)).select_from(
        each.join(observations, observations.c.id.in_(last_ids.scalar_subquery()))
    )


def _observation_row(o: Observation) -> dict[str, Any]:
    return {
        "source_ref": o.source_ref,
        "checked_at": o.checked_at,
        "availability": o.availability.value,
        "reason": o.reason.value if o.reason else None,
        "evidence": o.evidence,
        "quantity": o.quantity,
        "price_amount": o.price.amount if o.price else None,
        "price_currency": o.price.currency if o.price else None,
        "ships_within_days": o.ships_within_days,
        "http_status": o.http_status,
        "content_hash": o.content_hash,
        "adapter": o.adapter,
        "url": o.url,
    }


_AVAILABILITY = {a.value: a for a in Availability}
_REASON = {r.value: r for r in UnknownReason}


def _observation(row: Sequence[Any], texts: dict[str, str] | None = None) -> Observation:
    """An Observation from a row of ``observations`` (its columns in order), typed by
    SQLAlchemy or as the driver gives them (``raw_columns``); its texts taken from
    ``texts`` when an equal one is there already (else added to it)."""
    # Hot path of `plan` (hundreds of thousands of rows): positional access, dict lookups.
    (
        _,
        ref,
        checked_at,
        availability,
        reason,
        evidence,
        quantity,
        amount,
        currency,
        ships,
        status,
        content_hash,
        adapter,
        url,
    ) = row
    if texts is not None:
        ref = texts.setdefault(ref, ref)
        evidence = texts.setdefault(evidence, evidence)
        adapter = texts.setdefault(adapter, adapter)
    price = None
    if amount is not None and currency:
        price = Money(_trim(raw.amount(amount)), currency)
    return Observation(
        ref,
        _AVAILABILITY[availability],
        raw.utc(checked_at),
        evidence,
        _REASON[reason] if reason else None,
        quantity,
        price,
        ships,
        status,
        content_hash,
        adapter,
        url,
    )


def _trim(value: Decimal) -> Decimal:
    """Drop the zeros the column's scale added (1980.0000 -> 1980), without exponent form."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


# --- decisions ------------------------------------------------------------------------------
def record_decision(
    db: Engine | Connection,
    decision: Decision,
    previous_quantity: int | None = None,
    observation_id: int | None = None,
) -> int:
    """Store one decision with its reason and evidence; returns its id."""
    row = _decision_row(decision, previous_quantity, observation_id)
    with begin(db) as conn:
        return _new_id(conn.execute(insert(decisions).values(**row)))


def record_decisions(
    db: Engine | Connection, items: Sequence[tuple[Decision, int | None, int | None]]
) -> None:
    """Store many (decision, previous quantity, observation id) in one transaction, written
    in batches so a whole catalogue's parameter rows are never all in memory at once."""
    if items:
        with begin(db) as conn:
            for start in range(0, len(items), _WRITE_BATCH):
                batch = items[start : start + _WRITE_BATCH]
                conn.execute(insert(decisions), [_decision_row(*item) for item in batch])


def decision_history(
    db: Engine | Connection,
    sku: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    account: str | None = None,
) -> list[DecisionRecord]:
    """A SKU's decisions (every account's, or ``account``'s), newest first, each with the
    observation it rested on."""
    query = (
        select(decisions, *_joined_columns())
        .select_from(
            decisions.outerjoin(observations, observations.c.id == decisions.c.observation_id)
        )
        .where(decisions.c.sku == sku)
    )
    if account is not None:
        query = query.where(decisions.c.account == account)
    if since is not None:
        query = query.where(decisions.c.decided_at >= since)
    if until is not None:
        query = query.where(decisions.c.decided_at <= until)
    query = query.order_by(decisions.c.decided_at.desc(), decisions.c.id.desc()).limit(limit)
    with connect(db) as conn:
        return [_decision_record(row) for row in conn.execute(query)]


def decision_at(
    db: Engine | Connection, sku: str, at: datetime, account: str | None = None
) -> DecisionRecord | None:
    """The decision in force for ``sku`` (of ``account``) at ``at``: why it showed what it
    showed then."""
    found = decision_history(db, sku, until=at, limit=1, account=account)
    return found[0] if found else None


def sku_accounts(db: Engine | Connection, sku: str) -> list[str]:
    """The seller accounts that list or decided ``sku``, sorted: more than one, and "which
    listing?" needs an account to answer."""
    listed = select(listings.c.account).where(listings.c.sku == sku)
    decided = select(decisions.c.account).where(decisions.c.sku == sku)
    with connect(db) as conn:
        return sorted({row[0] for row in conn.execute(listed.union(decided))})


def current_targets(db: Engine | Connection) -> dict[tuple[str, str], int]:
    """The latest decided quantity per (sku, marketplace): what the engine last wanted shown."""
    ranked = select(
        decisions.c.sku,
        decisions.c.marketplace,
        decisions.c.target_quantity,
        func.row_number()
        .over(
            partition_by=(decisions.c.sku, decisions.c.marketplace),
            order_by=(decisions.c.decided_at.desc(), decisions.c.id.desc()),
        )
        .label("rank"),
    ).subquery()
    query = select(ranked.c.sku, ranked.c.marketplace, ranked.c.target_quantity).where(
        ranked.c.rank == 1
    )
    with connect(db) as conn:
        return {(r.sku, r.marketplace): int(r.target_quantity) for r in conn.execute(query)}


def _joined_columns() -> list[Any]:
    return [c.label(f"obs_{c.name}") for c in observations.c]


def _decision_row(d: Decision, previous: int | None, observation_id: int | None) -> dict[str, Any]:
    return {
        "sku": d.sku,
        "marketplace": d.marketplace,
        "decided_at": d.decided_at,
        "target_quantity": d.target_quantity,
        "previous_quantity": previous,
        "reason": d.reason,
        "evidence": d.evidence,
        "source_ref": d.source_ref,
        "observation_id": observation_id,
        "account": d.account,
    }


def _decision_record(row: Row[Any]) -> DecisionRecord:
    decision = Decision(
        sku=row.sku,
        marketplace=row.marketplace,
        target_quantity=row.target_quantity,
        reason=row.reason,
        evidence=row.evidence,
        decided_at=row.decided_at,
        source_ref=row.source_ref,
        account=row.account,
    )
    seen = None
    if row.obs_id is not None:
        seen = _observation(tuple(getattr(row, f"obs_{c.name}") for c in observations.c))
    return DecisionRecord(int(row.id), decision, row.previous_quantity, seen)


# --- plumbing -------------------------------------------------------------------------------
def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database returned no id for a new row")
    return int(key[0])


def _chunks(values: list[str] | None) -> Iterable[list[str] | None]:
    if values is None:
        yield None
        return
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def observations_since(
    db: Engine | Connection, after_id: int, limit: int = 50_000
) -> list[tuple[int, Observation]]:
    """Observations stored after id ``after_id`` (by any process), oldest first, with ids:
    the distributed runner's dispatcher reads its workers' checks with it."""
    query = (
        select(observations).where(observations.c.id > after_id).order_by(observations.c.id)
    ).limit(limit)
    with connect(db) as conn:
        return [(int(row[0]), _observation(tuple(row))) for row in conn.execute(query)]
