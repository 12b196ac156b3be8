"""Item-API sources spend their API's quota, apart from the page budgets (sync/planner.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from stockguard.core.clock import ManualClock
from stockguard.core.config import PlannerSettings
from stockguard.core.domain import Availability, Observation
from stockguard.sync.planner import Planner, QuotaLane
from stockguard.sync.quota import QuotaPacer

LANE = "api:amazon-jp"
SETTINGS = replace(
    PlannerSettings(), checks_per_hour=5, host_checks_per_hour=3, api_horizon_seconds=60
)


def planner_with(clock: ManualClock, pages: int, items: int) -> tuple[Planner, QuotaPacer]:
    pacer = QuotaPacer(clock, 0.1, 1)
    planner = Planner(SETTINGS, clock, quotas={LANE: QuotaLane(pacer, 20)})
    for i in range(pages):
        planner.add_source(f"https://shop.example/{i}", f"P{i}", "shop.example")
    for i in range(items):
        planner.add_source(f"api:amazon-jp:B0JP{i:06d}", f"A{i}", LANE)
    return planner, pacer


def test_api_sources_take_their_quota_and_pages_their_budgets() -> None:
    clock = ManualClock()
    planner, _ = planner_with(clock, pages=10, items=500)
    due = planner.due(clock.now(), 100)
    pages = [r for r in due if r.startswith("https://")]
    items = [r for r in due if r.startswith("api:")]
    assert len(pages) == 3  # the host's politeness budget, untouched by the API sources
    assert len(items) == 6 * 20  # 6 calls fit in 60 s at 0.1/s burst 1, 20 ASINs each
    again = planner.due(clock.now(), 100)
    assert [r for r in again if r.startswith("https://")] == []  # the host budget is spent
    assert len([r for r in again if r.startswith("api:")]) == 120  # the quota is not spent yet


def test_the_riskiest_api_sources_go_first() -> None:
    clock = ManualClock()
    planner, pacer = planner_with(clock, pages=0, items=300)
    for i in range(300):  # all seen in stock and live; B0JP000007 flips often
        ref = f"api:amazon-jp:B0JP{i:06d}"
        for state in (Availability.IN_STOCK, Availability.OUT_OF_STOCK) * (5 if i == 7 else 0):
            planner.observe(ref, f"A{i}", LANE, Observation(ref, state, clock.now(), "t"))
            clock.advance(1)
        seen = Observation(ref, Availability.IN_STOCK, clock.now(), "t")
        planner.observe(ref, f"A{i}", LANE, seen)
        planner.set_quantity(f"A{i}", 1, clock.now())
    clock.advance(timedelta(hours=6).total_seconds())
    due = planner.due(clock.now(), 100)
    assert len(due) == 20 * pacer.calls_within(60) == 120
    assert due[0] == "api:amazon-jp:B0JP000007"
