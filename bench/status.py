"""Benchmark: `stockguard status` on a large store (SQLite file), cold and warm.

Builds a store with ``--listings`` listings (US and CA), one read-back row each, a history of
``--pushes`` pushes (applied, failed, pending, sent), ``--decisions`` decisions per listing and
``--observations`` observations, then times ``sync.status.read_status`` (the grouped query
behind `status`) three times and prints its figures.

    .venv/bin/python bench/status.py [--listings 100000] [--decisions 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from stockguard.core.domain import MARKETPLACES
from stockguard.core.store import open_store
from stockguard.core.store.listing_tables import listings
from stockguard.core.store.observation_tables import decisions, observations
from stockguard.core.store.outbox_tables import outbox
from stockguard.sync.status import read_status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REASONS = ("in-stock", "out-of-stock", "unknown", "restore-pending", "stale")
PUSH_STATES = ("applied", "applied", "failed", "pending", "sent", "superseded")


def fill(db: Engine, n: int, pushes: int, per_listing: int, checks: int) -> None:
    """Write the synthetic store in batches."""
    markets = [("US", MARKETPLACES["US"].marketplace_id), ("CA", MARKETPLACES["CA"].marketplace_id)]
    keys = [(f"SKU-{i:06d}", *markets[i % 2]) for i in range(n)]
    with db.begin() as conn:
        conn.execute(insert(listings), [_listing(sku, code) for sku, code, _ in keys])
        conn.execute(
            insert(outbox),
            [
                _outbox(i, sku, mid, "applied", "readback", i % 7)
                for i, (sku, _, mid) in enumerate(keys)
            ],
        )
        conn.execute(
            insert(outbox),
            [
                _outbox(n + i, keys[i % n][0], keys[i % n][2], PUSH_STATES[i % 6], "patch", i % 2)
                for i in range(pushes)
            ],
        )
        conn.execute(
            insert(decisions),
            [
                _decision(sku, code, round_ * 7 + i)
                for round_ in range(per_listing)
                for i, (sku, code, _) in enumerate(keys)
            ],
        )
        conn.execute(insert(observations), [_observation(i) for i in range(checks)])


def _listing(sku: str, code: str) -> dict[str, object]:
    return {
        "sku": sku,
        "marketplace": code,
        "asin": "",
        "product_type": "PRODUCT",
        "handling_days": 2,
        "default_quantity": 3,
        "safety_buffer": 0,
        "pack_size": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _outbox(i: int, sku: str, mid: str, state: str, kind: str, qty: int) -> dict[str, object]:
    return {
        "idempotency_key": f"k{i}",
        "kind": kind,
        "sku": sku,
        "marketplace_id": mid,
        "product_type": "PRODUCT",
        "quantity": qty,
        "reason": "",
        "state": state,
        "attempts": 1,
        "created_at": NOW,
        "closed_at": NOW,
    }


def _decision(sku: str, code: str, seed: int) -> dict[str, object]:
    reason = REASONS[seed % len(REASONS)]
    return {
        "sku": sku,
        "marketplace": code,
        "decided_at": NOW,
        "target_quantity": 3 if reason == "in-stock" else 0,
        "reason": reason,
        "evidence": "bench",
    }


def _observation(i: int) -> dict[str, object]:
    unknown = i % 10 == 0
    return {
        "source_ref": f"https://shop{i % 50}.example/items/{i}",
        "checked_at": NOW - timedelta(minutes=i % 1440),
        "availability": "UNKNOWN" if unknown else "IN_STOCK",
        "reason": "blocked" if unknown else None,
        "evidence": "bench",
        "adapter": "bench",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=150_000)
    parser.add_argument("--decisions", type=int, default=5)
    parser.add_argument("--observations", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        db = open_store(f"sqlite:///{Path(work) / 'bench.db'}")
        started = time.perf_counter()
        fill(db, args.listings, args.pushes, args.decisions, args.observations)
        print(f"filled in {time.perf_counter() - started:.1f} s")
        times = []
        for _ in range(3):
            started = time.perf_counter()
            status = read_status(db, NOW)
            times.append(time.perf_counter() - started)
        for label, value in status.rows():
            print(f"  {label}: {value}")
        db.dispose()
    print(
        f"RESULT listings={args.listings} cold_s={times[0]:.3f} warm_s={min(times):.3f} "
        f"counted={status.listings}"
    )


if __name__ == "__main__":
    main()
