"""What to check next: every source's next check is set by risk, within the request budget.

The same object drives the real engine and the simulation (bench/simulate.py)::

    planner = Planner(settings.planner, clock, history_start=since)
    planner.record_sale(sku, at)                       # past and new orders
    planner.observe(ref, sku, host, observation)       # every check's result
    planner.set_quantity(sku, quantity, at)            # what the engine decided to show
    for ref in planner.due(clock.now(), budget): ...   # what to check now, most valuable first

Its "sku" is a quantity pool's label (``PoolKey.label``: the SKU, or ``ACCOUNT::SKU`` in a
second seller account): sales, quantities and risk belong to the pool, not the marketplace.

A check's value (``sync.risk.check_index``) grows with the time since the last check, the
listing's sales rate and the rate at which this source changes state: stock-outs while the
listing is live (oversells), restocks while it is at 0 (lost sales, weighted by
``lost_sale_weight``). Sales and stock-out rates are shrunk toward the population (empirical
Bayes) so a listing with two orders is neither ignored nor over-trusted; the time between
two checks counts as an effective exposure (``sync.spells``), so spells hidden between checks
are not lost. A listing that saw one IN_STOCK while at 0 is confirmed at once (the policy
wants K in a row), a source never checked goes first, and one unchecked for
``max_interval_hours`` goes before risk ranking.
The hourly budget and each host's politeness budget are never exceeded. Sources read through an
official item API (``quotas``: lane name such as ``api:amazon-jp`` -> its ``QuotaLane``) are
registered under that lane instead of a host; they spend their API's quota, not the page
budgets: per pass, as many items as the calls the quota allows within
``api_horizon_seconds`` times the API's batch size, riskiest first.

State lives in numpy arrays (150,000 sources rank in milliseconds); ``snapshot`` and
``restore`` carry it through the store (sync/planner_store.py) across restarts.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import numpy as np

from stockguard.core.clock import Clock
from stockguard.core.config import PlannerSettings
from stockguard.core.domain import Availability, Observation
from stockguard.sync.planner_state import ScheduleColumns, SourceState, Table
from stockguard.sync.quota import QuotaPacer
from stockguard.sync.risk import check_index
from stockguard.sync.risk_history import HistoryModel
from stockguard.sync.spells import exposure

DAY = 86400.0
_UNSEEN, _IN, _OUT, _UNKNOWN = 0, 1, 2, 3
_CODE = {
    Availability.IN_STOCK: _IN,
    Availability.OUT_OF_STOCK: _OUT,
    Availability.UNKNOWN: _UNKNOWN,
}
# Priority tiers above any risk index (capped below _TIER): never checked, overdue
# (max_interval_hours), confirming a restore. Within the last two the source unchecked longest
# goes first: seconds since its check are added to a base small enough to keep them (a base
# of 1e100 would swallow them, and a stable sort would then pick the same sources each time).
_TIER = 1e12
_FIRST = 4 * _TIER


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _locked(method: _Method) -> _Method:
    """Run ``method`` holding the planner's lock: the distributed runner's dispatch round
    ranks on its own thread while the check pass tells the planner what was seen."""

    @functools.wraps(method)
    def locked(self: Planner, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(_Method, locked)


@dataclass(frozen=True)
class QuotaLane:
    """An item API as a planner budget: its quota and the items one call answers."""

    pacer: QuotaPacer
    batch_size: int


@dataclass(frozen=True)
class Rates:
    """The planner's current estimates (per day), for reports and tests."""

    sales: dict[str, float]
    stockouts: dict[str, float]
    restock: float


