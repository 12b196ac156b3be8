"""Benchmark: many supplier checks against the local demo shop, within per-host politeness.

2,000 checks over 4 loopback hosts (127.0.0.1-4), 50 ms added latency per page, each host
limited to 10 requests/s. The politeness bound is checks / (hosts x rate) = 50 s; the wall
time is printed as a ratio to it (aim <= 1.15), with peak Python memory (tracemalloc) and what
the shop itself saw (peak concurrency and smallest gap between arrivals per host).

    .venv/bin/python bench/fetch.py            # about a minute, by nature
    .venv/bin/python bench/fetch.py --checks 200
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from stockguard.core.clock import SystemClock
from stockguard.core.config import SupplierSettings
from stockguard.doubles.demoshop import STYLES, DemoProduct, DemoShop
from stockguard.suppliers.fetch import Fetcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="added seconds per page")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s allowed per host")
    parser.add_argument("--in-flight", type=int, default=2, help="requests open per host")
    args = parser.parse_args()

    hosts = [f"127.0.0.{n + 1}" for n in range(args.hosts)]
    products = [
        DemoProduct(
            f"p{n:05d}",
            STYLES[n % len(STYLES)],
            host=hosts[n % len(hosts)],
            mean_flip_seconds=600.0,
        )
        for n in range(args.checks)
    ]
    clock = SystemClock()
    settings = SupplierSettings(
        min_gap_seconds=1.0 / args.rate,
        max_in_flight_per_host=args.in_flight,
        workers=max(args.hosts * args.in_flight * 2, 4),
        retries=1,
        allow_private=("127.0.0.0/8",),  # the demo shop's loopback hosts
    )
    with (
        DemoShop(products, clock, latency_s=args.latency, seed=1) as shop,
        Fetcher(settings, clock) as fetcher,
    ):
        urls = [shop.url_for(p.product_id) for p in products]  # starts every host first
        tracemalloc.start()
        started = time.perf_counter()
        ok = failed = 0
        for result in fetcher.fetch_many(urls):
            ok += result.ok
            failed += not result.ok
        wall = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stats = shop.stats()

    bound = args.checks / (args.hosts * args.rate)
    print(
        f"checks={args.checks} hosts={args.hosts} latency={args.latency * 1000:.0f}ms "
        f"rate={args.rate:g}/s/host in_flight={args.in_flight}"
    )
    for host in hosts:
        s = stats[host]
        gap = s.min_gap if s.min_gap is not None else float("nan")
        print(
            f"  {host}: {s.requests} requests, peak in flight {s.peak_in_flight}, "
            f"smallest arrival gap {gap * 1000:.1f} ms"
        )
    print(
        f"ok={ok} failed={failed} wall={wall:.2f}s bound={bound:.2f}s "
        f"ratio={wall / bound:.3f} peak_python_mb={peak / 1e6:.1f}"
    )
    print(
        f"RESULT wall_s={wall:.2f} bound_s={bound:.2f} ratio={wall / bound:.3f} "
        f"peak_mb={peak / 1e6:.1f} ok={ok} failed={failed}"
    )


if __name__ == "__main__":
    main()
