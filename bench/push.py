"""Benchmark: zero 5,000 listings against the SP-API emulator with Amazon's real rate limits.

Two runs, side by side, each on a fresh emulator (system clock, default usage plans enforced,
JSON_LISTINGS_FEED processing taking ``--feed-seconds``):

* stockguard: ``sync.pusher.push(..., wait=True)`` through the outbox (SQLite file) and the
  real gateway; the first ``--patch-burst`` zeroings go by patchListingsItem, the rest as one
  feed (waited for, so the push ends when the feed does).
* naive: one patchListingsItem per SKU in a loop, no rate-limit handling (a 429 is retried at
  once), through the same gateway with its limiter and retries switched off. It would take
  ~17 minutes for 5,000 SKUs, so it runs for ``--naive-seconds`` and its totals are
  extrapolated (marked ``extrapolated``).

When a listing reached 0 is read from the emulator's quantity history (stamped when Amazon
applied it), not from when the client noticed. The floor is what Amazon's limits allow:
patchListingsItem 5 rps with a burst of 5; a feed needs createFeedDocument + createFeed
(within their bursts: no wait) plus the feed's processing time. ``ratio`` = measured / floor.

    .venv/bin/python bench/push.py [--listings 5000] [--feed-seconds 30]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.amazon.ratelimit import DEFAULT_LIMITS, RateLimiter
from stockguard.core.clock import SystemClock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import MARKETPLACES, QuantityUpdate
from stockguard.core.errors import AmazonError
from stockguard.core.store import open_store
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from stockguard.sync.pusher import push

US = MARKETPLACES["US"].marketplace_id
FIRST = 100


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.ERROR)  # the naive loop's 429s would flood the output
    skus = [f"BENCH-{n:05d}" for n in range(args.listings)]
    floor_first, floor_all = floors(args.listings, args.feed_seconds)
    print(
        f"{args.listings} listings at quantity 3 -> 0; emulator feed processing "
        f"{args.feed_seconds:.0f}s; patchListingsItem {_plan('patchListingsItem')}"
    )
    ours = run_stockguard(skus, args)
    naive = run_naive(skus, args)
    print(
        f"floor: first {FIRST} {floor_first:.1f}s (patch rate limit or feed time), "
        f"all {floor_all:.1f}s (one feed)"
    )
    _table(ours, naive, floor_first, floor_all)
    print(
        f"RESULT first100_s={ours['first']:.2f} all_s={ours['all']:.2f} "
        f"requests_per_listing={ours['rpl']:.4f} ratio={ours['all'] / floor_all:.2f} "
        f"ratio_first100={ours['first'] / floor_first:.2f} floor_all_s={floor_all:.1f} "
        f"floor_first100_s={floor_first:.1f} naive_first100_s={naive['first']:.2f} "
        f"naive_all_s={naive['all']:.0f} naive_requests_per_listing={naive['rpl']:.1f} "
        f"naive_ratio={naive['all'] / floor_all:.1f} naive_extrapolated={int(naive['extrap'])}"
    )
    return 0


def floors(listings: int, feed_seconds: float) -> tuple[float, float]:
    """The fastest Amazon's default limits allow: (first 100 at 0, all at 0) in seconds."""
    rate, burst = DEFAULT_LIMITS["patchListingsItem"]
    by_patch = max(0.0, (min(FIRST, listings) - burst) / rate)
    return min(by_patch, feed_seconds), min(feed_seconds, max(0.0, (listings - burst) / rate))


def run_stockguard(skus: list[str], args: argparse.Namespace) -> dict[str, float]:
    clock = SystemClock()
    settings = _settings(patch_burst_max=args.patch_burst)
    with tempfile.TemporaryDirectory() as tmp, _emulator(skus, args) as emu:
        db = open_store(str(Path(tmp) / "bench.db"))
        gateway = AmazonGateway(_at(settings, emu), EMULATOR_SECRETS, clock)
        updates = [QuantityUpdate(sku, 0, US) for sku in skus]
        start = clock.now()
        wall = time.monotonic()
        report = push(db, gateway, updates, clock, wait=True)  # to the feed's end
        elapsed = time.monotonic() - wall
        gateway.close()
        db.dispose()
        times = zeroed_at(emu, skus, start)
        sent = _sent(emu)
    left = len(skus) - len(report.accepted)
    print(
        f"stockguard: push() returned after {elapsed:.1f}s; {len(report.accepted)} accepted, "
        f"{left} not; requests {sent}"
    )
    return _figures(times, len(skus), sum(sent.values()), extrapolated=False)


