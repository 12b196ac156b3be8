"""The facts `status` and `plan` report, as aggregate SQL over the store.

Per listing, three things are put side by side:

* **on Amazon**: the last quantity Amazon accepted or showed on read-back (the newest
  ``accepted`` / ``applied`` outbox row, read-backs included); "never read" without one.
  Amazon keeps one quantity per SKU for all its marketplaces (a pool), so the outbox rows
  of a SKU in any marketplace speak for each of its listings;
* **the policy**: the newest recorded decision (target and reason); "not decided" without one;
* **why they differ**: the state of the newest outbox row that carries the decided quantity
  (queued, waiting to retry, sent awaiting Amazon, refused), else "not sent yet", or "Amazon
  not read yet" when Amazon's quantity is unknown.

``listing_states`` groups by those columns in the database, so `status` on 100,000 listings
reads a few dozen rows; the newest-row-per-listing lookups use the (sku, marketplace, id)
indexes of the outbox and the decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    select,
    true,
)

from stockguard.core.domain import DEFAULT_ACCOUNT, PoolKey
from stockguard.core.store.listing_tables import listings
from stockguard.core.store.observation_tables import decisions
from stockguard.core.store.outbox import DONE, OPEN, State
from stockguard.core.store.outbox_tables import outbox

# Why a listing's Amazon quantity differs from the policy's target.
AGREE = ""
NOT_DECIDED = "not yet decided"
QUEUED = "queued"
RETRYING = "waiting for a quota or a retry"
SENT = "sent, awaiting Amazon"
REFUSED = "refused by Amazon"
NOT_READ = "Amazon's quantity not read yet"
NOT_SENT = "not sent yet"
_CHUNK = 500  # SKUs per IN (...) list
_WHOLE_OUTBOX_ABOVE = 4 * _CHUNK  # SKUs asked for, above which the whole outbox is read


@dataclass(frozen=True)
class StateCount:
    """How many listings share one combination of the three facts."""

    amazon: str  # live | at 0 | never read
    policy: str  # live | at 0 | not decided
    reason: str  # the decision's reason ("" when not decided)
    why: str  # AGREE or why the two differ
    listings: int
    account: str = DEFAULT_ACCOUNT  # the seller account these listings belong to


@dataclass(frozen=True)
class Delivery:
    """One listing's Amazon quantity and the newest push of a quantity to it."""

    amazon: int | None  # last accepted / read back; None: never read
    quantity: int | None  # the quantity of the newest push (not a read-back), if any
    state: str | None  # that push's outbox state
    feed_id: str | None
    error: str | None


def _newest_ids(skus: Sequence[str] | None = None) -> Subquery:
    """Per pool (account + SKU: one quantity for all its marketplaces on Amazon), in one pass
    over the outbox (or over the rows of ``skus``): the newest row Amazon accepted or showed
    (``known``), the newest open one (``opened``) and the newest push (``pushed``)."""

    def newest_where(condition: ColumnElement[bool], name: str) -> ColumnElement[int]:
        return func.max(case((condition, outbox.c.id))).label(name)

    states = outbox.c.state
    push_states = [s.value for s in (*OPEN, *DONE, State.FAILED)]
    query = select(
        outbox.c.sku,
        outbox.c.account,
        newest_where(states.in_([s.value for s in DONE]), "known"),
        newest_where(states.in_([s.value for s in OPEN]), "opened"),
        newest_where(and_(states.in_(push_states), outbox.c.kind != "readback"), "pushed"),
    )
    if skus is not None:
        query = query.where(outbox.c.sku.in_(skus))
    return query.group_by(outbox.c.account, outbox.c.sku).subquery("newest")


def _per_listing() -> Select[tuple[object, ...]]:
    """One row per listing: last known, newest open, newest push and newest decision."""
    ids = _newest_ids()
    known, opened, pushed = outbox.alias("known"), outbox.alias("opened"), outbox.alias("pushed")
    dec_ids = (
        select(
            decisions.c.sku,
            decisions.c.marketplace,
            decisions.c.account,
            func.max(decisions.c.id).label("id"),
        )
        .group_by(decisions.c.account, decisions.c.sku, decisions.c.marketplace)
        .subquery("dec_ids")
    )
    dec = decisions.alias("dec")
    joined = (
        listings.outerjoin(  # the pool's rows
            ids, and_(ids.c.sku == listings.c.sku, ids.c.account == listings.c.account)
        )
        .outerjoin(known, known.c.id == ids.c.known)
        .outerjoin(opened, opened.c.id == ids.c.opened)
        .outerjoin(pushed, pushed.c.id == ids.c.pushed)
        .outerjoin(
            dec_ids,
            and_(
                dec_ids.c.sku == listings.c.sku,
                dec_ids.c.marketplace == listings.c.marketplace,
                dec_ids.c.account == listings.c.account,
            ),
        )
        .outerjoin(dec, dec.c.id == dec_ids.c.id)
    )
    target, now = dec.c.target_quantity, known.c.quantity
    carries = opened.c.quantity == target
    why = case(
        (target.is_(None), literal(NOT_DECIDED)),
        (now == target, literal(AGREE)),
        (
            and_(carries, opened.c.state == State.PENDING.value, opened.c.last_error.is_(None)),
            literal(QUEUED),
        ),
        (and_(carries, opened.c.state == State.PENDING.value), literal(RETRYING)),
        (carries, literal(SENT)),
        (and_(pushed.c.state == State.FAILED.value, pushed.c.quantity == target), literal(REFUSED)),
        (now.is_(None), literal(NOT_READ)),
        else_=literal(NOT_SENT),
    )
    amazon = case((now.is_(None), "never read"), (now > 0, "live"), else_="at 0")
    policy = case((target.is_(None), "not decided"), (target > 0, "live"), else_="at 0")
    reason = func.coalesce(dec.c.reason, "")
    return select(
        listings.c.sku,
        listings.c.marketplace,
        listings.c.account,
        amazon.label("amazon"),
        policy.label("policy"),
        reason.label("reason"),
        why.label("why"),
        now.label("amazon_quantity"),
        target.label("target"),
    ).select_from(joined)


