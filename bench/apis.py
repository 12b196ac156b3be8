"""Item APIs: checks per hour at each published quota, and a mix of sources vs pages alone.

1. Quota: the real ApiChecker reads through each emulated API over real HTTP (amazon-jp
   getItemOffersBatch in the SP-API emulator; the Rakuten and Yahoo fakes), for a simulated
   window on a ManualClock (the pacer's waits advance it). Items checked per hour are compared
   with the quota bound: calls/s x 3600 x batch size (capped by a daily limit, if the window
   could reach it). 429s after the first burst are counted (the API's own count).
2. Mix: one world of supplier stock-outs (bench/simworld.py, as bench/simulate.py) seen by
   two round-robin checkers. "mixed": 60% of sources are Amazon.co.jp API items, 20% Rakuten,
   10% Yahoo, 10% other shops' pages; each API cycles its sources at its quota's items/hour,
   the pages share the page budget. "pages": every source is a page (amazon.co.jp,
   item.rakuten.co.jp, store.shopping.yahoo.co.jp and the other shops), same page budget:
   a global pages/hour and a per-host cap (politeness). Oversells and lost sales are the
   expected ones (sales rate x time live while out / dark while in), ratio mixed / pages.

    .venv/bin/python bench/apis.py --quick

Last line: ``RESULT min_quota_ratio=… oversell_ratio=… lost_ratio=…``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simworld import IArr, World, WorldSpec, expected_losses, make_world

from stockguard.cli.api_checker import ApiChecker
from stockguard.cli.apis import build_readers
from stockguard.core.clock import ManualClock
from stockguard.core.config import parse_settings, read_api_secrets
from stockguard.core.domain import Availability, Source, SourceKind
from stockguard.doubles.apis.rakuten import FakeRakuten, FakeRakutenApp, FakeRakutenItem
from stockguard.doubles.apis.yahoo import FakeYahoo, FakeYahooItem
from stockguard.doubles.emulator import Emulator
from tests.apis.emulated import asin, emulated_checker, jp_offers

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Japan: no JST day ends in a window
KEYS = {
    "STOCKGUARD_RAKUTEN_APP_ID": "bench-app",
    "STOCKGUARD_RAKUTEN_ACCESS_KEY": "bench-key",
    "STOCKGUARD_YAHOO_APP_ID": "bench-yahoo",
}
SHARES = {"amazon-jp": 0.6, "rakuten": 0.2, "yahoo": 0.1, "other": 0.1}
PAGE_HOSTS = {"amazon-jp": 1, "rakuten": 1, "yahoo": 1}  # one shop host each for their pages


@dataclass(frozen=True)
class QuotaRun:
    """One API read at its quota for a window."""

    name: str
    items: int  # decisive readings (IN/OUT_OF_STOCK) within the window
    window_seconds: float
    bound_per_hour: float
    throttled_after_burst: int
    day_cap_per_hour: float  # a daily cap spread over the day (inf: none)

    @property
    def per_hour(self) -> float:
        return self.items / self.window_seconds * 3600

    @property
    def ratio(self) -> float:
        return self.per_hour / self.bound_per_hour


def quota_bound(calls_per_second: float, batch: int, window: float, per_day: int | None) -> float:
    """Items per hour the published quota allows over ``window`` seconds (at most a day)."""
    calls = calls_per_second * window
    if per_day is not None:
        calls = min(calls, float(per_day))
    return calls * batch / window * 3600


def run_quota(
    name: str,
    checker: ApiChecker,
    codes: Sequence[str],
    window: float,
    throttled: Callable[[], int],
) -> QuotaRun:
    """Read ``codes`` (cycled) through ``checker`` as the engine does, pass after pass (each the
    calls that fit in the checker's horizon), until the clock has moved ``window`` seconds."""
    reader = checker.readers[name]
    clock = checker.clock
    quota, batch = reader.api.quota, reader.api.batch_size
    begin, began_at = clock.monotonic(), clock.now()
    sources: Iterator[Source] = cycle(
        [Source(SourceKind.API, f"api:{name}:{code}", supplier=name) for code in codes]
    )
    items, first = 0, True
    while clock.monotonic() - begin < window:
        calls = quota.burst if first else max(1, reader.pacer.calls_within(checker.horizon))
        for seen in checker.check(list(islice(sources, calls * batch))):
            in_window = (seen.checked_at - began_at).total_seconds() <= window
            items += in_window and seen.availability is not Availability.UNKNOWN
        if first:
            burst_429s, first = throttled(), False
    bound = quota_bound(quota.calls_per_second, batch, window, quota.calls_per_day)
    day_cap = quota.calls_per_day * batch / 24 if quota.calls_per_day else float("inf")
    return QuotaRun(name, items, window, bound, throttled() - burst_429s, day_cap)


def amazon_quota(window: float) -> QuotaRun:
    clock = ManualClock(START)
    count = 200
    with Emulator({"offers": jp_offers(count)}, clock=clock) as emulator:
        checker = emulated_checker(emulator.base_url, clock)
        try:
            return run_quota(
                "amazon-jp",
                checker,
                [asin(n) for n in range(count)],
                window,
                lambda: emulator.throttled_by_operation().get("getItemOffersBatch", 0),
            )
        finally:
            checker.close()


def fake_quota(name: str, window: float) -> QuotaRun:
    """Rakuten or Yahoo against its fake, configured as `[apis.NAME]` with keys from "env"."""
    clock = ManualClock(START)
    with ExitStack() as stack:
        if name == "rakuten":
            codes = [f"shop{n % 7}:item-{n}" for n in range(100)]
            items = [FakeRakutenItem(c, c.split(":")[1], c, 1000 + n) for n, c in enumerate(codes)]
            fake: FakeRakuten | FakeYahoo = stack.enter_context(
                FakeRakuten(
                    items,
                    [
                        FakeRakutenApp(
                            KEYS["STOCKGUARD_RAKUTEN_APP_ID"], KEYS["STOCKGUARD_RAKUTEN_ACCESS_KEY"]
                        )
                    ],
                    clock,
                )
            )
        else:
            codes = [f"store{n % 7}_item{n}" for n in range(100)]
            yahoo_items = [FakeYahooItem(c, c, 1000 + n) for n, c in enumerate(codes)]
            fake = stack.enter_context(
                FakeYahoo(yahoo_items, [KEYS["STOCKGUARD_YAHOO_APP_ID"]], clock)
            )
        settings = parse_settings({"apis": {name: {"endpoint": fake.base_url}}})
        secrets = {n: read_api_secrets(n, api, KEYS) for n, api in settings.apis.items()}
        settings = replace(settings, api_secrets=secrets)
        checker = ApiChecker(build_readers(settings, clock), clock, horizon_seconds=60)
        stack.callback(checker.close)
        return run_quota(name, checker, codes, window, lambda: fake.statuses[429])


def page_rates(hosts: dict[str, int], pages_per_hour: float, host_cap: float) -> dict[str, float]:
    """Round-robin over pages: each host's share of the page budget by its sources, at most
    ``host_cap`` an hour; what a capped host cannot use goes to the others (water-filling)."""
    rates: dict[str, float] = {}
    left, budget = dict(hosts), pages_per_hour
    while left:
        total = sum(left.values())
        capped = {h for h, n in left.items() if budget * n / total >= host_cap}
        if not capped:
            rates.update({h: budget * n / total for h, n in left.items()})
            break
        for host in capped:
            rates[host] = host_cap
            budget -= host_cap
            del left[host]
    return rates


def cyclic_live(
    world: World, group: IArr, per_day: np.ndarray
) -> Callable[[IArr, np.ndarray], np.ndarray]:
    """Amazon's state when each group's sources are read in turn at the group's rate (checks a
    day) and the last reading is written (1 or 0), as simworld.round_robin_live per group."""
    n = world.spec.listings
    size = np.bincount(group, minlength=per_day.size)[group].astype(np.float64)
    position = np.zeros(n)
    for g in range(per_day.size):
        members = np.flatnonzero(group == g)
        position[members] = np.arange(members.size)
    rate = per_day[group]
    period, offset = size / rate, position / rate

    def live(listing: IArr, at: np.ndarray) -> np.ndarray:
        k = np.floor((at - world.spec.push_delay_days - offset[listing]) / period[listing])
        read_at = np.where(k >= 0, offset[listing] + k * period[listing], 0.0)
        result: np.ndarray = world.supplier_in(listing, read_at)
        return result

    return live


@dataclass(frozen=True)
class MixResult:
    mixed: tuple[float, float]  # expected (oversells, lost sales)
    pages: tuple[float, float]
    hours: dict[str, tuple[float, float]]  # group -> (mixed, pages) hours between reads


def run_mix(args: argparse.Namespace, api_per_hour: dict[str, float], seed: int) -> MixResult:
    spec = WorldSpec(listings=args.listings, days=args.days, history_days=1.0)
    world = make_world(spec, seed)
    rng = np.random.default_rng(seed + 1000)
    kinds = list(SHARES)
    kind = rng.choice(len(kinds), size=spec.listings, p=list(SHARES.values()))
    shop = rng.integers(0, args.other_hosts, size=spec.listings)
    # groups: one per API (mixed) or per page host (pages); other shops are pages in both
    hosts = [*PAGE_HOSTS, *(f"shop{i}" for i in range(args.other_hosts))]
    host = np.where(kind == kinds.index("other"), len(PAGE_HOSTS) + shop, kind).astype(np.int64)
    counts = {h: int(np.count_nonzero(host == i)) for i, h in enumerate(hosts)}
    cap = args.host_pages_per_hour
    page_only = page_rates({h: n for h, n in counts.items() if n}, args.pages_per_hour, cap)
    other = {h: n for h, n in counts.items() if n and h not in PAGE_HOSTS}
    mixed_pages = page_rates(other, args.pages_per_hour, cap)
    mixed_rate = np.array(
        [api_per_hour[h] if h in PAGE_HOSTS else mixed_pages.get(h, 1.0) for h in hosts]
    )
    page_rate = np.array([page_only.get(h, 1.0) for h in hosts])
    live_mixed = cyclic_live(world, host, mixed_rate * 24)
    live_pages = cyclic_live(world, host, page_rate * 24)
    hours = {}
    for i, h in enumerate(hosts[: len(PAGE_HOSTS) + 1]):
        label = h if h in PAGE_HOSTS else "other (per shop)"
        hours[label] = (counts[h] / mixed_rate[i], counts[h] / page_rate[i])
    return MixResult(expected_losses(world, live_mixed), expected_losses(world, live_pages), hours)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # query strings carry the app ids
    if args.quick:
        args.window, args.listings, args.days, args.seeds = 600.0, 5000, 7.0, 1
    runs = []
    for name in ("amazon-jp", "rakuten", "yahoo"):
        began = time.perf_counter()
        run = amazon_quota(args.window) if name == "amazon-jp" else fake_quota(name, args.window)
        runs.append(run)
        print(
            f"{name:10s} {run.items:6d} items in {run.window_seconds:.0f} s simulated "
            f"({time.perf_counter() - began:.1f} s wall): {run.per_hour:8.0f}/h vs bound "
            f"{run.bound_per_hour:8.0f}/h ratio={run.ratio:.3f} "
            f"429s_after_burst={run.throttled_after_burst}"
        )
    per_hour = {run.name: min(run.per_hour, run.day_cap_per_hour) for run in runs}
    print(
        "mix: items/hour per API over a day: "
        + ", ".join(f"{k}={v:.0f}" for k, v in per_hour.items())
    )
    over, lost = [], []
    for seed in range(args.seed, args.seed + args.seeds):
        began = time.perf_counter()
        mix = run_mix(args, per_hour, seed)
        over.append(mix.mixed[0] / max(mix.pages[0], 1e-9))
        lost.append(mix.mixed[1] / max(mix.pages[1], 1e-9))
        print(
            f"seed {seed} ({args.listings} sources, {args.days:g} days, "
            f"{time.perf_counter() - began:.1f} s): mixed oversells={mix.mixed[0]:.1f} "
            f"lost={mix.mixed[1]:.1f}; pages oversells={mix.pages[0]:.1f} lost={mix.pages[1]:.1f}"
        )
        for label, (mixed_h, pages_h) in mix.hours.items():
            print(f"  {label:18s} hours between reads: mixed {mixed_h:6.2f}  pages {pages_h:6.2f}")
    min_ratio = min(run.ratio for run in runs)
    print(
        f"RESULT min_quota_ratio={min_ratio:.3f} oversell_ratio={np.mean(over):.3f} "
        f"lost_ratio={np.mean(lost):.3f} throttled_after_burst="
        f"{sum(r.throttled_after_burst for r in runs)}"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument(
        "--quick", action="store_true", help="10 simulated minutes, 5000 sources, 7 days"
    )
    p.add_argument("--window", type=float, default=3600.0, help="simulated seconds per API")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--listings", type=int, default=20_000)
    p.add_argument("--days", type=float, default=28.0)
    p.add_argument("--other-hosts", type=int, default=20, help="other shops (page hosts)")
    p.add_argument(
        "--pages-per-hour",
        type=float,
        default=2000.0,
        help="the page budget (the planner's default checks_per_hour)",
    )
    p.add_argument(
        "--host-pages-per-hour",
        type=float,
        default=360.0,
        help="politeness: pages an hour one host allows (a page every 10 s)",
    )
    return p


if __name__ == "__main__":
    raise SystemExit(main())
