"""Benchmark: time to zero while a slow feed, a read-back and other quotas are pending.

The real `stockguard run` jobs (cli.jobs.build_jobs on sync.scheduler.Service, in this
process) against the SP-API emulator (system clock, Amazon's default rate limits, feeds that
take ``--feed-seconds`` to process) and the demo shop on loopback, with a catalogue of
``--listings`` listings. At the start a bulk restore of two thirds of them is in flight as one
JSON_LISTINGS_FEED; then suppliers sell out at random times. For each stock-out we measure
the time from the check that observed OUT_OF_STOCK (the observation's ``checked_at`` in the
store) to Amazon showing 0 (the emulator's quantity history, stamped when it applied it),
and from the stock-out itself (which adds the planner's wait before the check is due, and
any wait of the check job behind other work).

``--blocking`` runs the previous design for comparison: every job on one thread, pushes that
wait for their feeds, and the read-back inside the check pass.

    .venv/bin/python bench/zero_latency.py [--listings 300] [--feed-seconds 60] [--blocking]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from stockguard.cli import jobs as jobs_module
from stockguard.cli.catalogue.importer import import_listings_file
from stockguard.cli.demo_run import DEMO_RULES, demo_settings
from stockguard.cli.jobs import JobCounters, build_jobs
from stockguard.cli.wiring import Wired, wire
from stockguard.core.clock import SystemClock
from stockguard.core.config import Settings
from stockguard.core.domain import Availability, QuantityUpdate
from stockguard.core.store import observations as obs_store
from stockguard.core.store import outbox
from stockguard.core.store.outbox import Target
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SELLER_ID
from stockguard.sync import engine as engine_module
from stockguard.sync.pusher import push
from stockguard.sync.runlock import RunLock
from stockguard.sync.scheduler import Service

US = "ATVPDKIKX0DER"
STYLES = ("rakuten", "yodobashi", "shopify", "woocommerce")
HOSTS = ("127.0.0.1", "127.0.0.2")
QUANTITY = 3


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.ERROR)
    mode = "blocking (previous design)" if args.blocking else "non-blocking"
    print(
        f"{args.listings} listings, a bulk restore of {2 * args.listings // 3} in flight as one "
        f"feed ({args.feed_seconds:.0f} s processing), {args.stockouts} stock-outs; {mode}"
    )
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        skus = [f"ZL-{n:04d}" for n in range(args.listings)]
        products = [
            DemoProduct(sku.lower(), STYLES[n % 4], title=sku, host=HOSTS[n % 2])
            for n, sku in enumerate(skus)
        ]
        with DemoShop(products, clock) as shop:
            restoring = set(skus[: 2 * len(skus) // 3])
            seed = {
                "seller_id": EMULATOR_SELLER_ID,
                "listings": [
                    {"sku": s, "quantity": 0 if s in restoring else QUANTITY, "handling_days": 2}
                    for s in skus
                ],
            }
            with Emulator(seed, feed_processing_seconds=args.feed_seconds) as emu:
                latencies, missing = run_world(args, Path(tmp), shop, emu, skus, restoring)
    _print(latencies, missing, args)
    return 0


def run_world(
    args: argparse.Namespace,
    tmp: Path,
    shop: DemoShop,
    emu: Emulator,
    skus: list[str],
    restoring: set[str],
) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Start the service, flip suppliers out of stock, return latency per SKU and misses."""
    clock = SystemClock()
    settings = bench_settings(f"sqlite:///{tmp / 'bench.db'}", emu.base_url, tmp)
    wired = wire(settings, clock)
    try:
        prepare_store(wired, shop, skus, restoring, tmp)
        if args.blocking:
            _previous_design()
        # The bulk restore, submitted as one feed before the service starts (its feed quota
        # and processing are what the zeroings must not wait behind).
        burst = [Target(QuantityUpdate(s, QUANTITY, US), "in-stock") for s in sorted(restoring)]
        push(wired.db, wired.gateway, burst, clock)
        lock = RunLock(wired.db, clock)
        lock.acquire()
        specs = build_jobs(wired, settings, clock, lock, JobCounters())
        if args.blocking:  # one lane: the jobs never overlap
            specs = [dataclasses.replace(spec, io=False) for spec in specs]
        service = Service(specs, clock)
        runner = threading.Thread(target=service.run_until_stopped, daemon=True)
        runner.start()
        feed_done = time.monotonic() + args.feed_seconds + 5
        flips = flip_suppliers(args, shop, skus)
        wait_for_zeros(emu, flips, feed_done, args.settle_seconds)
        service.stop()
        runner.join(timeout=15)  # a job still waiting (--blocking) need not finish
        lock.release()
        return measure(wired, emu, flips)
    finally:
        wired.close()


