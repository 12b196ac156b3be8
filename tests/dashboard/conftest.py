"""The dashboard's worlds, and a real browser to look at them.

* ``demo_store``: a SQLite file filled by a real `stockguard demo` run (5 s), then given a
  feed the drift guard refused and a cancellation plan waiting for approval (the demo's own
  orders, their supplier out of stock), through the same code the commands run.
* ``served``: the real dashboard (uvicorn on a free loopback port) over a store.
* ``browser``: headless Debian Chromium driven by Playwright (its own browser download does
  not work here); skipped on a machine without /usr/bin/chromium, but never in CI.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine
from starlette.applications import Starlette

from stockguard.cancellations.reasons import SupplierCheck
from stockguard.cancellations.service import plan_cancellations
from stockguard.cli import cli
from stockguard.cli.dashboard.server import listen, make_app
from stockguard.cli.dashboard.server import served as serve_in_thread
from stockguard.cli.demo_loop import TONYA
from stockguard.cli.demo_run import demo_settings
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.config import Settings
from stockguard.core.domain import Availability
from stockguard.core.store import open_store
from stockguard.core.store.feeds import SqlFeedStore
from stockguard.core.store.orders import load_orders
from stockguard.suppliers.feeds import import_feed

LAUNCH_MAIN = "from stockguard.cli import main; main()"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS_ENV = "STOCKGUARD_SCREENSHOTS"  # a folder (docs/screenshots) to refresh the docs


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database of a real demo run, with a refused feed and a plan waiting."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    code = cli.main(["--db", str(path), "demo", "--seconds", "5"], standalone_mode=False)
    assert code == 0
    db = open_store(f"sqlite:///{path}")
    try:
        refuse_a_drifted_feed(db, path.parent)
        plan_the_demo_orders(db)
    finally:
        db.dispose()
    return path


def refuse_a_drifted_feed(db: Engine, work: Path) -> None:
    """The wholesaler's next file says everything sold out: the drift guard refuses it."""
    store = SqlFeedStore(db)
    feed = work / "tonya-all-zero.csv"
    with feed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["JANコード", "在庫数", "卸価格"])
        writer.writerows([code, 0, 1200] for code in sorted(store.current_codes("tonya")))
    report = import_feed(feed, "tonya", replace(TONYA, drift_min_items=1), store, SystemClock())
    assert not report.applied
    assert report.drift


def plan_the_demo_orders(db: Engine) -> None:
    """The supplier of every ordered SKU is out now: NoInventory cancellations are planned."""
    clock = SystemClock()
    skus = {item.sku for order in load_orders(db) for item in order.items}
    out = SupplierCheck(Availability.OUT_OF_STOCK, "#stock: 在庫切れ", clock.now())
    plan = plan_cancellations(db, clock, dict.fromkeys(skus, out))
    assert plan.new_rows >= 1, "the demo took no order to plan a cancellation for"


def demo_dashboard_settings(store: Path, emulator_url: str = "http://127.0.0.1:1") -> Settings:
    """The demo's settings over ``store`` (its emulator is gone: read-only use only)."""
    return demo_settings(f"sqlite:///{store}", emulator_url)


@pytest.fixture
def served() -> Iterator[Callable[[Starlette], str]]:
    """Start apps on free loopback ports (their URL); each stops at the end of the test."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_in_thread(app, listen("127.0.0.1", 0)))


def dashboard_app(
    settings: Settings, *, allow_actions: bool = False, clock: Clock | None = None
) -> Starlette:
    """The real app, as `stockguard dashboard` builds it, on loopback."""
    return make_app(settings, "127.0.0.1", allow_actions=allow_actions, clock=clock)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/screenshots when asked (STOCKGUARD_SCREENSHOTS), else tmp."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(page: Page, folder: Path, name: str) -> Path:
    """The whole page as a small PNG (a 128-colour palette: the docs carry these files)."""
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    path = folder / f"{name}.png"
    shot.quantize(colors=128).save(path, optimize=True)
    return path


def stockguard_cli(store: Path, *args: str) -> str:
    """`stockguard --db STORE ARGS` as a separate process (as a seller runs it); its stdout."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("STOCKGUARD_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH_MAIN, "--db", str(store), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout
