"""The distributed runner's scale: checks per hour against the politeness bound, and the
dispatcher's time per round.

1. Throughput: a demo shop on H loopback hosts (127.0.0.2 …), P products each, every source
   always due; `run --workers` plus 1, 2 and 4 `stockguard worker` processes (each checking
   ``--concurrency`` hosts at once) on a fresh PostgreSQL schema. Checks per hour counted at
   the shop over a window after a warm-up, as a ratio to the politeness bound
   H * 3600 / min_gap (no schedule can check more without breaking a host's limit).
2. Dispatch: N generated schedule rows in PostgreSQL's check_schedule, restored into the
   planner (start-up, not a round: ``load_s``); then rounds timed: the planner's ranked due sources,
   grouped per host, deferred as procrastinate jobs. The first round also fits the planner's
   rates (again every ``refit_hours``): reported apart as ``dispatch_first_s``;
   ``dispatch_s`` is the median of the 3 rounds after it. ``peak_mb``: the process's peak RSS.

    python bench/scale.py            # 40 hosts, 100,000 schedule rows: a few minutes
    python bench/scale.py --full     # 200 hosts, 1,000,000 schedule rows
    python bench/scale.py --dispatch-only --sources 1000000 --hosts 200   # part 2 alone

``--dispatch-only`` skips the throughput part (its RESULT keys print as ``nan``).

Last line: ``RESULT ratio_1=… ratio_2=… ratio_4=… dispatch_s=… dispatch_first_s=… load_s=…
peak_mb=…``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.cli.demo_run import emulator_seed
from stockguard.core.clock import SystemClock
from stockguard.core.config import parse_settings
from stockguard.core.domain import Source, SourceKind
from stockguard.core.store import open_store
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from stockguard.suppliers.addresses import AddressPolicy
from stockguard.sync.planner import Planner
from stockguard.sync.planner_store import load_schedule_columns
from stockguard.sync.workers.batch import check_host_batch
from stockguard.sync.workers.dispatch import Dispatcher, group_by_host
from stockguard.sync.workers.jobs_app import build_app, ensure_schema, require_postgres

PG = os.environ.get("STOCKGUARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LAUNCH = "import sys; from stockguard.cli import main; sys.argv[0] = 'stockguard'; main()"
SECRETS = {
    "LWA_APP_ID": EMULATOR_SECRETS.lwa_client_id,
    "LWA_CLIENT_SECRET": EMULATOR_SECRETS.lwa_client_secret,
    "SP_API_REFRESH_TOKEN": EMULATOR_SECRETS.refresh_token,
}


def fresh_schema(stack: ExitStack) -> str:
    """A URL on a new schema, dropped when ``stack`` closes."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    stack.callback(drop)
    return f"{PG}?options=-csearch_path%3D{schema}"


