"""Diagnostic: how much of the simulation's gap is information, by revealing true rates.

Runs bench/simulate.py's stockguard checker with the planner's estimates replaced by the
world's true sales rates, stock-out rates, or both (everything else unchanged), next to the
ordinary run. The difference between the rows is what better estimation could still win;
the ``both`` row is what the planner's ranking achieves with perfect knowledge.

    .venv/bin/python bench/simulate_reveal.py --seed 1 --seeds 2

Last line: ``RESULT estimated=… true_sales=… true_stockouts=… true_both=…`` (mean ratios of
oversells to round-robin's; the same for lost sales with a ``lost_`` prefix, and for the
noise-free expected oversells with an ``expected_`` prefix).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulate import Run
from simworld import WorldSpec, expected_losses, make_world, round_robin, round_robin_live

from stockguard.core.config import PlannerSettings, PolicySettings
from stockguard.sync.planner import Planner

VARIANTS = {
    "estimated": (),
    "true_sales": ("sales",),
    "true_stockouts": ("stockouts",),
    "true_both": ("sales", "stockouts"),
}


class RevealingPlanner(Planner):
    """The real planner, with some of its estimates replaced by the world's true rates."""

    reveal: tuple[str, ...] = ()
    sales_rate: np.ndarray
    stockout_rate: np.ndarray

    def _maybe_refit(self, ts: float) -> None:
        super()._maybe_refit(ts)
        # Reaches into the planner's estimate arrays on purpose: this is a diagnostic.
        t = self.t
        world_index = np.empty(t.listings, dtype=np.int64)
        for sku, j in t.listing_index.items():
            world_index[j] = int(sku.removeprefix("SKU"))
        if "sales" in self.reveal and len(self._sales_est) == t.listings:
            self._sales_est = self.sales_rate[world_index]
        if "stockouts" in self.reveal and len(self._stockout_est) == t.size:
            self._stockout_est = self.stockout_rate[world_index[t.listing_of[: t.size]]]


def run_variant(
    spec: WorldSpec, seed: int, budget: float, reveal: tuple[str, ...], lost_weight: float
) -> Run:
    world = make_world(spec, seed)
    settings = replace(
        PlannerSettings(),
        checks_per_hour=int(np.ceil(budget)) + 1,
        max_interval_hours=24 * spec.days,
        lost_sale_weight=lost_weight,
    )
    run = Run(world, budget, settings, PolicySettings(), planner_type=RevealingPlanner)
    planner = run.planner
    assert isinstance(planner, RevealingPlanner)
    planner.reveal = reveal
    planner.sales_rate, planner.stockout_rate = world.sales_rate, world.stockout_rate
    run.run()
    return run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--listings", type=int, default=5000)
    p.add_argument("--budget-scale", type=float, default=1.0)
    p.add_argument("--lost-weight", type=float, default=PlannerSettings.lost_sale_weight)
    p.add_argument("--variants", default="", help=f"comma-separated subset of {list(VARIANTS)}")
    args = p.parse_args(argv)
    spec = WorldSpec(listings=args.listings)
    budget = args.listings / 12 * args.budget_scale
    names = args.variants.split(",") if args.variants else list(VARIANTS)
    ratios: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    for seed in range(args.seed, args.seed + args.seeds):
        world = make_world(spec, seed)
        rr = round_robin(world, budget * 24)
        rr_live = partial(round_robin_live, world, budget * 24)
        rr_over, _ = expected_losses(world, rr_live)
        for name in names:
            run = run_variant(spec, seed, budget, VARIANTS[name], args.lost_weight)
            sg = run.tally
            over, _ = expected_losses(world, run.live_at)
            row = (sg.oversells / max(rr.oversells, 1), sg.lost / max(rr.lost, 1), over / rr_over)
            ratios[name].append(row)
            print(
                f"seed {seed} {name:15s} ratio={row[0]:.3f} lost_ratio={row[1]:.3f} "
                f"expected_ratio={row[2]:.3f}"
            )
    means = {name: np.mean(np.array(rows), axis=0) for name, rows in ratios.items()}
    print(
        "RESULT "
        + " ".join(f"{name}={m[0]:.3f}" for name, m in means.items())
        + " "
        + " ".join(f"lost_{name}={m[1]:.3f}" for name, m in means.items())
        + " "
        + " ".join(f"expected_{name}={m[2]:.3f}" for name, m in means.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
