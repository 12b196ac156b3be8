"""A small local world for the engine's integration tests.

``world``: a DemoShop on two loopback hosts (four products, each in another shop's markup), an
SP-API emulator holding the four listings live at quantity 3, the catalogue imported into the
store, and a SyncEngine wired exactly as in production: the real Fetcher and page adapters
(through ``page_checker``) and the real AmazonGateway (python-amazon-sp-api) pointed at the
emulator. Everything shares one ManualClock, so rate limits, backoff and feed polling cost no
real time.

``live``: the same world on the real clock with a SQLite file and a TOML config file, for the
commands (`sync --once`, `plan`, `status`) and for `stockguard run` as a real subprocess
(``StockguardProcess``), which can be stopped with SIGTERM or killed with SIGKILL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.demo_run import DEMO_RULES, HOSTS, demo_settings, emulator_seed
from stockguard.cli.wiring import Wired, page_checker
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import Clock, ManualClock, SystemClock
from stockguard.core.config import Settings
from stockguard.core.domain import Listing
from stockguard.core.store import open_store
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from stockguard.suppliers.fetch import Fetcher
from stockguard.sync.engine import PassReport, SourceChecker, SyncEngine

HOST_A, HOST_B = "127.0.0.1", "127.0.0.2"
DEFAULT_QUANTITY = 3
# SKU -> (product id, shop style, host)
CATALOGUE = {
    "JP-WHISK": ("matcha-whisk", "rakuten", HOST_A),
    "JP-KYUSU": ("kyusu-teapot", "yodobashi", HOST_A),
    "JP-FUROSHIKI": ("furoshiki", "shopify", HOST_B),
    "JP-HASHI": ("hashi-set", "woocommerce", HOST_B),
}
PASS_GAP = 40.0  # seconds: past the planner's max interval (36 s), so every source is due


Catalogue = Mapping[str, tuple[str, str, str]]


def products(catalogue: Catalogue = CATALOGUE, in_stock: bool = True) -> list[DemoProduct]:
    """One demo product per catalogue SKU."""
    return [
        DemoProduct(pid, style, title=pid.replace("-", " "), host=host, in_stock=in_stock)
        for pid, style, host in catalogue.values()
    ]


def write_catalogue(path: Path, shop: DemoShop, catalogue: Catalogue = CATALOGUE) -> Path:
    """The seller's catalogue CSV: one listing per product, its page as ``page:STYLE:URL``."""
    lines = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source"]
    for n, (sku, (pid, style, _host)) in enumerate(catalogue.items()):
        source = f"page:{style}:{shop.url_for(pid)}"
        lines.append(f"{sku},US,B0TEST{n:04d},PRODUCT,4,{DEFAULT_QUANTITY},{source}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def engine_settings(db_url: str, emulator_url: str, **suppliers: Any) -> Settings:
    """The demo's settings (fast planner, emulator account), without fetch retries or gaps."""
    base = demo_settings(db_url, emulator_url)
    fetch = dataclasses.replace(base.suppliers, min_gap_seconds=0.0, retries=0, **suppliers)
    amazon = dataclasses.replace(base.amazon, poll_initial_seconds=0.5)
    return dataclasses.replace(base, suppliers=fetch, amazon=amazon)


@dataclass
class World:
    """The parts of the local world a test pokes at."""

    clock: ManualClock
    shop: DemoShop
    emulator: Emulator
    db: Engine
    settings: Settings
    sync: SyncEngine
    wired: Wired
    listings: list[Listing]
    checker: SourceChecker

    def product(self, sku: str) -> str:
        return CATALOGUE[sku][0]

    def skus_on(self, host: str) -> list[str]:
        return [sku for sku, (_, _, h) in CATALOGUE.items() if h == host]

    def next_pass(self, budget: int | None = None) -> PassReport:
        """Let every source fall due, then run one full pass."""
        self.clock.advance(PASS_GAP)
        return self.sync.sync_once(budget)

    def requests(self) -> dict[str, int]:
        return self.emulator.requests_by_operation()


@pytest.fixture
def shop(clock: ManualClock) -> Iterator[DemoShop]:
    with DemoShop(products(), clock) as demo:
        yield demo


@pytest.fixture
def world(
    tmp_path: Path, db_url: str, db: Engine, clock: ManualClock, shop: DemoShop
) -> Iterator[World]:
    """The local world, catalogue imported, engine loaded; nothing checked yet."""
    path = write_catalogue(tmp_path / "catalogue.csv", shop)
    with ExitStack() as stack:
        yield build_world(stack, db, db_url, clock, shop, path)


def build_world(
    stack: ExitStack,
    db: Engine,
    db_url: str,
    clock: ManualClock,
    shop: DemoShop,
    catalogue: Path,
    amazon_lists: list[Listing] | None = None,
) -> World:
    """Import ``catalogue``, start an emulator listing ``amazon_lists`` (default: the
    catalogue's listings) and load the engine on them; everything opened closes with
    ``stack``."""
    report = import_listings_file(db, catalogue, clock.now(), rules=DEMO_RULES)
    assert not report.errors
    items = amazon_lists or read_listings_csv(catalogue, DEMO_RULES).listings
    emu = stack.enter_context(Emulator(emulator_seed(items), clock=clock))
    settings = engine_settings(db_url, emu.base_url)
    gateway = stack.enter_context(AmazonGateway(settings.amazon, settings.secrets, clock))
    checker = page_checker(stack.enter_context(Fetcher(settings.suppliers, clock)))
    sync = SyncEngine(db, gateway, checker, settings, clock)
    sync.load()
    wired = Wired(db, gateway, sync, ExitStack())
    return World(clock, shop, emu, db, settings, sync, wired, items, checker)


# --- the live world: real clock, SQLite file, config file, subprocesses -----------------------

SECRET_ENV = {
    "LWA_APP_ID": EMULATOR_SECRETS.lwa_client_id,
    "LWA_CLIENT_SECRET": EMULATOR_SECRETS.lwa_client_secret,
    "SP_API_REFRESH_TOKEN": EMULATOR_SECRETS.refresh_token,
}
LAUNCH = "import sys; from stockguard.cli import main; sys.argv[0] = 'stockguard'; main()"


def toml_text(sections: Mapping[str, Mapping[str, Any]]) -> str:
    """A TOML file of flat sections (JSON scalars are valid TOML scalars)."""
    out = []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        out.append("")
    return "\n".join(out)


def live_config(db_url: str, emulator_url: str, work: Path) -> dict[str, dict[str, Any]]:
    """A config for `stockguard` subprocesses: the emulator account, fast jobs, no fetch gaps."""
    return {
        "store": {"url": db_url},
        "amazon": {
            "seller_id": EMULATOR_SELLER_ID,
            "endpoint": emulator_url,
            "lwa_endpoint": emulator_url,
            "marketplace": "US",
            "poll_initial_seconds": 0.25,
            "backoff_base_seconds": 0.2,
        },
        "suppliers": {
            "min_gap_seconds": 0.0,
            "retries": 0,
            "max_in_flight_per_host": 4,
            "allow_private": list(HOSTS),  # the loopback demo shop
        },
        "planner": {  # every source is due at every `sync --once` of a test
            "checks_per_hour": 36000,
            "min_interval_minutes": 0.0001,
            "max_interval_hours": 0.000001,
            "refit_hours": 0.01,
        },
        "scheduler": {
            "check_every": 2.0,
            "push_every": 5.0,
            "verify_every": 5.0,
            "orders_every": 600.0,
            "report_every": 86400.0,
            "heartbeat_every": 1.0,
            "report_dir": str(work / "reports"),
        },
    }


@dataclass
class StockguardProcess:
    """`stockguard ARGS` as a child process; its output is read by threads, line by line."""

    args: tuple[str, ...]
    env: dict[str, str]
    cwd: Path
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    _lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        assert self.popen.stdout is not None
        assert self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.stdout)),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.stderr)),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read(self, stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line)
            self._lines.put(line)
        stream.close()

    def wait_for_line(self, *needles: str, timeout: float = 30.0) -> str:
        """Block until a line of output contains every needle (fails after ``timeout``)."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line with {needles!r}; output:\n{self.text}") from None
            if all(needle in line for needle in needles):
                return line

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the exit; return the exit code (output stays in stdout/stderr)."""
        try:
            code = self.popen.wait(timeout)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()
            for reader in self._readers:
                reader.join()
        return code

    @property
    def text(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


@dataclass
class LiveWorld:
    """The local world on the real clock, with a config file the commands can read."""

    shop: DemoShop
    emulator: Emulator
    db: Engine
    db_url: str
    config: Path
    work: Path
    listings: list[Listing]
    sections: dict[str, dict[str, Any]]

    def write_config(self, **changes: Mapping[str, Any]) -> Path:
        """Rewrite the config file with some settings changed (``amazon={...}``)."""
        for section, values in changes.items():
            self.sections.setdefault(section, {}).update(values)
        self.config.write_text(toml_text(self.sections), encoding="utf-8")
        return self.config

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKGUARD_")}
        return {**base, **SECRET_ENV}

    def start(self, *args: str) -> StockguardProcess:
        return StockguardProcess(("--config", str(self.config), *args), self.env(), self.work)

    def product(self, sku: str) -> str:
        return CATALOGUE[sku][0]


def build_live(
    stack: ExitStack,
    work: Path,
    catalogue: Catalogue = CATALOGUE,
    *,
    in_stock: bool = True,
    clock: Clock | None = None,
    feed_processing_seconds: float = 2.0,
) -> LiveWorld:
    """Shop, emulator and a SQLite store with the catalogue imported, closed by ``stack``."""
    clock = clock or SystemClock()
    shop = stack.enter_context(DemoShop(products(catalogue, in_stock), clock))
    db_url = f"sqlite:///{work / 'stockguard.db'}"
    db = open_store(db_url)
    stack.callback(db.dispose)
    report = import_listings_file(
        db, write_catalogue(work / "catalogue.csv", shop, catalogue), clock.now(), rules=DEMO_RULES
    )
    assert not report.errors
    items = read_listings_csv(work / "catalogue.csv", DEMO_RULES).listings
    emu = Emulator(emulator_seed(items), feed_processing_seconds=feed_processing_seconds)
    stack.enter_context(emu)
    sections = live_config(db_url, emu.base_url, work)
    world = LiveWorld(shop, emu, db, db_url, work / "stockguard.toml", work, items, sections)
    world.write_config()
    return world


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveWorld]:
    """The four-listing world on the real clock (SQLite only: subprocesses share the file)."""
    with ExitStack() as stack:
        yield build_live(stack, tmp_path)