def bench_settings(db_url: str, emulator_url: str, tmp: Path) -> Settings:
    base = demo_settings(db_url, emulator_url)
    return dataclasses.replace(
        base,
        suppliers=dataclasses.replace(base.suppliers, min_gap_seconds=0.0, retries=0),
        planner=dataclasses.replace(
            base.planner, checks_per_hour=72000, min_interval_minutes=0.05, max_interval_hours=0.004
        ),
        scheduler=dataclasses.replace(
            base.scheduler,
            check_every=2.0,
            push_every=5.0,
            verify_every=5.0,
            orders_every=3600.0,
            heartbeat_every=5.0,
            report_dir=str(tmp / "reports"),
        ),
    )


def prepare_store(
    wired: Wired, shop: DemoShop, skus: list[str], restoring: set[str], tmp: Path
) -> None:
    """The catalogue, and what Amazon shows for each listing (as a read-back would record)."""
    lines = ["sku,marketplace,asin,handling_days,default_quantity,source"]
    for n, sku in enumerate(skus):
        url = shop.url_for(sku.lower())
        lines.append(f"{sku},US,B0ZL{n:06d},2,{QUANTITY},page:{STYLES[n % 4]}:{url}")
    path = tmp / "catalogue.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clock = SystemClock()
    report = import_listings_file(wired.db, path, clock.now(), rules=DEMO_RULES)
    assert not report.errors, report.errors
    with wired.db.begin() as conn:
        for sku in skus:
            shown = 0 if sku in restoring else QUANTITY
            outbox.record_readback(conn, QuantityUpdate(sku, shown, US), clock.now())
    # As after the pass that decided the restore: the planner knows every listing is (about
    # to be) live. (A fresh planner ranks every "not live yet" IN_STOCK source in one tier
    # without aging, and a few of them would be re-checked over and over while others starve.)
    wired.engine.load()
    for sku in skus:
        wired.engine.planner.set_quantity(sku, QUANTITY, clock.now())


def _previous_design() -> None:
    """Before: the pass read back inside itself and every push waited for its feeds."""
    waiting = functools.partial(push, wait=True)
    setattr(engine_module, "push", waiting)  # noqa: B010 - a bench swaps the old behaviour in
    setattr(jobs_module, "push", waiting)  # noqa: B010
    setattr(jobs_module, "check_and_push", lambda engine, budget: engine.sync_once(budget))  # noqa: B010


def flip_suppliers(
    args: argparse.Namespace, shop: DemoShop, skus: list[str]
) -> dict[str, datetime]:
    """Sell out ``args.stockouts`` random products at random times; return when each went."""
    rng = random.Random(args.seed)
    chosen = rng.sample(skus, args.stockouts)
    times = sorted(rng.uniform(3.0, args.flip_window) for _ in chosen)
    start = time.monotonic()
    flips: dict[str, datetime] = {}
    for sku, at in zip(chosen, times, strict=True):
        time.sleep(max(0.0, at - (time.monotonic() - start)))
        shop.set_stock(sku.lower(), False)
        flips[sku] = SystemClock().now()
    return flips


