"""Benchmark: read every listing's MFN quantity from Amazon in bulk and record it in the store.

One emulator holds ``--listings`` listings in the US marketplace (every 50th FBA, the rest
merchant-fulfilled at quantities 0-9). ``AmazonGateway.read_quantities`` asks for one
GET_MERCHANT_LISTINGS_ALL_DATA report over real HTTP (the real python-amazon-sp-api client,
Amazon's usage plans enforced), and ``outbox.record_readbacks`` writes the quantities to a
fresh SQLite file in one transaction.

The gateway and the emulator share a ManualClock, so the report's processing time (Amazon's
takes minutes; the emulator's ``--report-seconds``) and the polling waits cost no wall time:
the wall times below are the work itself (the emulator making the document, the download,
parsing, the insert). For comparison, getListingsItem at 5 requests/s would need
listings / 5 seconds.

    .venv/bin/python bench/read_quantities.py [--listings 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import MARKETPLACES, QuantityUpdate
from stockguard.core.store import open_store
from stockguard.core.store.outbox import last_known, record_readbacks
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

US = MARKETPLACES["US"].marketplace_id


def seed(count: int) -> dict[str, Any]:
    """``count`` listings: every 50th FBA, the rest MFN with a quantity from 0 to 9."""
    rng = random.Random(1)
    listings: list[dict[str, Any]] = []
    for n in range(count):
        listing: dict[str, Any] = {"sku": f"BENCH-{n:06d}", "asin": f"B{n:09d}"}
        if n % 50 == 49:
            listing["fulfillment_channel"] = "AMAZON_NA"
        else:
            listing["quantity"] = rng.randrange(10)
        listings.append(listing)
    return {"seller_id": EMULATOR_SELLER_ID, "listings": listings}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    clock = ManualClock()
    started = time.perf_counter()
    emulator = Emulator(
        seed(args.listings), clock=clock, feed_processing_seconds=args.report_seconds
    )
    print(f"seeded {args.listings} listings in {time.perf_counter() - started:.1f}s")
    with tempfile.TemporaryDirectory() as tmp, emulator as emu:
        settings = AmazonSettings(
            seller_id=EMULATOR_SELLER_ID,
            endpoint=emu.base_url,
            lwa_endpoint=emu.base_url,
            poll_initial_seconds=5.0,
        )
        with AmazonGateway(settings, EMULATOR_SECRETS, clock) as gateway:
            t0, waited0 = time.perf_counter(), clock.monotonic()
            read = gateway.read_quantities(US)
            read_seconds = time.perf_counter() - t0
            waited = clock.monotonic() - waited0
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        updates = [QuantityUpdate(sku, qty, US) for sku, qty in read.quantities.items()]
        t1 = time.perf_counter()
        with store.begin() as conn:
            written = record_readbacks(conn, updates, clock.now())
        store_seconds = time.perf_counter() - t1
        with store.connect() as conn:
            known = last_known(conn)
        store.dispose()
        requests = emu.requests_by_operation()
        throttled = sum(emu.throttled_by_operation().values())
    expected_mfn = args.listings - args.listings // 50
    assert len(read.quantities) == expected_mfn, (len(read.quantities), expected_mfn)
    assert len(known) == written == expected_mfn
    print(
        f"read_quantities: {len(read.quantities)} MFN quantities, {read.fba_rows} FBA rows, "
        f"{len(read.skipped)} skipped, in {read_seconds:.2f}s wall "
        f"(+{waited:.0f}s of report processing and polling on the manual clock)"
    )
    print(f"requests: {requests}, 429s: {throttled}")
    print(f"record_readbacks: {written} rows in {store_seconds:.2f}s (SQLite file)")
    print(f"getListingsItem at 5/s would take {args.listings / 5 / 3600:.1f} h")
    print(
        f"RESULT listings={args.listings} mfn={len(read.quantities)} "
        f"read_seconds={read_seconds:.2f} store_seconds={store_seconds:.2f} "
        f"total_seconds={read_seconds + store_seconds:.2f} "
        f"requests={sum(requests.values())} throttled={throttled}"
    )
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument(
        "--report-seconds",
        type=float,
        default=60.0,
        help="emulator report processing time, on the manual clock (Amazon's is minutes)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
