"""The distributed runner with real processes: `run --workers` and three `stockguard worker`s
on PostgreSQL, the SP-API emulator and a demo shop on four loopback hosts; one worker is
killed with -9 mid-batch, at a point chosen by a seeded random draw: the n-th batch started
in the cluster, k pages into it (``STOCKGUARD_KILL_SEED`` replays or explores one seed).

Asserted at the shop: no host ever saw more than one request at a time or more requests in a
second than its start gap allows; the killed worker's host was checked again by another
worker within a minute (the stalled-job sweep freed its lock); every source was checked after
the kill. On Amazon: every listing ends at its target, and no push was applied twice: the
shop's stock never changes here, so a listing is zeroed at most once (no evidence yet: the
first law) and restored at most once.
"""

from __future__ import annotations

import math
import os
import random
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.cli.demo_run import emulator_seed
from stockguard.core.clock import SystemClock
from stockguard.core.store import open_store
from stockguard.core.store.observation_tables import observations
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.suppliers.addresses import AddressPolicy
from tests.engine.conftest import (
    DEFAULT_QUANTITY,
    SECRET_ENV,
    StockguardProcess,
    live_config,
    toml_text,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
RULES = SourceRules(AddressPolicy.allowing(HOSTS))  # the local shops are on loopback
PER_HOST = 8  # a batch takes PER_HOST gaps: the kill lands inside it
MIN_GAP = 0.15  # seconds between two requests to one host: at most 1 + 1/gap in any second
FREED_WITHIN = 60.0  # seconds: the bound for the sweep freeing a killed worker's host
SEEDS = (
    [int(os.environ["STOCKGUARD_KILL_SEED"])] if "STOCKGUARD_KILL_SEED" in os.environ else [1, 2]
)
STYLES = ("rakuten", "yodobashi", "shopify", "woocommerce", "generic", "amazon")


def _products() -> list[DemoProduct]:
    return [
        DemoProduct(f"p{h}-{n}", STYLES[n % len(STYLES)], host=host, in_stock=n % 2 == 0)
        for h, host in enumerate(HOSTS)
        for n in range(PER_HOST)
    ]


def _catalogue(path: Path, shop: DemoShop) -> Path:
    lines = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source"]
    for n, product in enumerate(shop.products.values()):
        source = f"page:{product.style}:{shop.url_for(product.product_id)}"
        lines.append(
            f"SKU-{product.product_id},US,B0W{n:07d},PRODUCT,4,{DEFAULT_QUANTITY},{source}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _poll(condition: Callable[[], bool], what: str, deadline_s: float = 40.0) -> None:
    """Wait until ``condition`` holds (a deadline, not a timing assumption)."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not reached within {deadline_s} s: {what}")
        time.sleep(0.1)


def _max_per_second(starts: list[float]) -> int:
    ordered = sorted(starts)
    best, j = 0, 0
    for i, start in enumerate(ordered):
        while ordered[j] <= start - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[tuple[DemoShop, Emulator, str, Path]]:
    with ExitStack() as stack:
        shop = stack.enter_context(DemoShop(_products(), SystemClock(), latency_s=0.05))
        db = open_store(postgres_url)
        stack.callback(db.dispose)
        path = _catalogue(tmp_path / "c.csv", shop)
        report = import_listings_file(db, path, SystemClock().now(), rules=RULES)
        assert not report.errors
        items = read_listings_csv(path, RULES).listings
        emulator = stack.enter_context(Emulator(emulator_seed(items), feed_processing_seconds=0.5))
        for n, item in enumerate(items):
            if n % 4 == 0:  # in stock at the shop, at 0 on Amazon: restored after 2 checks
                emulator.set_quantity(item.sku, 0)
        sections = live_config(postgres_url, emulator.base_url, tmp_path)
        sections["suppliers"] = {
            "allow_private": list(HOSTS),
            "min_gap_seconds": MIN_GAP,
            "retries": 0,
            "max_in_flight_per_host": 1,
        }
        sections["planner"]["min_interval_minutes"] = 0.01
        sections["planner"]["checks_per_hour"] = 360_000  # every source in the first pass
        sections["scheduler"]["check_every"] = 1.0
        sections["workers"] = {
            "heartbeat_seconds": 0.5,
            "stalled_after_seconds": 3.0,
            "poll_seconds": 0.2,
            "concurrency": 4,
        }
        config = tmp_path / "stockguard.toml"
        config.write_text(toml_text(sections), encoding="utf-8")
        yield shop, emulator, postgres_url, config


@dataclass
class Kill:
    """Where the seeded draw put the kill, and what happened."""

    nth_batch: int  # kill during the n-th batch started in the cluster
    pages: int  # ... once its host has served this many pages of it
    host: str = ""
    at: float = 0.0  # time.monotonic() of the kill
    worker: StockguardProcess | None = None


_STARTED = re.compile(r"batch started: (\S+),")
_DONE = re.compile(r"batch done: (\S+),")


def _running_batch(worker: StockguardProcess) -> str | None:
    """The host of a batch the worker started and has not finished (per its log)."""
    running: list[str] = []
    for line in worker.text.splitlines():
        if found := _STARTED.search(line):
            running.append(found.group(1))
        elif (done := _DONE.search(line)) and done.group(1) in running:
            running.remove(done.group(1))
    return running[-1] if running else None


def _kill_mid_batch(workers: list[StockguardProcess], shop: DemoShop, kill: Kill) -> None:
    """Wait for the n-th batch start, then kill its worker with -9 ``kill.pages`` pages in."""
    _poll(
        lambda: sum(w.text.count("batch started") for w in workers) >= kill.nth_batch,
        f"{kill.nth_batch} batches started",
    )
    for worker in workers:  # the first with a batch under way (one is: batches keep coming)
        host = _running_batch(worker)
        if host is not None:
            kill.worker, kill.host = worker, host
            break
    else:
        _poll(lambda: any(_running_batch(w) for w in workers), "a batch under way")
        return _kill_mid_batch(workers, shop, kill)
    served = shop.stats()[kill.host].requests
    _poll(lambda: shop.stats()[kill.host].requests >= served + kill.pages, "pages of the batch")
    kill.worker.popen.send_signal(signal.SIGKILL)
    kill.at = time.monotonic()
    kill.worker.finish()


@pytest.mark.parametrize("seed", SEEDS)
def test_three_workers_one_killed_keep_hosts_polite_and_pushes_exactly_once(
    cluster: tuple[DemoShop, Emulator, str, Path], tmp_path: Path, seed: int
) -> None:
    shop, emulator, url, config = cluster
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKGUARD_")}
    env = {**base, **SECRET_ENV}
    draw = random.Random(seed)
    # At most PER_HOST - 2 pages in: a page and the closing gap are still to come when the
    # signal lands, however late this process sees the shop's count.
    kill = Kill(nth_batch=draw.randint(1, 6), pages=draw.randint(1, PER_HOST - 2))

    def start(*args: str) -> StockguardProcess:
        return StockguardProcess(("--config", str(config), *args), env, tmp_path)

    targets = {
        f"SKU-{p.product_id}": DEFAULT_QUANTITY if p.in_stock else 0 for p in shop.products.values()
    }
    db = open_store(url)
    workers = [start("worker", "--name", f"w{n}") for n in range(3)]
    dispatcher = start("run", "--workers")
    try:
        _kill_mid_batch(workers, shop, kill)
        _poll(
            lambda: f"(host:{kill.host}): its worker stopped" in dispatcher.text,
            f"the killed worker's batch ({kill}) is found stalled: the kill was mid-batch",
        )
        _poll(lambda: _checked_since(db, kill.at) == len(shop.products), "every source checked")
        _poll(
            lambda: all(emulator.quantity(sku) == want for sku, want in targets.items()),
            "Amazon at every listing's target",
        )
    finally:
        for process in (dispatcher, *workers):
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        codes = [p.finish() for p in (dispatcher, *workers)]
        db.dispose()
        for process in (dispatcher, *workers):  # shown when the test fails
            print(" ".join(process.args[2:]), "->", process.popen.returncode, process.text[-3000:])
    assert codes[0] == 0, dispatcher.text
    assert [c for p, c in zip(workers, codes[1:], strict=True) if p is not kill.worker] == [0, 0]
    _assert_polite(shop, kill)
    for sku in targets:
        pushes = [q for _, q, cause in emulator.quantity_history(sku) if cause in ("patch", "feed")]
        assert len(pushes) <= 2, (sku, emulator.quantity_history(sku))
        assert len(set(pushes)) == len(pushes), (sku, emulator.quantity_history(sku))


def _checked_since(db: Engine, at: float) -> int:
    """How many sources have an observation stored after monotonic time ``at``."""
    since = datetime.now(UTC) - timedelta(seconds=time.monotonic() - at)
    with db.connect() as conn:
        query = select(func.count(func.distinct(observations.c.source_ref))).where(
            observations.c.checked_at > since
        )
        return int(conn.execute(query).scalar() or 0)


def _assert_polite(shop: DemoShop, kill: Kill) -> None:
    for host, stats in shop.stats().items():
        assert stats.peak_in_flight <= 1, host
        assert _max_per_second(stats.starts) <= math.floor(1 / MIN_GAP) + 1 + 1, host
    after = [t for t in shop.stats()[kill.host].starts if t > kill.at]
    assert after, f"{kill.host} never checked again after the kill"
    # Freed by the sweep (stalled_after_seconds = 3 here), well within the minute.
    assert min(after) - kill.at < FREED_WITHIN, kill
