"""The sync engine: check what is due, decide each listing's quantity, push only the changes.

One pass (``sync_once``):

1. the planner names the page sources worth checking now (risk-ranked, within budgets);
   the checker (given by the composition root: fetch + page adapters) reads them;
2. feed sources take their supplier's latest applied feed import;
3. the listings to decide: those whose sources were just checked or have a new feed item,
   every listing not decided since the catalogue was (re)loaded, and every listing whose last
   decision has reached its ``review_at`` (an IN_STOCK growing stale, a hold running out) —
   so a listing that no check touches still goes to 0 by time alone. They are decided by the
   pure policy from their sources' recent observations and the units sold since; observations
   and decisions are stored with their evidence;
4. decisions whose quantity differs from what Amazon has (or is about to get) go to the
   outbox and out through the pusher: zeroings first by patch, bursts by feed. Amazon keeps
   one quantity per seller and SKU for all the marketplaces the SKU is listed in (a pool,
   ``PoolKey``): a pool's listings are decided together, its target is the lowest of their
   decisions (a 0 anywhere wins, and each listing's decision says so), and it is pushed once,
   addressed to its primary listing's marketplace;
5. Amazon's quantity is learnt for listings stockguard has never set (after the zeroings
   went out), and the listings whose quantity was learnt are decided again;
6. quantities Amazon accepted are read back (ACCEPTED is not applied).

The engine never imports the supplier or cancellation packages: it receives a checker and a
gateway per seller account as arguments. One engine serves every account of the store: the
sources are shared (a page two accounts list is checked once), each listing is decided in its
own account's pool, and its pushes and read-backs go through its account's gateway (each with
its own rate limits: Amazon's limits are per seller account).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Engine

from stockguard.core.clock import Clock
from stockguard.core.config import PolicySettings, Settings
from stockguard.core.domain import (
    DEFAULT_ACCOUNT,
    Availability,
    Decision,
    Listing,
    ListingKey,
    Observation,
    Order,
    OrderStatus,
    PoolKey,
    QuantityUpdate,
    Source,
    SourceKind,
)
from stockguard.core.errors import ConfigError
from stockguard.core.store import observations as obs_store
from stockguard.core.store import outbox
from stockguard.core.store.feeds import latest_feed_observations
from stockguard.core.store.listings import find_listings, listing_versions
from stockguard.core.store.orders import load_orders
from stockguard.sync import planner_store as schedule_store
from stockguard.sync import policy
from stockguard.sync.amazon_quantities import Learnt, QuantityReader, read_all, read_each
from stockguard.sync.decision_queue import DecisionQueue
from stockguard.sync.lanes import default_lane
from stockguard.sync.planner import Planner, QuotaLane
from stockguard.sync.pools import pool_heads, pooled, pools_of
from stockguard.sync.pusher import PushReport, QuantityGateway, VerifyReport, push
from stockguard.sync.pusher import verify as read_back

HISTORY_DEPTH = 6  # observations per source the policy sees (K-in-a-row restores need few)
READBACKS_PER_PASS = 50  # getListingsItem allows 5/s: learning 50 quantities costs ~10 s


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _exclusive(method: _Method) -> _Method:
    """Run ``method`` holding the engine's lock (see SyncEngine._lock)."""

    @functools.wraps(method)
    def locked(self: SyncEngine, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(_Method, locked)


class EngineGateway(QuantityGateway, QuantityReader, Protocol):
    """The part of AmazonGateway the engine uses: pushes, and reading quantities back."""


class SourceChecker(Protocol):
    """Reads page and API sources: one Observation per source (UNKNOWN when it cannot tell)."""

    def __call__(self, sources: Sequence[Source]) -> Iterator[Observation]: ...


@dataclass(frozen=True)
class Change:
    """A pool's decided quantity that differs from what Amazon shows or is about to show
    (``decision``: the pool's lowest, one per pool)."""

    decision: Decision
    current: int | None


@dataclass
class PassReport:
    """What one pass did."""

    checked: Counter[str] = field(default_factory=Counter)  # availability -> count
    unknown_by_supplier: Counter[str] = field(default_factory=Counter)
    decisions: list[Decision] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    pushed: PushReport | None = None
    verified: VerifyReport | None = None


class SyncEngine:
    """Checks, decisions and pushes for one catalogue."""

    def __init__(
        self,
        db: Engine,
        gateway: EngineGateway | Mapping[str, EngineGateway],
        checker: SourceChecker,
        settings: Settings,
        clock: Clock,
        planner: Planner | None = None,
        *,
        lane: Callable[[Source], str] | None = None,
        quotas: Mapping[str, QuotaLane] | None = None,
    ) -> None:
        """``gateway``: one per seller account by name (a single gateway: the ``default``
        account's); ``lane``: the planner budget a source spends (default ``default_lane``: its
        host, or its API); ``quotas``: the item APIs' lanes (the composition root's)."""
        self.db = db
        self.lane = lane or default_lane
        self.gateways: dict[str, EngineGateway] = (
            dict(gateway) if isinstance(gateway, Mapping) else {DEFAULT_ACCOUNT: gateway}
        )
        self.gateway = next(iter(self.gateways.values()))  # the first account's
        self.checker = checker
        self.settings = settings
        self.clock = clock
        self.planner = planner or Planner(
            settings.planner,
            clock,
            stale_after_hours=settings.policy.max_observation_age_hours,
            restore_after=settings.policy.restore_after,
            quotas=quotas,
        )
        self.listings: dict[ListingKey, Listing] = {}
        self.pools: dict[
            PoolKey, tuple[ListingKey, ...]
        ] = {}  # each pool's listings, primary first
        self.by_ref: dict[str, list[tuple[Listing, Source]]] = {}
        self.sales: dict[PoolKey, list[policy.Sale]] = {}  # recent Amazon orders per pool
        self._loaded_orders = False
        self._observation_ids: dict[str, int] = {}
        self.queue = DecisionQueue(settings.policy)  # what to decide whatever is checked
        self._unlisted: set[ListingKey] = set()  # Amazon has no quantity to read back
        self.reads_per_pass = READBACKS_PER_PASS  # more unknown than this: a listings report
        # `run` has two threads: the check pass (and load, orders) on one, learn_unknown on the
        # other; the engine's own state changes on one at a time.
        self._lock = threading.RLock()

    # --- catalogue ---------------------------------------------------------------------
    @_exclusive
    def load(self, *, planner: bool = True) -> None:
        """(Re)read the catalogue and register every page source with the planner.

        Listings new or changed since the last load are decided in the next pass, whatever
        is checked (the first load: all of them). ``planner=False`` (a dry run that only
        decides, like `plan`) leaves the planner and its stored schedule alone.
        """
        self._unlisted.clear()  # asked again after each catalogue load
        versions = listing_versions(self.db)  # first: a row changed meanwhile is decided again
        self.listings = {item.key: item for item in find_listings(self.db)}
        self.pools = pools_of(self.listings)
        self.queue.catalogue(self.listings, versions)
        self.by_ref = {}
        for item in self.listings.values():
            for source in item.sources:
                self.by_ref.setdefault(source.ref, []).append((item, source))
        first = not self._loaded_orders
        # The planner wants the whole order history; the policy the last hours of it: read once.
        orders = load_orders(self.db) if first and planner else None
        if first:
            self.load_sales(orders)
        if planner:
            self._load_planner(orders or ())

    def _load_planner(self, orders: Sequence[Order]) -> None:
        checked = [
            (ref, pairs[0]) for ref, pairs in self.by_ref.items() if pairs[0][1].kind in _CHECKED
        ]
        self.planner.add_sources(
            [ref for ref, _ in checked],
            [item.key.pool.label for _, (item, _) in checked],
            [self.lane(source) for _, (_, source) in checked],
        )
        if not self._loaded_orders:  # first load: resume the planner where it stopped
            self.planner.restore(schedule_store.load_schedule_columns(self.db))
            for order in orders:
                for line in order.items:
                    self.planner.record_sale(
                        PoolKey(line.sku, order.account).label, order.purchased_at
                    )
            self._loaded_orders = True
        self._tell_planner(self.current_quantities(list(self.listings.values())))

    def load_sales(self, orders: Sequence[Order] | None = None) -> None:
        """Units sold on Amazon per pool (the order's account and SKU) within the observation
        age (older orders cannot be after any observation the policy still uses), from
        ``orders`` or the store."""
        hours = self.settings.policy.max_observation_age_hours
        since = self.clock.now() - timedelta(hours=hours)
        sales: dict[PoolKey, list[policy.Sale]] = {}
        for order in load_orders(self.db, since=since) if orders is None else orders:
            if order.status is OrderStatus.CANCELLED or order.purchased_at < since:
                continue
            for line in order.items:
                pool = PoolKey(line.sku, order.account)
                sales.setdefault(pool, []).append((order.purchased_at, line.quantity))
        self.sales = sales

    def _tell_planner(self, quantities: Mapping[ListingKey, int]) -> None:
        """What Amazon shows (or is about to), per pool: live when any marketplace is."""
        per_pool: dict[str, int] = {}
        for key, quantity in quantities.items():
            label = key.pool.label
            per_pool[label] = max(per_pool.get(label, 0), quantity)
        now = self.clock.now()
        for label, quantity in per_pool.items():
            self.planner.set_quantity(label, quantity, now)

    # --- one pass ----------------------------------------------------------------------
    @_exclusive
    def sync_once(
        self,
        budget: int | None = None,
        *,
        send: bool = True,
        verify: bool = True,
        learn: bool = True,
    ) -> PassReport:
        """Check what is due, decide, and (when ``send``) push the changes, learn Amazon's
        quantity of listings never set (``learn``) and read accepted ones back (``verify``).
        `run` leaves the last two to a job on its other thread (``learn_unknown``, read-back)."""
        if not self.listings:
            self.load()
        report = PassReport()
        touched = self.check_due(report, budget)
        touched |= self.refresh_feeds()
        touched |= self.due()
        if not send:
            report.decisions, report.changes = self.preview(touched, record=True)
            return report
        self._settle(touched, report)
        learnt = self.learn_quantities(touched) if learn else set()
        refused = _refused(report)  # refused a moment ago: the next pass sends it again
        learnt = {key for key in learnt if key.pool not in refused}
        if learnt:  # Amazon's quantity is known now: decide those listings again
            self._settle(learnt, report)
        if verify:
            report.verified = self.read_back()
        return report

    def read_back(self, limit: int | None = None) -> VerifyReport:
        """Read accepted quantities back, each account's through its own gateway."""
        reports = [
            read_back(self.db, gateway, clock=self.clock, limit=limit, account=account)
            for account, gateway in self.gateways.items()
        ]
        return VerifyReport(
            [sku for r in reports for sku in r.applied],
            [pair for r in reports for pair in r.requeued],
            [sku for r in reports for sku in r.unreadable],
        )

    def gateway_of(self, account: str) -> EngineGateway:
        """The gateway of a seller account; a listing of an account without one (not in the
        config any more) is a ConfigError naming it, never pushed through another's."""
        try:
            return self.gateways[account]
        except KeyError:
            known = ", ".join(self.gateways)
            raise ConfigError(
                f"the catalogue has listings of seller account {account!r}, which is not "
                f"configured (configured: {known}); add it to [[amazon.accounts]] or re-import"
            ) from None

    def due(self) -> set[ListingKey]:
        """Listings whose decision can have changed whatever is checked (DecisionQueue)."""
        shown = self.current_quantities(list(self.listings.values()))
        return self.queue.due(self.db, self.clock.now(), self.listings, self.by_ref, shown)

    def save_schedule(self) -> None:
        """Store the planner's per-source state, so a restart resumes it."""
        schedule_store.save_schedule(self.db, self.planner.snapshot())

    def check_due(self, report: PassReport, budget: int | None = None) -> set[ListingKey]:
        """Check the page sources the planner names; return the listings they touch."""
        hourly = self.settings.planner.checks_per_hour
        refs = self.planner.due(self.clock.now(), budget if budget is not None else hourly)
        return self._check([self.by_ref[ref][0][1] for ref in refs if ref in self.by_ref], report)

    @_exclusive
    def check_now(self, items: Sequence[Listing]) -> PassReport:
        """Check these listings' page sources at once (an order just came in for them), then
        decide them and push what changed, like a pass over these listings only."""
        report = PassReport()
        refs = {s.ref: s for item in items for s in item.sources if s.kind in _CHECKED}
        self._settle(self._check(list(refs.values()), report), report)
        return report

    def preview(
        self, keys: Iterable[ListingKey] | None = None, *, record: bool = False
    ) -> tuple[list[Decision], list[Change]]:
        """Decide ``keys`` (all when None); return them and the changes a push would send
        (the dry run of `stockguard plan`, which records nothing)."""
        decisions, current = self._decide(keys, record=record)
        return decisions, self.changes(decisions, current)

    def _settle(self, keys: Iterable[ListingKey], report: PassReport) -> None:
        """Decide ``keys``, push what changes Amazon, and add both to ``report`` (a listing
        decided again replaces its earlier decision there)."""
        decisions, current = self._decide(keys, record=True)
        changes = self.changes(decisions, current)
        pushed = self.push(changes)
        final = {d.key: d for d in (*report.decisions, *decisions)}
        report.decisions = list(final.values())
        report.changes += changes
        if report.pushed is None:
            report.pushed = pushed
        else:
            report.pushed.outcomes.update(pushed.outcomes)

    def _check(self, sources: Sequence[Source], report: PassReport) -> set[ListingKey]:
        seen = list(self.checker(sources)) if sources else []
        self._remember(seen)
        touched: set[ListingKey] = set()
        for observation in seen:
            report.checked[observation.availability.value] += 1
            for item, source in self.by_ref.get(observation.source_ref, []):
                lane = self.lane(source)
                if observation.availability is Availability.UNKNOWN:
                    report.unknown_by_supplier[lane] += 1
                self.planner.observe(source.ref, item.key.pool.label, lane, observation)
                touched.add(item.key)
        return touched

    def refresh_feeds(self) -> set[ListingKey]:
        """Record feed items newer than their last stored observation; return touched listings."""
        suppliers = {
            s.supplier
            for pairs in self.by_ref.values()
            for _, s in pairs
            if s.kind is SourceKind.FEED
        }
        touched: set[ListingKey] = set()
        for supplier in sorted(suppliers):
            latest = latest_feed_observations(self.db, supplier)
            stored = obs_store.latest_observations(self.db, list(latest))
            fresh = [
                o
                for ref, o in latest.items()
                if ref not in stored or stored[ref].checked_at < o.checked_at
            ]
            self._remember(fresh)
            for observation in fresh:
                for item, source in self.by_ref.get(observation.source_ref, []):
                    if source.supplier == supplier:
                        touched.add(item.key)
        return touched

    def decide(
        self, keys: Iterable[ListingKey] | None = None, *, record: bool = True
    ) -> list[Decision]:
        """Decide the listings ``keys`` (all when None) with every listing of their pools;
        record the decisions when ``record``."""
        return self._decide(keys, record=record)[0]

    def _decide(
        self, keys: Iterable[ListingKey] | None, *, record: bool
    ) -> tuple[list[Decision], dict[ListingKey, int]]:
        """The decisions (pooled: each pool's listings decided together, see ``pooled``), and
        what Amazon shows (or is about to) for the listings decided."""
        chosen = self._with_pools(keys)
        refs = sorted({s.ref for item in chosen for s in item.sources})
        history = obs_store.recent_observations(self.db, history_depth(self.settings.policy), refs)
        current = self.current_quantities(chosen)
        now = self.clock.now()
        decisions = pooled(
            [
                policy.decide(
                    item,
                    {s.ref: history.get(s.ref, []) for s in item.sources},
                    current.get(item.key),
                    now,
                    self.settings.policy,
                    sales=self.sales.get(item.key.pool, ()),
                )
                for item in chosen
            ]
        )
        if record:
            ids = self._observation_ids
            with self.db.begin() as conn:
                obs_store.record_decisions(
                    conn,
                    [(d, current.get(d.key), ids.get(d.source_ref or "")) for d in decisions],
                )
                self.queue.decided(conn, decisions)
        return decisions, current

    def _remember(self, seen: Sequence[Observation]) -> None:
        """Store observations; keep their ids so decisions can point at their evidence."""
        ids = obs_store.record_observations(self.db, seen)
        self._observation_ids.update({o.source_ref: i for o, i in zip(seen, ids, strict=True)})

    def _with_pools(self, keys: Iterable[ListingKey] | None) -> list[Listing]:
        """The listings of ``keys`` (all when None) and their pools' other listings: a pool's
        target is decided from all of them at once."""
        if keys is None:
            return list(self.listings.values())
        wanted = sorted({k.pool for k in keys if k in self.listings})
        return [self.listings[k] for pool in wanted for k in self.pools[pool]]

    def current_quantities(self, items: Sequence[Listing]) -> dict[ListingKey, int]:
        """Per listing: what Amazon shows or is about to show, when known: its pool's."""
        with self.db.connect() as conn:
            known = outbox.effective_quantities(conn, [item.sku for item in items])
        keys = [item.key for item in items]
        return {key: known[key.pool] for key in keys if key.pool in known}

    @_exclusive
    def reconcile(self, skus: Iterable[str]) -> PassReport:
        """After order events (a sale, a BuyerCanceled restock): read Amazon's quantity of
        these SKUs again and push the decided quantity where Amazon now differs."""
        wanted = set(skus)
        keys = {k for k in self.listings if k.sku in wanted}
        report = PassReport()
        self.load_sales()  # an order is a pack bought from the supplier: see policy.decide
        for account, items in _by_account([self.listings[k] for k in sorted(keys)]).items():
            read_each(self.db, self.gateway_of(account), items, self.clock)
        self._settle(keys, report)
        return report

    def learn_quantities(self, keys: Iterable[ListingKey], *, bulk: bool = True) -> set[ListingKey]:
        """Read Amazon's quantity for listings stockguard has never set; without it a live
        listing would look like one at 0 waiting for a restore. A few are read one by one;
        more (when ``bulk``) through one listings report per marketplace, else the first few.
        Returns the listings whose quantity is now known."""
        items = [self.listings[k] for k in sorted(keys) if k in self.listings]
        learnt = self._read_unknown(items, bulk)
        self._learnt(learnt)
        return learnt.known

    def learn_unknown(self) -> set[ListingKey]:
        """Amazon's quantity of every listing whose quantity is unknown (a listings report when
        many are); the next pass decides the learnt ones again. For `run`'s other thread: the
        reads run beside the check pass, only their outcome waits for it."""
        with self._lock:
            items = list(self.listings.values())
        learnt = self._read_unknown(items)
        with self._lock:
            self._learnt(learnt)
            self.queue.add(learnt.known)
        return learnt.known

    def _read_unknown(self, items: Sequence[Listing], bulk: bool = True) -> Learnt:
        asked = [i for i in items if i.key not in self._unlisted]
        known = self.current_quantities(asked)
        unknown = [i for i in asked if i.key not in known]
        learnt = Learnt()
        for account, some in _by_account(unknown).items():
            gateway = self.gateway_of(account)  # each account's reads spend its own limits
            if bulk and len(some) > self.reads_per_pass:
                found = read_all(self.db, gateway, some, self.clock)
            else:
                found = read_each(self.db, gateway, some[: self.reads_per_pass], self.clock)
            learnt.known |= found.known
            learnt.not_listed |= found.not_listed
        return learnt

    def _learnt(self, learnt: Learnt) -> None:
        self._unlisted |= learnt.not_listed
        items = [self.listings[k] for k in learnt.known if k in self.listings]
        self._tell_planner(self.current_quantities(items))

    def changes(
        self,
        decisions: Sequence[Decision],
        current: Mapping[ListingKey, int] | None = None,
    ) -> list[Change]:
        """The pools whose decided quantity changes what Amazon shows (``current``: what it
        shows, when the caller just read it): one change per pool, its lowest decision.

        With Amazon's quantity unknown, a restore that still waits for evidence is left alone:
        it is not evidence of a stock-out, and zeroing on it would darken live listings.
        """
        if current is None:
            current = self.current_quantities([self.listings[d.key] for d in decisions])
        changed = []
        for d in pool_heads(decisions):
            now = current.get(d.key)
            if now == d.target_quantity or (now is None and d.reason == policy.RESTORE_PENDING):
                continue
            changed.append(Change(d, now))
        return changed

    def push(self, changes: Sequence[Change]) -> PushReport:
        """Send the changes (zeroings first) through the outbox: one target per pool, each
        account's through its own gateway."""
        by_account: dict[str, list[outbox.Target]] = {}
        for change in changes:
            target = self._target(change)
            by_account.setdefault(target.update.account, []).append(target)
        result = PushReport()
        for account in by_account:
            self.gateway_of(account)  # a listing of an unconfigured account: say so first
        for account, gateway in self.gateways.items():
            # Every configured account drains its outbox rows (a crash's leftovers too).
            some = push(
                self.db,
                gateway,
                by_account.get(account, []),
                self.clock,
                reason="sync",
                account=account,
            )
            result.add(some)
        # The planner learns only what Amazon took (or is processing), never a refusal.
        taken = {o.pool for o in result.outcomes.values() if o.state in _TAKEN}
        shown = {
            c.decision.key: c.decision.target_quantity
            for c in changes
            if c.decision.key.pool in taken
        }
        self._tell_planner(shown)
        return result

    def _target(self, change: Change) -> outbox.Target:
        decision = change.decision
        # Addressed to the pool's primary listing, whichever listing's decision is lowest:
        # any marketplace of the SKU sets them all, and one fixed address keeps it one row.
        item = self.listings[self.pools[decision.key.pool][0]]
        update = QuantityUpdate(
            decision.sku,
            decision.target_quantity,
            item.key.marketplace_id,
            item.product_type,
            item.account,
        )
        # The quantity it changes is part of the key: the same decision met again at the same
        # instant after someone else changed Amazon is a new change, not a duplicate.
        ref = f"{decision.reason}@{decision.decided_at.isoformat()}:{change.current}"
        return outbox.Target(update, reason=decision.reason, decision_ref=ref)


def history_depth(settings: PolicySettings) -> int:
    """Observations per source that decide exactly as ``HISTORY_DEPTH`` would.

    Without a hold the policy reads the newest observation and the IN_STOCK streak only as
    far as ``restore_after`` (a longer one changes nothing), so older rows need not be read:
    at 150,000 sources that is a third of the rows or more. A hold also wants the trailing
    UNKNOWN run and the last IN_STOCK, so it keeps the full depth.
    """
    if settings.unknown_hold_minutes > 0:
        return HISTORY_DEPTH
    return min(HISTORY_DEPTH, max(settings.restore_after, 1))


_TAKEN = (outbox.State.ACCEPTED, outbox.State.SENT, outbox.State.APPLIED)
_CHECKED = (SourceKind.PAGE, SourceKind.API)  # sources the checker reads (feeds are imported)


def _by_account(items: Iterable[Listing]) -> dict[str, list[Listing]]:
    """Listings grouped by seller account, in their order."""
    found: dict[str, list[Listing]] = {}
    for item in items:
        found.setdefault(item.account, []).append(item)
    return found


def _refused(report: PassReport) -> set[PoolKey]:
    """Pools whose push Amazon refused in this pass."""
    failed = report.pushed.failed if report.pushed is not None else []
    return {o.pool for o in failed}