class Planner:
    """Risk-ranked supplier checks under a global and a per-host hourly budget."""

    def __init__(
        self,
        settings: PlannerSettings,
        clock: Clock,
        *,
        history_start: datetime | None = None,
        stale_after_hours: float = np.inf,
        restore_after: int = 2,
        quotas: Mapping[str, QuotaLane] | None = None,
    ) -> None:
        """``stale_after_hours``: the policy's maximum observation age (a listing whose last
        IN_STOCK is older was zeroed for staleness, not for a stock-out); ``restore_after``:
        the consecutive IN_STOCK checks the policy wants before a listing at 0 goes live;
        ``quotas``: the item APIs' budget lanes (sources registered under a lane's name)."""
        self.settings = settings
        self.quotas = dict(quotas or {})
        self.stale_after_hours = stale_after_hours
        self.restore_after = restore_after
        self.clock = clock
        self.started = clock.now().timestamp()
        self.history_start = (history_start or clock.now()).timestamp()
        # History order timestamps of the listings that have any (most of a large catalogue
        # never sold: a list per listing cost a second per refit at a million).
        self._orders: dict[int, list[float]] = {}
        self._first_order = np.inf  # the earliest of them
        self._model: HistoryModel | None = None
        self.t = Table()
        self._sent: deque[tuple[float, int]] = deque()  # (time, source index) of dispatches
        self._host_sent: dict[int, deque[float]] = {}
        self._refit_at = -np.inf
        self._sales_est = np.zeros(0)
        self._stockout_est = np.zeros(0)
        self._restock = 1.0 / settings.prior_outage_days
        self._model_restock = self._restock  # the restock rate the history was read with
        self._rho_mean = settings.prior_stockouts_per_day
        self._lock = threading.RLock()

    # --- what the engine tells the planner -------------------------------------------
    @_locked
    def add_source(self, ref: str, sku: str, host: str) -> int:
        """Register a source (idempotent); returns its index."""
        return self.t.source(ref, sku, host)

    @_locked
    def add_sources(self, refs: list[str], skus: list[str], hosts: list[str]) -> None:
        """Register many sources at once, as ``add_source`` one by one would (a catalogue
        load: 150,000 sources)."""
        self.t.sources(refs, skus, hosts)

    @_locked
    def observe(self, ref: str, sku: str, host: str, observation: Observation) -> None:
        """Account one check's result: state change counts, exposure, restore confirmations."""
        i = self.add_source(ref, sku, host)
        at = observation.checked_at.timestamp()
        code = _CODE[observation.availability]
        t = self.t
        prev, prev_at = int(t.state[i]), float(t.observed_at[i])
        if prev in (_IN, _OUT) and code in (_IN, _OUT) and at > prev_at:
            gap = (at - prev_at) / DAY
            changed = prev != code
            # Effective exposures (sync.spells): spells hidden inside the gap count.
            spent = exposure(prev == _IN, code == _IN, gap, self._rho_mean, self._restock)
            if prev == _IN:
                t.in_days[i] += spent
                t.stockouts[i] += changed
            else:
                t.out_days[i] += spent
                t.restocks[i] += changed
        t.state[i] = code
        t.observed_at[i] = max(at, prev_at) if prev != _UNSEEN else at
        t.checked_at[i] = max(float(t.checked_at[i]), at)
        t.streak[i] = t.streak[i] + 1 if code == _IN else 0

    @_locked
    def set_quantity(self, sku: str, quantity: int, at: datetime) -> None:
        """What the engine decided the listing shows; live time counts as sales exposure."""
        j = self.t.listing(sku)
        ts = at.timestamp()
        t = self.t
        dark = not np.isnan(t.dark_since[j])
        if quantity <= 0 and not dark:
            t.dark_since[j] = ts
        elif quantity > 0 and dark:
            t.dark_days[j] += max(ts - t.dark_since[j], 0.0) / DAY
            t.dark_since[j] = np.nan
        t.live[j] = quantity > 0

    @_locked
    def record_sale(self, sku: str, at: datetime) -> None:
        """One order for ``sku``; orders before the planner started form the history."""
        j = self.t.listing(sku)
        ts = at.timestamp()
        if ts < self.started:
            self._orders.setdefault(j, []).append(ts)
            self._first_order = min(self._first_order, ts)
            self._model = None
        else:
            self.t.orders[j] += 1

    # --- what to check ----------------------------------------------------------------
    def due(self, now: datetime, budget: int) -> list[str]:
        """Up to ``budget`` page source refs to check now, most valuable first, then each API
        lane's sources within its quota (riskiest first)."""
        return [ref for ref, _ in self.ranked_due(now, budget)]

    @_locked
    def ranked_due(self, now: datetime, budget: int) -> list[tuple[str, float]]:
        """``due`` with each source's priority (the distributed runner's job priorities)."""
        ts = now.timestamp()
        budget = min(budget, self._hourly_left(ts))
        n = self.t.size
        lanes = {
            self.t.host_index[name]: lane
            for name, lane in self.quotas.items()
            if name in self.t.host_index
        }
        if n == 0 or (budget <= 0 and not lanes):
            return []
        self._maybe_refit(ts)
        priority = self.priorities(ts)
        hosts = self.t.host_of[:n]
        picked: list[int] = []
        if budget > 0:
            pages = np.where(np.isin(hosts, list(lanes)), -np.inf, priority) if lanes else priority
            chosen = self._within_host_budgets(self._ranked(pages, budget * 2 + 16), ts, budget)
            self._sent.extend((ts, int(i)) for i in chosen)
            picked += chosen
        for host, lane in lanes.items():
            room = lane.pacer.calls_within(self.settings.api_horizon_seconds) * lane.batch_size
            if room > 0:
                mine = np.where(hosts == host, priority, -np.inf)
                picked += [int(i) for i in self._ranked(mine, room)[:room]]
        for i in picked:
            self.t.checked_at[i] = ts  # in flight: not handed out again before min interval
        return [(self.t.refs[i], float(priority[i])) for i in picked]

    def _ranked(self, priority: np.ndarray, take: int) -> np.ndarray:
        """The indexes of the ``take`` highest eligible priorities, highest first."""
        n = len(priority)
        take = min(n, int(np.count_nonzero(priority > -np.inf)), take)
        if take <= 0:
            return np.zeros(0, dtype=np.int64)
        top = np.argpartition(-priority, take - 1)[:take] if take < n else np.arange(n)
        top = top[np.argsort(-priority[top], kind="stable")]
        return top[priority[top] > -np.inf]

    def priorities(self, ts: float) -> np.ndarray:
        """The ranking key of every source at time ``ts`` (-inf: not eligible yet)."""
        t, s = self.t, self.settings
        n = t.size
        since = (ts - t.checked_at[:n]) / DAY
        sales = self._sales_est[t.listing_of[:n]]
        stockout = self._stockout_est[:n]
        state, live = t.state[:n], t.live[t.listing_of[:n]]
        waiting = ~live | (state != _IN)  # at 0 (or about to be): a check can only restore
        rho = np.where(waiting, self._restock, stockout)
        nu = np.where(waiting, stockout, self._restock)
        weight = np.where(waiting, s.lost_sale_weight, 1.0)
        priority = np.minimum(weight * check_index(since, sales, rho, nu), _TIER / 2)
        # A listing at 0 part-way to the K IN_STOCK in a row the policy wants. Past K it is
        # no confirmation any more (it waits on something else: a push, a price), and a tier
        # that ignored the time since the last check would then starve the rest.
        streak = t.streak[:n]
        confirm = (state == _IN) & ~live & (streak > 0) & (streak < self.restore_after)
        # Zeroed by the policy because the last IN_STOCK grew old, not because stock ran out:
        # worth the lost sales a refresh ends, ranked with the rest rather than ahead of it
        # (a catalogue larger than the budget could otherwise spend it all on refreshes).
        refresh = ~live & (state == _IN) & (since * 24 >= self.stale_after_hours)
        confirm &= ~refresh
        p_in = 1 - stockout / (stockout + self._restock) * -np.expm1(
            -(stockout + self._restock) * since
        )
        priority[refresh] = (s.lost_sale_weight * sales * p_in * since)[refresh]
        # Oldest first within the tier: every confirmation gets its turn.
        priority[confirm] = _TIER + since[confirm] * DAY
        # Every source is checked within max_interval_hours, whatever its tier.
        overdue = since * 24 >= s.max_interval_hours
        priority[overdue] = 2 * _TIER + since[overdue] * DAY
        priority[state == _UNSEEN] = _FIRST
        priority[since * 24 * 60 < s.min_interval_minutes] = -np.inf
        return priority

    @_locked
    def rates(self) -> Rates:
        """Current estimates, refitted if stale."""
        self._maybe_refit(self.clock.now().timestamp())
        t = self.t
        sales = {sku: float(self._sales_est[j]) for sku, j in t.listing_index.items()}
        outs = {t.refs[i]: float(self._stockout_est[i]) for i in range(t.size)}
        return Rates(sales, outs, float(self._restock))

    @_locked
    def snapshot(self) -> list[SourceState]:
        """Per-source state for the store, with each source's next check time."""
        ts = self.clock.now().timestamp()
        self._maybe_refit(ts)
        return self.t.snapshot(self._next_check(ts), self.priorities(ts))

    @_locked
    def restore(self, rows: list[SourceState] | ScheduleColumns) -> None:
        """Resume from ``snapshot`` rows (``stockguard run`` after a restart), or from the
        same read column by column (``sync.planner_store.load_schedule_columns``)."""
        columns = rows if isinstance(rows, ScheduleColumns) else ScheduleColumns.from_states(rows)
        self.t.restore(columns)
        self._refit_at = -np.inf

    # --- internals ----------------------------------------------------------------------
    def _maybe_refit(self, ts: float) -> None:
        t, n = self.t, self.t.size
        stale = ts - self._refit_at >= self.settings.refit_hours * 3600
        if not stale and len(self._stockout_est) == n and len(self._sales_est) == t.listings:
            return
        self._refit_at = ts
        m = t.listings
        if self._model is None or self._model.listings < m or self._restock_drifted():
            # The window starts at history_start, or earlier if older orders were given. A
            # listing without a history order still tells: no sale in the whole window.
            start = min(self.history_start, self._first_order)
            days = {j: [(at - start) / DAY for at in o] for j, o in self._orders.items()}
            self._model = HistoryModel.fit(
                days,
                m,
                0.0,
                self.started - start,
                1.0 / self._restock,
                self.settings.prior_stockouts_per_day,
            )
            self._model_restock = self._restock
        live_days = (ts - self.started) / DAY - t.dark_days[:m]
        dark_now = ~t.live[:m] & ~np.isnan(t.dark_since[:m])
        live_days -= np.where(dark_now, (ts - t.dark_since[:m]) / DAY, 0.0)
        self._sales_est = self._model.sales(t.orders[:m], np.maximum(live_days, 0.0))
        self._stockout_est = self._model.stockouts(t.listing_of[:n], t.stockouts[:n], t.in_days[:n])
        prior = self.settings.prior_outage_days
        restocks, out_days = float(t.restocks[:n].sum()), float(t.out_days[:n].sum())
        self._restock = (restocks + 2.0) / (out_days + 2.0 * prior)
        if n:
            self._rho_mean = float(self._stockout_est.mean())

    def _restock_drifted(self) -> bool:
        """Whether the restock rate learnt from checks moved far from the history fit's."""
        return bool(abs(np.log(self._restock / self._model_restock)) > 0.2)

    def _next_check(self, ts: float) -> np.ndarray:
        """Roughly when each source's index reaches today's bar (small-gap approximation)."""
        priority = self.priorities(ts)
        finite = priority[(priority > 0) & (priority < _TIER)]
        bar = float(np.quantile(finite, 0.9)) if finite.size else 0.0
        t, n = self.t, self.t.size
        since = (ts - t.checked_at[:n]) / DAY
        growth = np.maximum(priority / np.maximum(since, 1e-9) ** 2, 1e-300)
        gap = np.sqrt(bar / growth)
        gap = np.minimum(gap, self.settings.max_interval_hours / 24)
        gap = np.maximum(gap, self.settings.min_interval_minutes / 1440)
        result: np.ndarray = t.checked_at[:n] + gap * DAY
        return result

    def _hourly_left(self, ts: float) -> int:
        while self._sent and self._sent[0][0] <= ts - 3600:
            self._sent.popleft()
        return self.settings.checks_per_hour - len(self._sent)

    def _within_host_budgets(self, order: np.ndarray, ts: float, budget: int) -> list[int]:
        cap = self.settings.host_checks_per_hour
        if cap <= 0:
            return [int(i) for i in order[:budget]]
        picked: list[int] = []
        for i in order:
            sent = self._host_sent.setdefault(int(self.t.host_of[i]), deque())
            while sent and sent[0] <= ts - 3600:
                sent.popleft()
            if len(sent) < cap:
                sent.append(ts)
                picked.append(int(i))
                if len(picked) == budget:
                    break
        return picked


def utc(ts: float) -> datetime:
    """A planner timestamp as an aware datetime."""
    return datetime.fromtimestamp(ts, UTC)
