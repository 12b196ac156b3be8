"""Benchmark: the real `plan`, `status` and `sync --once` commands on a large catalogue.

Builds a SQLite store with --listings listings (one page source each, plus extra sources on
some), a fresh day of observations per source, and a SP-API emulator (in this process, on
127.0.0.1) holding every listing live. Then runs, each as its own `stockguard` process:

1. `sync --once --budget 0` — the first pass: decides every listing, pushes what differs,
   learns Amazon's quantities (not timed: it settles the store);
2. `sync --once --budget 0` — a pass that checks nothing new (timed);
3. `plan` and `status` (timed).

Wall time and peak memory are each command's own (``/usr/bin/time``). The supplier hosts are
never contacted (budget 0).

    .venv/bin/python bench/commands.py                    # 100,000 listings
    .venv/bin/python bench/commands.py --listings 5000

Last line: ``RESULT plan_s=… status_s=… sync_s=… peak_mb=… listings=…``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stockguard.core.store import open_store  # noqa: E402
from stockguard.doubles.emulator import Emulator  # noqa: E402
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID  # noqa: E402

PHRASES = {"IN_STOCK": "カートに入れる", "OUT_OF_STOCK": "現在在庫切れです", "UNKNOWN": "captcha"}
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def build(path: Path, listings: int, extra_sources: int, now: datetime, seed: int) -> None:
    """The project's schema, filled with executemany: listings, sources, observations."""
    open_store(f"sqlite:///{path}").dispose()
    rng = random.Random(seed)
    created = (now - timedelta(days=30)).strftime(STAMP)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO listings (id, sku, marketplace, asin, product_type, handling_days,"
        " default_quantity, safety_buffer, pack_size, created_at, updated_at)"
        " VALUES (?, ?, 'US', '', 'PRODUCT', 3, 2, 0, 1, ?, ?)",
        ((i + 1, sku(i), created, created) for i in range(listings)),
    )
    owners = sorted([*range(listings), *(rng.randrange(listings) for _ in range(extra_sources))])
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
        observations(rng, [r[3] for r in rows], now),
    )
    conn.commit()
    conn.close()


def sku(i: int) -> str:
    return f"SKU-{i:06d}"


def observations(
    rng: random.Random, refs: list[str], now: datetime
) -> Iterator[tuple[object, ...]]:
    """Three checks per source over the last day: mostly in stock, some out, a few unreadable."""
    for ref in refs:
        for offset in sorted(rng.uniform(600, 86400) for _ in range(3)):
            roll = rng.random()
            state = "IN_STOCK" if roll < 0.9 else "OUT_OF_STOCK" if roll < 0.98 else "UNKNOWN"
            reason = "blocked" if state == "UNKNOWN" else None
            at = (now - timedelta(seconds=offset)).strftime(STAMP)
            yield (ref, at, state, reason, PHRASES[state])


def config(path: Path, db: Path, emulator_url: str) -> None:
    path.write_text(
        f'[store]\nurl = "sqlite:///{db}"\n'
        f'[amazon]\nseller_id = "{EMULATOR_SELLER_ID}"\nendpoint = "{emulator_url}"\n'
        f'lwa_endpoint = "{emulator_url}"\nmarketplace = "US"\npoll_initial_seconds = 0.2\n',
        encoding="utf-8",
    )


def run(conf: Path, *args: str) -> tuple[float, float, str]:
    """One `stockguard` process: (wall seconds, peak MB, output)."""
    env = {
        **os.environ,
        "LWA_APP_ID": EMULATOR_SECRETS.lwa_client_id,
        "LWA_CLIENT_SECRET": EMULATOR_SECRETS.lwa_client_secret,
        "SP_API_REFRESH_TOKEN": EMULATOR_SECRETS.refresh_token,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "160",
    }
    launch = "import sys; from stockguard.cli import main; sys.argv[0] = 'stockguard'; main()"
    command = ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-c", launch]
    done = subprocess.run(
        [*command, "--config", str(conf), *args], capture_output=True, text=True, env=env
    )
    timing = [line for line in done.stderr.splitlines() if line.startswith("TIME ")][-1]
    wall, kb = (float(x) for x in timing.split()[1:])
    return wall, kb / 1024, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listings", type=int, default=100_000)
    p.add_argument("--extra-sources", type=int, default=None, help="default: half the listings")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    extra = args.listings // 2 if args.extra_sources is None else args.extra_sources
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="stockguard-bench-") as tmp:
        work = Path(tmp)
        db, conf = work / "stockguard.db", work / "stockguard.toml"
        began = time.perf_counter()
        build(db, args.listings, extra, now, args.seed)
        print(
            f"built {args.listings} listings, {args.listings + extra} sources in "
            f"{time.perf_counter() - began:.1f}s"
        )
        seed = {
            "seller_id": EMULATOR_SELLER_ID,
            "listings": [{"sku": sku(i), "quantity": 2} for i in range(args.listings)],
        }
        with Emulator(seed, feed_processing_seconds=0.5) as emulator:
            config(conf, db, emulator.base_url)
            settle, settle_mb, out = run(conf, "sync", "--once", "--budget", "0")
            print(f"first pass (settles the store): {settle:.1f}s, {settle_mb:.0f} MB")
            print("\n".join(out.splitlines()[-4:]))
            figures = {
                name: run(conf, *command)
                for name, command in (
                    ("sync", ("sync", "--once", "--budget", "0")),
                    ("plan", ("plan",)),
                    ("status", ("status",)),
                )
            }
    for name, (wall, mb, out) in figures.items():
        print(f"{name}: {wall:.2f}s, peak {mb:.0f} MB; last line: {out.strip().splitlines()[-1]}")
    peak = max(mb for _, mb, _ in figures.values())
    print(
        f"RESULT plan_s={figures['plan'][0]:.2f} status_s={figures['status'][0]:.2f} "
        f"sync_s={figures['sync'][0]:.2f} peak_mb={peak:.0f} listings={args.listings}"
    )
    print(json.dumps({k: v[:2] for k, v in figures.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