def wait_for_zeros(
    emu: Emulator, flips: dict[str, datetime], feed_done: float, limit: float
) -> None:
    """Until the restore feed has landed and every stock-out shows 0 after its flip (a SKU of
    the restore is at 0 before: it counts once stockguard set 0 and the feed did not undo it)."""
    deadline = max(time.monotonic(), feed_done) + limit
    while time.monotonic() < deadline:
        if time.monotonic() >= feed_done and all(_zeroed(emu, s, t) for s, t in flips.items()):
            return
        time.sleep(0.2)


def _zeroed(emu: Emulator, sku: str, flipped: datetime) -> bool:
    history = emu.quantity_history(sku)
    return history[-1][1] == 0 and any(t >= flipped and q == 0 for t, q, _ in history)


def measure(
    wired: Wired, emu: Emulator, flips: dict[str, datetime]
) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Per flipped SKU: seconds from the observing check, and from the stock-out itself, to
    Amazon showing 0."""
    listings = {item.sku: item for item in wired.engine.listings.values()}
    refs = {sku: listings[sku].sources[0].ref for sku in flips}
    seen = obs_store.recent_observations(wired.db, 200, list(refs.values()))
    latencies: dict[str, tuple[float, float]] = {}
    missing: list[str] = []
    for sku, flipped in flips.items():
        checks = [
            o.checked_at
            for o in seen.get(refs[sku], [])
            if o.availability is Availability.OUT_OF_STOCK and o.checked_at >= flipped
        ]
        history = emu.quantity_history(sku)
        zeros = [t for t, q, _ in history if q == 0 and checks and t >= checks[0]]
        if not checks or not zeros or history[-1][1] != 0:  # never zeroed, or undone
            missing.append(sku)
            continue
        latencies[sku] = (
            (zeros[0] - checks[0]).total_seconds(),
            (zeros[0] - flipped).total_seconds(),
        )
    return latencies, missing


def _print(
    latencies: dict[str, tuple[float, float]], missing: list[str], args: argparse.Namespace
) -> None:
    if not latencies:
        print(f"no stock-out reached Amazon within the window ({len(missing)} missed)")
        print(
            f"RESULT zero_p95_s=nan zero_max_s=nan missing={len(missing)} "
            f"feed_seconds={args.feed_seconds:.0f} blocking={int(args.blocking)}"
        )
        return
    check = _stats(sorted(v[0] for v in latencies.values()))
    flip = _stats(sorted(v[1] for v in latencies.values()))
    print(f"over {len(latencies)} stock-outs ({len(missing)} not zeroed within the window):")
    print("                      min   median     p95     max")
    for label, (low, mid, p95, top) in (("check -> Amazon 0", check), ("stock-out -> 0", flip)):
        print(f"{label:18} {low:7.2f} {mid:8.2f} {p95:7.2f} {top:7.2f}  s")
    print(
        f"RESULT zero_p95_s={check[2]:.2f} zero_max_s={check[3]:.2f} "
        f"zero_median_s={check[1]:.2f} stockout_to_zero_p95_s={flip[2]:.2f} "
        f"stockout_to_zero_max_s={flip[3]:.2f} missing={len(missing)} "
        f"feed_seconds={args.feed_seconds:.0f} blocking={int(args.blocking)}"
    )


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return values[0], statistics.median(values), p95, values[-1]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--feed-seconds", type=float, default=60.0)
    parser.add_argument("--stockouts", type=int, default=30)
    parser.add_argument("--flip-window", type=float, default=50.0, help="seconds of flips")
    parser.add_argument(
        "--settle-seconds", type=float, help="after the feed (default 30; --blocking 90)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--blocking", action="store_true", help="the previous design")
    args = parser.parse_args(argv)
    if args.settle_seconds is None:
        args.settle_seconds = 90.0 if args.blocking else 30.0
    return args


if __name__ == "__main__":
    sys.exit(main())
