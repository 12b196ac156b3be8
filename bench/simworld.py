"""The simulated world of bench/simulate.py: suppliers that run out and restock, buyers.

Everything random is drawn up front from one seed (common random numbers): the supplier
timelines and the *potential* orders. Every checker then sees the same world; a potential
order becomes a real one only while that checker's Amazon quantity is above 0. Times are
floats in days; the measured period is [0, days), the order history [-history_days, 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FArr = NDArray[np.float64]
IArr = NDArray[np.int64]
BArr = NDArray[np.bool_]


@dataclass(frozen=True)
class WorldSpec:
    """The knobs of the world (each a command-line option of bench/simulate.py)."""

    listings: int = 5000
    days: float = 28.0
    history_days: float = 30.0
    order_rate_mean: float = 0.1  # orders per listing per day, across listings
    order_rate_sigma: float = 2.0  # lognormal spread (log space)
    stockouts_per_day_mean: float = 1 / 20
    stockout_sigma: float = 1.0
    outage_mean_days: float = 3.0
    push_delay_days: float = 5 / 1440


@dataclass(frozen=True)
class World:
    """One draw of the world."""

    spec: WorldSpec
    sales_rate: FArr  # per listing, orders/day while live
    stockout_rate: FArr  # per listing, stock-outs/day while in stock
    start_in: BArr  # supplier state at -history_days
    change_keys: FArr  # sorted listing * _SPAN + time of each supplier state change
    change_start: IArr  # per listing, offset of its first change in change_keys
    order_listing: IArr  # potential orders, sorted by time
    order_time: FArr

    def supplier_in(self, listing: IArr, time: FArr) -> BArr:
        """Whether each listing's supplier had stock at each time (vectorised)."""
        keys = listing * _SPAN + (time + _SHIFT)
        flips = np.searchsorted(self.change_keys, keys, side="right") - self.change_start[listing]
        result: BArr = self.start_in[listing] ^ (flips % 2 == 1)
        return result

    def history_orders(self) -> tuple[IArr, FArr]:
        """Orders of the history: potential orders while the supplier (and so Amazon) had stock."""
        past = self.order_time < 0
        listing, time = self.order_listing[past], self.order_time[past]
        sold = self.supplier_in(listing, time)
        return listing[sold], time[sold]


_SPAN = 1000.0  # keys: listing * _SPAN + (time + _SHIFT): one sorted array for all listings
_SHIFT = 100.0


def make_world(spec: WorldSpec, seed: int) -> World:
    """Draw rates, supplier timelines and potential orders for ``seed``."""
    rng = np.random.default_rng(seed)
    n = spec.listings
    sales = _lognormal(rng, spec.order_rate_mean, spec.order_rate_sigma, n)
    stockout = _lognormal(rng, spec.stockouts_per_day_mean, spec.stockout_sigma, n)
    p_out = spec.outage_mean_days / (1 / stockout + spec.outage_mean_days)
    start_in = rng.random(n) >= p_out
    begin, end = -spec.history_days, spec.days + 1.0
    listing_ids, times = _timelines(rng, stockout, 1 / spec.outage_mean_days, start_in, begin, end)
    keys = listing_ids * _SPAN + (times + _SHIFT)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.searchsorted(keys, np.arange(n) * _SPAN)
    counts = rng.poisson(sales * (end - begin))
    order_listing = np.repeat(np.arange(n), counts)
    order_time = rng.uniform(begin, end, size=order_listing.size)
    by_time = np.argsort(order_time, kind="stable")
    return World(
        spec,
        sales,
        stockout,
        start_in,
        keys,
        starts.astype(np.int64),
        order_listing[by_time],
        order_time[by_time],
    )


def _lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> FArr:
    """Lognormal draws with the given *mean* (not median) and log-space sigma."""
    result: FArr = np.exp(rng.normal(np.log(mean) - sigma**2 / 2, sigma, n))
    return result


def _timelines(
    rng: np.random.Generator,
    out_rate: FArr,
    back_rate: float,
    start_in: BArr,
    begin: float,
    end: float,
) -> tuple[FArr, FArr]:
    """Alternating exponential spells per listing; returns (listing, change time) pairs."""
    n = out_rate.size
    now = np.full(n, begin)
    state_in = start_in.copy()
    ids: list[IArr] = []
    times: list[FArr] = []
    active = np.arange(n)
    while active.size:
        rate = np.where(state_in[active], out_rate[active], back_rate)
        now[active] += rng.exponential(1 / rate)
        inside = now[active] < end
        active = active[inside]
        ids.append(active.astype(np.float64))
        times.append(now[active].copy())
        state_in[active] ^= True
    return np.concatenate(ids), np.concatenate(times)


@dataclass
class Tally:
    """What one checker's Amazon quantities did to the orders of the measured period."""

    sales: int = 0
    oversells: int = 0
    lost: int = 0
    checks: int = 0
    expected_oversells: float = 0.0  # sales rate x time live while the supplier was out
    expected_lost: float = 0.0  # sales rate x time at 0 while the supplier had stock

    def add(self, live: BArr, supplier_in: BArr) -> None:
        self.sales += int(np.count_nonzero(live & supplier_in))
        self.oversells += int(np.count_nonzero(live & ~supplier_in))
        self.lost += int(np.count_nonzero(~live & supplier_in))


def oracle(world: World) -> Tally:
    """Knows every change at once; Amazon follows after the push delay."""
    listing, time = _measured(world)
    tally = Tally()
    live = world.supplier_in(listing, time - world.spec.push_delay_days)
    tally.add(live, world.supplier_in(listing, time))
    return tally


def round_robin(world: World, checks_per_day: float) -> Tally:
    """Every listing in turn at a fixed rate; writes what it read (1 or 0)."""
    listing, time = _measured(world)
    tally = Tally(checks=int(world.spec.days * checks_per_day))
    tally.add(
        round_robin_live(world, checks_per_day, listing, time), world.supplier_in(listing, time)
    )
    return tally


def round_robin_live(world: World, checks_per_day: float, listing: IArr, time: FArr) -> BArr:
    """Whether round-robin's Amazon quantity is above 0 for each (listing, time)."""
    period = world.spec.listings / checks_per_day
    offset = listing / checks_per_day  # listing i's first check
    k = np.floor((time - world.spec.push_delay_days - offset) / period)
    live: BArr = np.where(
        k >= 0,
        world.supplier_in(listing, offset + k * period),
        world.supplier_in(listing, np.zeros_like(time)),
    )
    return live


def expected_losses(
    world: World, live_at: Callable[[IArr, FArr], BArr], step_days: float = 1 / 144
) -> tuple[float, float]:
    """Expected (oversells, lost sales): sales rate x time live-while-out (x time dark-while-in).

    Free of the order draws' noise, so checkers compare with far fewer seeds.
    """
    grid = np.arange(step_days / 2, world.spec.days, step_days)
    over = lost = 0.0
    for lo in range(0, world.spec.listings, 500):
        ids = np.arange(lo, min(lo + 500, world.spec.listings))
        listing = np.repeat(ids, grid.size)
        time = np.tile(grid, ids.size)
        live, stock = live_at(listing, time), world.supplier_in(listing, time)
        rate = world.sales_rate[listing] * step_days
        over += float(rate[live & ~stock].sum())
        lost += float(rate[~live & stock].sum())
    return over, lost


def _measured(world: World) -> tuple[IArr, FArr]:
    keep = (world.order_time >= 0) & (world.order_time < world.spec.days)
    return world.order_listing[keep], world.order_time[keep]
