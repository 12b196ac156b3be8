"""Effective exposures of gaps between checks (sync.spells), and what they buy the planner."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from stockguard.core.clock import ManualClock
from stockguard.core.config import PlannerSettings
from stockguard.core.domain import Availability, Observation
from stockguard.sync.planner import Planner
from stockguard.sync.spells import exposure

RHO, NU = 0.05, 1 / 3  # one stock-out in 20 days, spells of 3 days


def test_short_gaps_count_as_plain_time() -> None:
    assert exposure(True, True, 0.01, RHO, NU) == pytest.approx(0.01, rel=1e-2)
    # A change inside a short gap happened about halfway.
    assert exposure(True, False, 0.01, RHO, NU) == pytest.approx(0.005, rel=1e-2)
    assert exposure(False, False, 0.01, RHO, NU) == pytest.approx(0.01, rel=1e-2)


def test_a_long_gap_saturates_instead_of_counting_in_full() -> None:
    """Two IN_STOCK checks a month apart say little more than two a week apart: the chain
    forgets its state in about 1 / (rho + nu) days, and a spell may hide in between."""
    month = exposure(True, True, 30.0, RHO, NU)
    assert month < 1 / NU + 0.5
    assert exposure(True, True, 7.0, RHO, NU) < month
    assert exposure(True, False, 30.0, RHO, NU) == pytest.approx(1 / (RHO + NU), rel=1e-3)


def test_exposure_is_the_slope_of_the_exact_log_likelihood() -> None:
    """d/d(rho) of log P(IN at g | IN at 0) is -exposure (finite differences)."""

    def log_stay(rho: float, gap: float) -> float:
        kappa = rho + NU
        return math.log(1 - rho / kappa * (1 - math.exp(-kappa * gap)))

    def log_leave(rho: float, gap: float) -> float:
        kappa = rho + NU
        return math.log(rho / kappa * (1 - math.exp(-kappa * gap)))

    h = 1e-6
    for gap in (0.1, 1.0, 4.0):
        slope = (log_stay(RHO + h, gap) - log_stay(RHO - h, gap)) / (2 * h)
        assert -slope == pytest.approx(exposure(True, True, gap, RHO, NU), rel=1e-4)
        slope = (log_leave(RHO + h, gap) - log_leave(RHO - h, gap)) / (2 * h)
        assert 1 / RHO - slope == pytest.approx(exposure(True, False, gap, RHO, NU), rel=1e-4)


def _chain(rng: np.random.Generator, rho: float, days: float) -> list[tuple[float, bool]]:
    """(time, in stock from then on) of a two-state supplier from day 0."""
    t, state, changes = 0.0, True, [(0.0, True)]
    while t < days:
        t += rng.exponential(1 / (rho if state else NU))
        state = not state
        changes.append((t, state))
    return changes


def _state_at(changes: list[tuple[float, bool]], day: float) -> bool:
    return [s for t, s in changes if t <= day][-1]


def test_checks_every_other_day_recover_the_stock_out_rate(clock: ManualClock) -> None:
    """Sources checked every other day, with spells short enough that some fall between
    checks: the planner's estimates land near the true rates (counting the changes seen over
    the time between checks lands a quarter low)."""
    settings = replace(PlannerSettings(), checks_per_hour=10_000)
    planner = Planner(settings, clock, history_start=clock.now() - timedelta(days=30))
    rng = np.random.default_rng(7)
    start, days, sources = clock.now(), 120, 300
    chains = [_chain(rng, RHO, days) for _ in range(sources)]
    for day in range(0, days, 2):
        at = start + timedelta(days=day)
        clock.advance((at - clock.now()).total_seconds())
        planner.rates()  # the engine's hourly refit, which also re-learns the restock rate
        for i, changes in enumerate(chains):
            state = Availability.IN_STOCK if _state_at(changes, day) else Availability.OUT_OF_STOCK
            ref = f"https://shop.example/{i}"
            planner.observe(ref, f"SKU{i}", "shop.example", Observation(ref, state, at, "test"))
    rates = planner.rates()
    assert np.mean(list(rates.stockouts.values())) == pytest.approx(RHO, rel=0.1)
    assert rates.restock == pytest.approx(NU, rel=0.05)