def run_naive(skus: list[str], args: argparse.Namespace) -> dict[str, float]:
    """One patch per SKU, a 429 retried at once; stops after ``--naive-seconds``."""
    clock = SystemClock()
    settings = _settings(max_retries=0)
    with _emulator(skus, args) as emu:
        gateway = AmazonGateway(
            _at(settings, emu), EMULATOR_SECRETS, clock, limiter=_NoLimits(clock)
        )
        start = clock.now()
        deadline = time.monotonic() + args.naive_seconds
        for sku in skus:
            if time.monotonic() > deadline:
                break
            while time.monotonic() <= deadline:
                try:
                    gateway.patch_quantity(QuantityUpdate(sku, 0, US))
                    break
                except AmazonError:
                    continue  # no rate-limit handling: try again straight away
        gateway.close()
        times = zeroed_at(emu, skus, start)
        sent = _sent(emu)
    done = len(times)
    print(
        f"naive: {done} of {len(skus)} SKUs at 0 after {args.naive_seconds:.0f}s; "
        f"requests {sent}; throttled {emu.throttled_by_operation()}"
    )
    return _figures(
        times,
        len(skus),
        sum(sent.values()),
        extrapolated=done < len(skus),
        window=args.naive_seconds,
    )


class _NoLimits(RateLimiter):
    """The naive client: never waits for a token, ignores the rate-limit header."""

    def acquire(self, operation: str) -> float:
        return 0.0

    def observe(self, operation: str, header: str | None) -> None:
        return None

    def throttled(self, operation: str) -> None:
        return None


def zeroed_at(emu: Emulator, skus: list[str], start: datetime) -> list[float]:
    """Seconds from ``start`` until Amazon applied each SKU's 0 (SKUs never zeroed left out)."""
    found: list[float] = []
    for sku in skus:
        moments = [
            at
            for at, qty, cause in emu.quantity_history(sku)
            if qty == 0 and cause in ("patch", "feed")
        ]
        if moments:
            found.append((moments[0] - start).total_seconds())
    return sorted(found)


def _figures(
    times: list[float], total: int, requests: int, *, extrapolated: bool, window: float = 0.0
) -> dict[str, float]:
    done = max(1, len(times))
    first = times[FIRST - 1] if len(times) >= FIRST else float("nan")
    last = times[-1] if times else float("nan")
    if extrapolated:  # the rate reached over the window, carried on to every listing
        last = window * total / done
    return {"first": first, "all": last, "rpl": requests / done, "extrap": float(extrapolated)}


def _table(
    ours: dict[str, float], naive: dict[str, float], floor_first: float, floor_all: float
) -> None:
    print(f"{'':12}{'first100_s':>12}{'all_s':>12}{'req/listing':>13}{'ratio':>8}")
    print(f"{'floor':12}{floor_first:>12.1f}{floor_all:>12.1f}{'':>13}{1.0:>8.2f}")
    for name, fig in (("stockguard", ours), ("naive", naive)):
        mark = " (extrapolated)" if fig["extrap"] else ""
        print(
            f"{name:12}{fig['first']:>12.2f}{fig['all']:>12.1f}{fig['rpl']:>13.3f}"
            f"{fig['all'] / floor_all:>8.2f}{mark}"
        )


def _sent(emu: Emulator) -> dict[str, int]:
    """Requests the emulator received, LWA token calls left out (they are not per listing)."""
    return {op: n for op, n in emu.requests_by_operation().items() if op != "lwaToken"}


def _emulator(skus: list[str], args: argparse.Namespace) -> Emulator:
    seed = {
        "seller_id": EMULATOR_SELLER_ID,
        "listings": [{"sku": sku, "quantity": 3, "handling_days": 4} for sku in skus],
    }
    return Emulator(seed, feed_processing_seconds=args.feed_seconds)


def _settings(**changes: object) -> AmazonSettings:
    return AmazonSettings(seller_id=EMULATOR_SELLER_ID, **changes)  # type: ignore[arg-type]


def _at(settings: AmazonSettings, emu: Emulator) -> AmazonSettings:
    from dataclasses import replace

    return replace(settings, endpoint=emu.base_url, lwa_endpoint=emu.base_url)


def _plan(operation: str) -> str:
    rate, burst = DEFAULT_LIMITS[operation]
    return f"{rate:g} rps, burst {burst}"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=5000)
    parser.add_argument(
        "--feed-seconds",
        type=float,
        default=30.0,
        help="emulator feed processing time (Amazon's is minutes)",
    )
    parser.add_argument(
        "--patch-burst",
        type=int,
        default=FIRST,
        help="zeroings sent by patchListingsItem before the feed (patch_burst_max)",
    )
    parser.add_argument("--naive-seconds", type=float, default=25.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
