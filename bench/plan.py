"""Benchmark: a dry-run plan over a large catalogue in SQLite.

Builds (once, or again with --rebuild) a store with --listings listings, --sources sources and
a week of observations (--per-source on average), then times, in a fresh process, what
``stockguard plan`` does: load the listings, the last K observations of every source and the
current quantities, decide every listing with the real policy, and collect the changes.

    .venv/bin/python bench/plan.py                      # 100,000 listings, 150,000 sources
    .venv/bin/python bench/plan.py --listings 2000 --sources 3000

Last line: ``RESULT wall_s=… peak_mb=… changes=… observations=…``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.config import PolicySettings
from sync.policy import plan_changes
from sync.store import open_store
from sync.store.listings import find_listings
from sync.store.observations import current_targets, recent_observations

NOW = datetime(2026, 3, 8, tzinfo=UTC)
PHRASES = {"IN_STOCK": "カートに入れる", "OUT_OF_STOCK": "現在在庫切れです", "UNKNOWN": "captcha"}


def build(path: Path, listings: int, sources: int, per_source: float, seed: int) -> None:
    """Create the store with the project's schema, then fill it with executemany."""
    if path.exists():
        path.unlink()
    open_store(f"sqlite:///{path}").dispose()
    rng = random.Random(seed)
    created = (NOW - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO listings (id, sku, marketplace, asin, product_type, handling_days,"
        " default_quantity, safety_buffer, pack_size, created_at, updated_at)"
        " VALUES (?, ?, 'US', '', 'PRODUCT', 3, 2, 0, 1, ?, ?)",
        ((i + 1, f"SKU-{i:06d}", created, created) for i in range(listings)),
    )
    owners = list(range(listings)) + [rng.randrange(listings) for _ in range(sources - listings)]
    owners.sort()
    rows: list[tuple[int, int, int, str]] = []
    position: dict[int, int] = {}
    for k, owner in enumerate(owners):
        position[owner] = position.get(owner, -1) + 1
        rows.append((k + 1, owner + 1, position[owner], f"https://shop{k % 50}.example/item/{k}"))
    conn.executemany(
        "INSERT INTO sources (id, listing_id, position, kind, ref, supplier, required)"
        " VALUES (?, ?, ?, 'page', ?, '', 0)",
        rows,
    )
    conn.executemany(
        "INSERT INTO observations (source_ref, checked_at, availability, reason, evidence,"
        " adapter) VALUES (?, ?, ?, ?, ?, 'bench')",
        _observations(rng, [r[3] for r in rows], per_source),
    )
    conn.executemany(
        "INSERT INTO decisions (sku, marketplace, decided_at, target_quantity, reason, evidence)"
        " VALUES (?, 'US', ?, ?, 'in-stock', 'bench')",
        ((f"SKU-{i:06d}", created, rng.choice((0, 2, 2, 2))) for i in range(listings)),
    )
    conn.commit()
    conn.close()


def _observations(rng: random.Random, refs: list[str], per_source: float):  # type: ignore[no-untyped-def]
    week = 7 * 86400
    for ref in refs:
        count = max(1, int(rng.expovariate(1 / per_source)))
        for offset in sorted(rng.uniform(0, week) for _ in range(count)):
            at = NOW - timedelta(seconds=week - offset)
            roll = rng.random()
            state = "IN_STOCK" if roll < 0.85 else "OUT_OF_STOCK" if roll < 0.97 else "UNKNOWN"
            reason = "blocked" if state == "UNKNOWN" else None
            yield (ref, at.strftime("%Y-%m-%d %H:%M:%S.%f"), state, reason, PHRASES[state])


def plan(path: Path) -> dict[str, float]:
    """The measured part: what `stockguard plan` does, in this process."""
    began = time.perf_counter()
    engine = open_store(f"sqlite:///{path}")
    settings = PolicySettings(max_observation_age_hours=24 * 7)
    items = find_listings(engine)
    history = recent_observations(engine, settings.restore_after)
    current: dict[tuple[str, str], int | None] = dict(current_targets(engine))
    changes = plan_changes(items, history, current, NOW, settings)
    engine.dispose()
    wall = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "wall_s": wall,
        "peak_mb": peak_mb,
        "changes": len(changes),
        "listings": len(items),
        "sources_seen": len(history),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=Path("/tmp/stockguard-plan-bench.db"))
    p.add_argument("--listings", type=int, default=100_000)
    p.add_argument("--sources", type=int, default=150_000)
    p.add_argument(
        "--per-source",
        type=float,
        default=10.0,
        help="observations per source over the week (mean)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--plan-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.plan_only:
        print(json.dumps(plan(args.db)))
        return 0
    marker = args.db.with_suffix(".json")
    shape = {
        "listings": args.listings,
        "sources": args.sources,
        "per_source": args.per_source,
        "seed": args.seed,
    }
    if args.rebuild or not marker.exists() or json.loads(marker.read_text()) != shape:
        began = time.perf_counter()
        build(args.db, args.listings, args.sources, args.per_source, args.seed)
        marker.write_text(json.dumps(shape))
        print(f"built {args.db} in {time.perf_counter() - began:.1f}s")
    with sqlite3.connect(args.db) as conn:
        observations = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    # A fresh process, so peak memory is the plan's own (not the build's).
    out = subprocess.run(
        [sys.executable, __file__, "--db", str(args.db), "--plan-only"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(
        f"plan: {result['listings']} listings, {result['sources_seen']} sources with "
        f"observations, {observations} observations, {result['changes']} changes"
    )
    print(
        f"RESULT wall_s={result['wall_s']:.2f} peak_mb={result['peak_mb']:.0f} "
        f"changes={result['changes']} observations={observations}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