def listing_states(conn: Connection, account: str | None = None) -> list[StateCount]:
    """Listings counted per (account, on Amazon, policy, reason, why they differ); only
    ``account``'s when given."""
    rows = _per_listing().subquery("per_listing")
    facts = (rows.c.account, rows.c.amazon, rows.c.policy, rows.c.reason, rows.c.why)
    query = select(*facts, func.count().label("n")).group_by(*facts)
    if account is not None:
        query = query.where(rows.c.account == account)
    return [
        StateCount(r.amazon, r.policy, r.reason, r.why, int(r.n), r.account)
        for r in conn.execute(query)
    ]


@dataclass(frozen=True)
class ListingState:
    """One listing's three facts (the rows ``listing_states`` counts)."""

    sku: str
    marketplace: str
    amazon: str
    policy: str
    reason: str
    why: str
    amazon_quantity: int | None
    target: int | None
    account: str = DEFAULT_ACCOUNT


@dataclass(frozen=True)
class ListingFilter:
    """Which listings to show: a SKU fragment, an account and exact values of the three facts."""

    search: str = ""
    account: str = ""  # "": every account
    amazon: str = ""
    policy: str = ""
    reason: str = ""
    why: str | None = None  # None: any; AGREE ("") only those that agree


def find_listing_states(
    conn: Connection, wanted: ListingFilter, limit: int = 200, offset: int = 0
) -> tuple[list[ListingState], int]:
    """The listings matching ``wanted`` (by SKU), a page of them and how many match in all."""
    rows = _per_listing().subquery("per_listing")
    conditions: list[ColumnElement[bool]] = []
    if wanted.search:
        conditions.append(rows.c.sku.contains(wanted.search, autoescape=True))
    for column, value in (
        (rows.c.account, wanted.account),
        (rows.c.amazon, wanted.amazon),
        (rows.c.policy, wanted.policy),
        (rows.c.reason, wanted.reason),
    ):
        if value:
            conditions.append(column == value)
    if wanted.why is not None:
        conditions.append(rows.c.why == wanted.why)
    total = conn.scalar(select(func.count()).select_from(rows).where(and_(true(), *conditions)))
    query = (
        select(rows)
        .where(and_(true(), *conditions))
        .order_by(rows.c.sku, rows.c.marketplace, rows.c.account)
        .limit(limit)
        .offset(offset)
    )
    found = [
        ListingState(
            r.sku,
            r.marketplace,
            r.amazon,
            r.policy,
            r.reason,
            r.why,
            None if r.amazon_quantity is None else int(r.amazon_quantity),
            None if r.target is None else int(r.target),
            r.account,
        )
        for r in conn.execute(query)
    ]
    return found, int(total or 0)


def deliveries(conn: Connection, skus: Sequence[str]) -> dict[PoolKey, Delivery]:
    """Per pool of these SKUs: Amazon's last known quantity and the newest
    push (its state, feed and error), for `plan`.

    Many SKUs (a whole catalogue): one grouped pass over the outbox, filtered here; a few:
    one IN list per chunk of SKUs, read through the (sku, marketplace, id) index."""
    wanted = sorted(set(skus))
    many = len(wanted) > _WHOLE_OUTBOX_ABOVE
    chunks = [None] if many else [wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]
    keep = set(wanted)
    found: dict[PoolKey, Delivery] = {}
    for chunk in chunks:
        ids = _newest_ids(chunk)
        known, pushed = outbox.alias("known"), outbox.alias("pushed")
        query = select(
            ids.c.sku,
            ids.c.account,
            known.c.quantity,
            pushed.c.id,
            pushed.c.quantity,
            pushed.c.state,
            pushed.c.feed_id,
            pushed.c.last_error,
        ).select_from(
            ids.outerjoin(known, known.c.id == ids.c.known).outerjoin(
                pushed, pushed.c.id == ids.c.pushed
            )
        )
        for sku, account, amazon, push_id, quantity, state, feed_id, error in conn.execute(query):
            if sku not in keep or (amazon is None and push_id is None):
                continue  # not asked for, or only rows neither known nor pushed
            found[PoolKey(sku, account)] = Delivery(
                None if amazon is None else int(amazon),
                None if push_id is None else int(quantity),
                None if push_id is None else str(state),
                feed_id,
                error,
            )
    return found
