"""Simulation: stockguard's real policy and planner vs a fixed round-robin and an oracle.

One simulated world per seed (bench/simworld.py), seen by three checkers at the same request
budget: stockguard (sync.planner.Planner + sync.policy.decide, driven on a ManualClock
through the interfaces the engine uses), round-robin (every listing once per interval, writes
what it read) and an oracle (knows every supplier change at once: the lower bound).

    .venv/bin/python bench/simulate.py --seed 1 --seeds 5 --budget-scale 0.5

Last line: ``RESULT ratio=… lost_ratio=… …`` (means over the seeds; ratio = stockguard's
oversells / round-robin's, lost_ratio the same for lost sales).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simworld import (
    Tally,
    World,
    WorldSpec,
    expected_losses,
    make_world,
    oracle,
    round_robin,
    round_robin_live,
)

from stockguard.core.clock import ManualClock
from stockguard.core.config import PlannerSettings, PolicySettings
from stockguard.core.domain import Availability, Listing, Observation, Source, SourceKind
from stockguard.sync.planner import Planner
from stockguard.sync.policy import decide

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # simulated day 0
HOSTS = 40


def at(day: float) -> datetime:
    return EPOCH + timedelta(days=day)


@dataclass
class Run:
    """One stockguard checker over one world: the engine's loop, minus the network."""

    world: World
    checks_per_hour: float
    planner_settings: PlannerSettings
    policy_settings: PolicySettings
    tick_minutes: float = 5.0
    planner_type: type[Planner] = Planner  # bench/simulate_reveal.py passes a subclass

    def __post_init__(self) -> None:
        spec = self.world.spec
        n = spec.listings
        self.clock = ManualClock(at(0))
        self.planner = self.planner_type(
            self.planner_settings,
            self.clock,
            history_start=at(-spec.history_days),
            stale_after_hours=self.policy_settings.max_observation_age_hours,
        )
        self.refs = [f"https://shop{i % HOSTS}.example/item/{i}" for i in range(n)]
        self.index = {ref: i for i, ref in enumerate(self.refs)}
        self.listings = [
            Listing(f"SKU{i}", "US", sources=(Source(SourceKind.PAGE, self.refs[i]),))
            for i in range(n)
        ]
        self.history: list[deque[Observation]] = [deque(maxlen=4) for _ in range(n)]
        self.intended = np.zeros(n, dtype=np.int64)  # what the engine last decided
        self.amazon = np.zeros(n, dtype=bool)  # what Amazon shows
        self.pushes: deque[tuple[float, int, int]] = deque()  # (applies at, listing, quantity)
        self.tally = Tally()
        self.changes: list[tuple[int, float, bool]] = []  # Amazon's (listing, day, live)
        self.seen_day = np.zeros(n)  # when each listing's source was last observed
        self.sweep_every = 1 / 24  # the engine re-decides every listing hourly (stale -> 0)

    def start(self) -> None:
        """Day 0: past orders are read, every listing is in sync after one full pass."""
        listing, when = self.world.history_orders()
        for i, t in zip(listing.tolist(), when.tolist(), strict=True):
            self.planner.record_sale(f"SKU{i}", at(t))
        truth = self.world.supplier_in(np.arange(len(self.refs)), np.zeros(len(self.refs)))
        for i, ok in enumerate(truth.tolist()):
            obs = self._observation(i, bool(ok), 0.0)
            self.planner.observe(self.refs[i], f"SKU{i}", self._host(i), obs)
            self.history[i].append(obs)
            self.intended[i] = self.amazon[i] = ok
            self.planner.set_quantity(f"SKU{i}", int(ok), at(0))

    def run(self) -> Tally:
        self.start()
        spec = self.world.spec
        tick = self.tick_minutes / 1440
        per_tick = self.checks_per_hour * self.tick_minutes / 60
        keep = (self.world.order_time >= 0) & (self.world.order_time < spec.days)
        orders = list(
            zip(
                self.world.order_listing[keep].tolist(),
                self.world.order_time[keep].tolist(),
                strict=True,
            )
        )
        next_order, credit, now = 0, 0.0, 0.0
        while now < spec.days:
            now = min(now + tick, spec.days)
            next_order = self._orders_until(orders, next_order, now)
            self._apply_pushes(now)
            credit += per_tick
            budget = int(credit)
            credit -= budget
            self.clock.advance((at(now) - self.clock.now()).total_seconds())
            for ref in self.planner.due(at(now), budget):
                self._check(self.index[ref], now)
            if now // self.sweep_every != (now - tick) // self.sweep_every:
                self._sweep(now)
        return self.tally

    def _orders_until(self, orders: list[tuple[int, float]], k: int, until: float) -> int:
        while k < len(orders) and orders[k][1] < until:
            i, t = orders[k]
            self._apply_pushes(t)
            supplier = bool(self.world.supplier_in(np.array([i]), np.array([t]))[0])
            live = bool(self.amazon[i])
            self.tally.add(np.array([live]), np.array([supplier]))
            if live:
                self.planner.record_sale(f"SKU{i}", at(t))
            k += 1
        return k

    def _apply_pushes(self, until: float) -> None:
        while self.pushes and self.pushes[0][0] <= until:
            _, i, quantity = self.pushes.popleft()
            self.amazon[i] = quantity > 0
            self.changes.append((i, _, quantity > 0))

    def _check(self, i: int, now: float) -> None:
        self.tally.checks += 1
        ok = bool(self.world.supplier_in(np.array([i]), np.array([now]))[0])
        obs = self._observation(i, ok, now)
        sku = f"SKU{i}"
        self.planner.observe(self.refs[i], sku, self._host(i), obs)
        self.history[i].append(obs)
        self.seen_day[i] = now
        self._decide(i, now)

    def _decide(self, i: int, now: float) -> None:
        sku = f"SKU{i}"
        decision = decide(
            self.listings[i],
            {self.refs[i]: self.history[i]},
            int(self.intended[i]),
            at(now),
            self.policy_settings,
        )
        if decision.target_quantity != self.intended[i]:
            self.intended[i] = decision.target_quantity
            self.pushes.append((now + self.world.spec.push_delay_days, i, decision.target_quantity))
            self.planner.set_quantity(sku, decision.target_quantity, at(now))

    def live_at(self, listing: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Amazon's state for each (listing, day), replayed from the applied pushes."""
        n = len(self.refs)
        first = self.world.supplier_in(np.arange(n), np.zeros(n))
        if not self.changes:
            result: np.ndarray = first[listing]
            return result
        ids, days, live = (np.array(c) for c in zip(*self.changes, strict=True))
        keys = ids * 1000.0 + days
        order = np.argsort(keys, kind="stable")
        keys, live = keys[order], live[order].astype(bool)
        pos = np.searchsorted(keys, listing * 1000.0 + time, side="right") - 1
        own = (pos >= 0) & (np.floor(keys[np.maximum(pos, 0)] / 1000.0) == listing)
        replayed: np.ndarray = np.where(own, live[np.maximum(pos, 0)], first[listing])
        return replayed

    def _sweep(self, now: float) -> None:
        """The engine's pass over every listing: an observation too old counts as UNKNOWN."""
        max_age = self.policy_settings.max_observation_age_hours / 24
        for i in np.flatnonzero((self.intended > 0) & (now - self.seen_day > max_age)).tolist():
            self._decide(i, now)

    def _observation(self, i: int, ok: bool, day: float) -> Observation:
        availability = Availability.IN_STOCK if ok else Availability.OUT_OF_STOCK
        return Observation(self.refs[i], availability, at(day), evidence="simulated page")

    @staticmethod
    def _host(i: int) -> str:
        return f"shop{i % HOSTS}.example"


def simulate(
    spec: WorldSpec,
    seed: int,
    checks_per_hour: float,
    planner: PlannerSettings,
    policy: PolicySettings,
) -> dict[str, Tally]:
    world = make_world(spec, seed)
    run = Run(world, checks_per_hour, planner, policy)
    sg = run.run()
    result = {
        "stockguard": sg,
        "round-robin": round_robin(world, checks_per_hour * 24),
        "oracle": oracle(world),
    }
    live = {
        "stockguard": run.live_at,
        "round-robin": lambda i, t: round_robin_live(world, checks_per_hour * 24, i, t),
        "oracle": lambda i, t: world.supplier_in(i, t - spec.push_delay_days),
    }
    for name, live_at in live.items():
        result[name].expected_oversells, result[name].expected_lost = expected_losses(
            world, live_at
        )
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec = WorldSpec(listings=args.listings, days=args.days, history_days=args.history_days)
    budget = args.budget or args.listings / 12
    budget *= args.budget_scale
    planner = replace(
        PlannerSettings(),
        checks_per_hour=int(np.ceil(budget)) + 1,
        max_interval_hours=args.max_interval_hours,
        lost_sale_weight=args.lost_weight,
    )
    for item in args.planner:
        key, _, value = item.partition("=")
        planner = replace(planner, **{key: type(getattr(planner, key))(value)})
    policy = replace(PolicySettings(), max_observation_age_hours=args.max_age_hours)
    rows = []
    for seed in range(args.seed, args.seed + args.seeds):
        began = time.perf_counter()
        result = simulate(spec, seed, budget, planner, policy)
        sg, rr = result["stockguard"], result["round-robin"]
        ratio = sg.oversells / max(rr.oversells, 1)
        lost_ratio = sg.lost / max(rr.lost, 1)
        exp_ratio = sg.expected_oversells / max(rr.expected_oversells, 1e-9)
        exp_lost = sg.expected_lost / max(rr.expected_lost, 1e-9)
        rows.append((ratio, lost_ratio, result, exp_ratio, exp_lost))
        print(f"seed {seed} budget {budget:.1f}/h ({time.perf_counter() - began:.1f}s)")
        for name, tally in result.items():
            print(
                f"  {name:12s} sales={tally.sales:6d} oversells={tally.oversells:5d} "
                f"lost={tally.lost:5d} checks={tally.checks}"
            )
        print(
            f"  ratio={ratio:.3f} lost_ratio={lost_ratio:.3f} "
            f"expected_ratio={exp_ratio:.3f} expected_lost_ratio={exp_lost:.3f}"
        )
    _summary(rows, budget)
    return 0


def _summary(
    rows: list[tuple[float, float, dict[str, Tally], float, float]], budget: float
) -> None:
    def mean(name: str, field: str) -> float:
        return float(np.mean([getattr(r[2][name], field) for r in rows]))

    ratio = float(np.mean([r[0] for r in rows]))
    lost_ratio = float(np.mean([r[1] for r in rows]))
    pooled = mean("stockguard", "oversells") / max(mean("round-robin", "oversells"), 1e-9)
    pooled_lost = mean("stockguard", "lost") / max(mean("round-robin", "lost"), 1e-9)
    exp_ratio = float(np.mean([r[3] for r in rows]))
    exp_lost = float(np.mean([r[4] for r in rows]))
    print(
        f"RESULT ratio={ratio:.3f} lost_ratio={lost_ratio:.3f} "
        f"expected_ratio={exp_ratio:.3f} expected_lost_ratio={exp_lost:.3f} "
        f"pooled_ratio={pooled:.3f} pooled_lost_ratio={pooled_lost:.3f} "
        f"oversells_sg={mean('stockguard', 'oversells'):.1f} "
        f"oversells_rr={mean('round-robin', 'oversells'):.1f} "
        f"oversells_oracle={mean('oracle', 'oversells'):.1f} "
        f"lost_sg={mean('stockguard', 'lost'):.1f} lost_rr={mean('round-robin', 'lost'):.1f} "
        f"lost_oracle={mean('oracle', 'lost'):.1f} budget_per_hour={budget:.1f} "
        f"seeds={len(rows)}"
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, default=1, help="run this many consecutive seeds")
    p.add_argument("--listings", type=int, default=5000)
    p.add_argument("--days", type=float, default=28.0)
    p.add_argument("--history-days", type=float, default=30.0)
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help="checks per hour (default: round-robin every 12 hours)",
    )
    p.add_argument("--budget-scale", type=float, default=1.0, help="multiply the budget")
    p.add_argument("--max-interval-hours", type=float, default=24 * 28)
    p.add_argument(
        "--max-age-hours",
        type=float,
        default=PolicySettings.max_observation_age_hours,
        help="the policy's max observation age (older counts as UNKNOWN)",
    )
    p.add_argument("--lost-weight", type=float, default=PlannerSettings.lost_sale_weight)
    p.add_argument(
        "--planner",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a PlannerSettings field, e.g. --planner refit_hours=1",
    )
    return p


if __name__ == "__main__":
    raise SystemExit(main())