def config_text(url: str, emulator: str, hosts: list[str], products: int, gap: float) -> str:
    sections: dict[str, dict[str, object]] = {
        "store": {"url": url},
        "amazon": {"seller_id": EMULATOR_SELLER_ID, "endpoint": emulator, "lwa_endpoint": emulator},
        "suppliers": {
            "min_gap_seconds": gap,
            "retries": 0,
            "max_in_flight_per_host": 1,
            "allow_private": hosts,
        },
        "planner": {
            "checks_per_hour": len(hosts) * products * 3600,  # every source in every round
            "min_interval_minutes": 0.001,
            "max_interval_hours": 0.0001,
        },
        "scheduler": {"check_every": 1.0, "orders_every": 3600.0, "verify_every": 3600.0},
        "workers": {"heartbeat_seconds": 1.0, "stalled_after_seconds": 5.0, "poll_seconds": 0.5},
    }
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def throughput(args: argparse.Namespace, work: Path) -> dict[int, float]:
    hosts = [f"127.0.0.{2 + n}" for n in range(args.hosts)]
    products = [
        DemoProduct(f"h{h}-{n}", "generic", host=host)
        for h, host in enumerate(hosts)
        for n in range(args.products)
    ]
    ratios: dict[int, float] = {}
    with ExitStack() as stack:
        url = fresh_schema(stack)
        shop = stack.enter_context(DemoShop(products, SystemClock(), latency_s=0.02))
        rows = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source"]
        for n, product in enumerate(products):
            url_of = shop.url_for(product.product_id)
            rows.append(f"S-{product.product_id},US,B0S{n:07d},PRODUCT,4,1,page:generic:{url_of}")
        (work / "c.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        db = open_store(url)
        stack.callback(db.dispose)
        rules = SourceRules(AddressPolicy.allowing(hosts))  # the local shop is on loopback
        report = import_listings_file(db, work / "c.csv", SystemClock().now(), rules=rules)
        if report.errors:
            raise SystemExit("\n".join(report.errors[:5]))
        items = read_listings_csv(work / "c.csv", rules).listings
        emulator = stack.enter_context(Emulator(emulator_seed(items)))
        config = work / "stockguard.toml"
        config.write_text(config_text(url, emulator.base_url, hosts, args.products, args.gap))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STOCKGUARD_")},
            **SECRETS,
        }
        bound = args.hosts / args.gap  # checks per second
        for count in args.counts:
            procs = [_start(config, env, work, "run", "--workers")]
            procs += [
                _start(config, env, work, "worker", "--concurrency", str(args.concurrency))
                for _ in range(count)
            ]
            try:
                time.sleep(args.warmup)  # a benchmark's measuring window, not a test's timing
                before = sum(s.requests for s in shop.stats().values())
                time.sleep(args.window)
                after = sum(s.requests for s in shop.stats().values())
            finally:
                _stop(procs)
            ratios[count] = (after - before) / args.window / bound
            print(
                f"{count} worker(s): {(after - before) / args.window * 3600:,.0f} checks/h, "
                f"bound {bound * 3600:,.0f}/h, ratio {ratios[count]:.2f}",
                flush=True,
            )
    return ratios


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM, then -9 after a minute: a dispatcher stops after its running job, and a push
    can be waiting on Amazon's feed quota (minutes); its pushes are not what is measured."""
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start(config: Path, env: dict[str, str], work: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--config", str(config), *args],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def dispatch_time(args: argparse.Namespace) -> tuple[float, float, float]:
    """(start-up load, first round, median of the next 3) in seconds."""
    with ExitStack() as stack:
        url = fresh_schema(stack)
        db = open_store(url)
        stack.callback(db.dispose)
        conninfo = require_postgres(parse_settings({"store": {"url": url}}))
        began = time.perf_counter()
        _generate_schedule(conninfo, args.sources, args.hosts)
        print(f"{args.sources:,} schedule rows written in {time.perf_counter() - began:.1f}s")
        settings = parse_settings({"store": {"url": url}, "planner": {"checks_per_hour": 36000}})
        began = time.perf_counter()
        planner = Planner(settings.planner, SystemClock())
        planner.restore(load_schedule_columns(db))
        load_s = time.perf_counter() - began
        print(f"planner restored in {load_s:.1f}s (start-up, not a round)")
        ensure_schema(conninfo)
        app = build_app(conninfo, check_host_batch, settings.workers.queue)
        dispatcher = Dispatcher(app, settings.workers, "bench")
        stack.callback(dispatcher.close)
        rounds = []
        for _ in range(4):
            began = time.perf_counter()
            ranked = planner.ranked_due(datetime.now(UTC), args.budget)
            sources = [_page(ref) for ref, _ in ranked]
            batches = group_by_host("bench", sources, [r for _, r in ranked], 200)
            dispatcher.defer(batches)
            rounds.append(time.perf_counter() - began)
            with psycopg.connect(conninfo, autocommit=True) as conn:  # the next round defers anew
                conn.execute("DELETE FROM procrastinate_jobs")
        print(
            f"dispatch rounds over {args.sources:,} sources (budget {args.budget}): "
            + ", ".join(f"{r:.3f}s" for r in rounds)
        )
        return load_s, rounds[0], statistics.median(rounds[1:])


def _page(ref: str) -> Source:
    return Source(SourceKind.PAGE, ref, "generic")


def _generate_schedule(conninfo: str, n: int, hosts: int) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY check_schedule (source_ref, listing_sku, host, state, observed_at, checked_at,"
            " next_check_at, priority, streak, stockouts, restocks, in_days, out_days) FROM STDIN"
        ) as copy:
            for i in range(n):
                host = f"shop{i % hosts}.example.jp"
                checked = now - timedelta(minutes=15 + (i * 7919) % 10000)
                state = ("IN_STOCK", "OUT_OF_STOCK")[i % 7 == 0]
                copy.write_row(
                    (
                        f"https://{host}/item/{i}",
                        f"SKU-{i}",
                        host,
                        state,
                        checked,
                        checked,
                        checked + timedelta(hours=1),
                        0.0,
                        1,
                        i % 3,
                        i % 2,
                        3.0,
                        0.5,
                    )
                )
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="200 hosts, 1,000,000 sources")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--products", type=int, default=10, help="sources per host")
    parser.add_argument("--gap", type=float, default=1.0, help="per-host min gap (seconds)")
    parser.add_argument("--concurrency", type=int, default=16, help="batches per worker")
    parser.add_argument("--sources", type=int, default=100_000, help="schedule rows (dispatch)")
    parser.add_argument("--budget", type=int, default=2000, help="sources per dispatch round")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--dispatch-only", action="store_true", help="part 2 only")
    parser.add_argument(
        "--counts",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2, 4],
        help="worker counts measured (of 1,2,4; others print nan)",
    )
    args = parser.parse_args()
    if args.full:
        args.hosts, args.sources, args.concurrency = 200, 1_000_000, 60
    load_s, first_s, dispatch_s = dispatch_time(args)
    ratios = dict.fromkeys((1, 2, 4), math.nan)
    if not args.dispatch_only:
        with tempfile.TemporaryDirectory() as tmp:
            ratios.update(throughput(args, Path(tmp)))
    print(
        f"RESULT ratio_1={ratios[1]:.2f} ratio_2={ratios[2]:.2f} ratio_4={ratios[4]:.2f} "
        f"dispatch_s={dispatch_s:.3f} dispatch_first_s={first_s:.3f} load_s={load_s:.1f} "
        f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
    )


if __name__ == "__main__":
    main()
