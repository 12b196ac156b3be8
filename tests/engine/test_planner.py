"""The planner: risk ranking, budgets, restore confirmations, estimates, persistence."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.config import PlannerSettings
from stockguard.core.domain import Availability, Observation
from stockguard.sync.planner import Planner
from stockguard.sync.planner_store import due_sources, load_schedule, save_schedule
from stockguard.sync.risk import check_index, shrunk_rates

SETTINGS = replace(PlannerSettings(), checks_per_hour=10_000, max_interval_hours=24 * 60)
IN, OUT = Availability.IN_STOCK, Availability.OUT_OF_STOCK


def ref(i: int) -> str:
    return f"https://shop{i % 3}.example/item/{i}"


def make(clock: ManualClock, n: int, settings: PlannerSettings = SETTINGS) -> Planner:
    """n listings, one source each, all seen IN_STOCK and live now; 30 days of history."""
    planner = Planner(settings, clock, history_start=clock.now() - timedelta(days=30))
    for i in range(n):
        check(planner, clock, i, IN)
        planner.set_quantity(f"SKU{i}", 1, clock.now())
    return planner


def check(planner: Planner, clock: ManualClock, i: int, availability: Availability) -> None:
    seen = Observation(ref(i), availability, clock.now(), evidence="test")
    planner.observe(ref(i), f"SKU{i}", f"shop{i % 3}.example", seen)


def run(planner: Planner, clock: ManualClock, hours: int, per_hour: int) -> Counter[str]:
    """Advance hour by hour, checking what is due (everything stays IN_STOCK)."""
    checked: Counter[str] = Counter()
    for _ in range(hours):
        clock.advance(3600)
        for r in planner.due(clock.now(), per_hour):
            checked[r] += 1
            i = int(r.rsplit("/", 1)[1])
            check(planner, clock, i, IN)
    return checked


def test_never_checked_sources_go_first_and_budget_is_respected(clock: ManualClock) -> None:
    planner = make(clock, 5)
    planner.add_source("https://new.example/x", "SKU-NEW", "new.example")
    clock.advance(3600)
    picked = planner.due(clock.now(), 3)
    assert len(picked) == 3
    assert picked[0] == "https://new.example/x"


def test_a_listing_that_sells_is_checked_more_often(clock: ManualClock) -> None:
    planner = make(clock, 40)
    for day in range(30):  # SKU0 sold daily in the history, the others never
        planner.record_sale("SKU0", clock.now() - timedelta(days=day, hours=1))
    checked = run(planner, clock, hours=72, per_hour=4)
    others = [checked[ref(i)] for i in range(1, 40)]
    assert checked[ref(0)] > 3 * max(others)


def test_sqrt_rule_busy_listing_not_starving_the_rest(clock: ManualClock) -> None:
    planner = make(clock, 20)
    for k in range(300):  # ten orders a day: the index grows fast, but only like t^2
        planner.record_sale("SKU0", clock.now() - timedelta(hours=2.4 * k + 1))
    checked = run(planner, clock, hours=96, per_hour=2)
    assert sum(1 for i in range(1, 20) if checked[ref(i)] > 0) >= 15


def test_min_interval_and_hourly_budget(clock: ManualClock) -> None:
    settings = replace(SETTINGS, checks_per_hour=5, min_interval_minutes=30)
    planner = make(clock, 20, settings)
    clock.advance(3600)
    first = planner.due(clock.now(), 100)
    assert len(first) == 5  # the hourly budget caps one big request
    clock.advance(60)
    assert planner.due(clock.now(), 100) == []  # nothing left this hour
    clock.advance(3600)
    again = planner.due(clock.now(), 100)
    assert not set(again) & set(first) or len(again) == 5


def test_host_politeness_budget(clock: ManualClock) -> None:
    planner = make(clock, 30, replace(SETTINGS, host_checks_per_hour=2))
    clock.advance(3600)
    picked = planner.due(clock.now(), 30)
    hosts = Counter(r.split("/")[2] for r in picked)
    assert len(picked) == 6
    assert max(hosts.values()) == 2


def test_a_listing_at_zero_seen_in_stock_is_confirmed_at_once(clock: ManualClock) -> None:
    planner = make(clock, 30)
    clock.advance(3600)
    check(planner, clock, 7, OUT)
    planner.set_quantity("SKU7", 0, clock.now())
    clock.advance(3600)
    check(planner, clock, 7, IN)  # one IN_STOCK: the policy wants a second one
    clock.advance(SETTINGS.min_interval_minutes * 60)
    assert planner.due(clock.now(), 1) == [ref(7)]


def test_a_listing_zeroed_for_staleness_is_refreshed_by_value(clock: ManualClock) -> None:
    """The policy zeroes a listing whose last IN_STOCK is older than its max age; refreshing
    it ends lost sales, so it ranks by its sales, not ahead of every risk-ranked check."""
    planner = Planner(
        SETTINGS, clock, history_start=clock.now() - timedelta(days=30), stale_after_hours=48
    )
    for day in range(1, 30):
        planner.record_sale("SKU0", clock.now() - timedelta(days=day))  # sells daily
    for i in range(3):
        check(planner, clock, i, IN)
        planner.set_quantity(f"SKU{i}", 1, clock.now())
    clock.advance(49 * 3600)
    for i in (0, 1):  # the policy's sweep: both stale, both zeroed
        planner.set_quantity(f"SKU{i}", 0, clock.now())
    planner.rates()  # refit the estimates, as due() does
    priority = dict(zip(planner.t.refs, planner.priorities(clock.now().timestamp()), strict=True))
    assert 0 < priority[ref(1)] < priority[ref(0)] < 1e100  # finite: ranked, not urgent
    assert planner.due(clock.now(), 1) == [ref(0)]


def test_stockouts_seen_raise_the_estimate(clock: ManualClock) -> None:
    planner = make(clock, 10)
    for _ in range(4):
        clock.advance(86400)
        check(planner, clock, 1, OUT)
        clock.advance(86400)
        check(planner, clock, 1, IN)
        check(planner, clock, 2, IN)
    rates = planner.rates()
    assert rates.stockouts[ref(1)] > 2 * rates.stockouts[ref(2)]


def test_state_survives_a_restart_through_the_store(db: Engine, clock: ManualClock) -> None:
    planner = make(clock, 4)
    clock.advance(86400)
    check(planner, clock, 2, OUT)
    save_schedule(db, planner.snapshot())
    rows = load_schedule(db)
    assert {r.source_ref for r in rows} == {ref(i) for i in range(4)}
    again = Planner(SETTINGS, clock)
    again.restore(rows)
    mine = {s.source_ref: s for s in planner.snapshot()}
    theirs = {s.source_ref: s for s in again.snapshot()}
    assert mine[ref(2)].state == theirs[ref(2)].state == "OUT_OF_STOCK"
    assert mine[ref(2)].stockouts == theirs[ref(2)].stockouts == 1
    assert theirs[ref(2)].checked_at == clock.now()
    assert due_sources(db, clock.now() + timedelta(days=60), limit=10)


def test_shrunk_rates_pull_small_counts_toward_the_population() -> None:
    rng = np.random.default_rng(3)
    true = np.exp(rng.normal(np.log(0.1) - 2, 2, 4000))
    counts = rng.poisson(true * 30).astype(np.float64)
    est, mu, sigma = shrunk_rates(counts, np.full(4000, 30.0))
    assert abs(mu - (np.log(0.1) - 2)) < 0.4
    assert abs(sigma - 2) < 0.4
    raw = counts / 30
    assert np.mean((est - true) ** 2) < np.mean((raw - true) ** 2)
    assert est[counts == 0].min() > 0  # no order yet is not "never sells"


def test_check_index_grows_like_t_squared_then_saturates() -> None:
    t = np.array([0.01, 0.02, 100.0, 200.0])
    value = check_index(t, np.ones(4), np.full(4, 0.05), 1 / 3)
    assert value[1] / value[0] == pytest.approx(4, rel=0.02)
    assert value[3] / value[2] == pytest.approx(1, rel=0.01)


def test_past_orders_without_a_history_start_still_teach(clock: ManualClock) -> None:
    planner = Planner(SETTINGS, clock)  # as the engine builds it: no history_start
    for i in range(30):
        check(planner, clock, i, IN)
        planner.set_quantity(f"SKU{i}", 1, clock.now())
    for day in range(20):
        planner.record_sale("SKU0", clock.now() - timedelta(days=day + 0.5))
    planner.record_sale("SKU1", clock.now() - timedelta(days=3))
    sales = planner.rates().sales
    assert sales["SKU0"] > 5 * sales["SKU1"]
    assert sales["SKU1"] > sales["SKU2"]
    assert all(np.isfinite(list(sales.values())))


@pytest.mark.parametrize("told_live", [True, False], ids=["told-live", "not-told"])
def test_every_source_is_checked_within_max_interval_over_a_day(
    clock: ManualClock, told_live: bool
) -> None:
    """A live catalogue, passes every minute for a day, suppliers flipping now and then: no
    source waits longer than max_interval_hours, in any tier (issue 9: a live catalogue the
    planner took for "at 0, confirming" checked half its sources only once a day)."""
    settings = replace(PlannerSettings(), max_interval_hours=2.0)
    planner = Planner(settings, clock, history_start=clock.now() - timedelta(days=30))
    rng = np.random.default_rng(7)
    n = 1000
    for i in range(n):
        planner.add_source(ref(i), f"SKU{i}", f"shop{i % 3}.example")
        if told_live:
            planner.set_quantity(f"SKU{i}", 3, clock.now())
    in_stock = rng.random(n) < 0.9
    last: dict[str, float] = {}
    gaps: list[float] = []
    per_pass = settings.checks_per_hour // 60
    for _ in range(24 * 60):
        clock.advance(60)
        in_stock ^= rng.random(n) < 0.0005  # a flip every ~33 hours per source
        now = clock.now().timestamp()
        for r in planner.due(clock.now(), per_pass):
            gaps.append(now - last.get(r, now))
            last[r] = now
            i = int(r.rsplit("/", 1)[1])
            check(planner, clock, i, IN if in_stock[i] else OUT)
    assert len(last) == n
    overdue = [now - t for t in last.values()] + gaps
    assert max(overdue) <= settings.max_interval_hours * 3600 + 60
