"""A small world the first-law property drives event by event (see first_law_checks.py).

A ``Scenario`` is a catalogue plus events; ``LawWorld`` builds the real parts for it: DemoShop
pages (one loopback host per product, so each page can fail alone), the SP-API emulator
(seeded with each listing's quantity before stockguard's first pass), a store on SQLite or
PostgreSQL, and the real fetcher, page adapters, feed importer, gateway and SyncEngine, all on
one ManualClock. ``play`` applies events and checks the law after every ``Pass``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from stockguard.cli.jobs import pull_and_reconcile
from stockguard.cli.wiring import Wired, page_checker
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import FeedSettings, PlannerSettings
from stockguard.core.domain import Listing, Source, SourceKind
from stockguard.core.store import open_store
from stockguard.core.store.feeds import SqlFeedStore
from stockguard.core.store.listings import quantity_updates, save_listings
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SELLER_ID
from stockguard.suppliers.feeds import FeedRefused, import_feed
from stockguard.suppliers.fetch import Fetcher
from stockguard.sync.engine import SyncEngine
from stockguard.sync.pusher import push
from tests.engine.conftest import engine_settings
from tests.engine.first_law_checks import assert_law

FEED_SETTINGS = FeedSettings()  # 商品コード / 在庫数, full feed: a missing item is out of stock
FILLER = tuple(f"F-{n:02d}" for n in range(10))  # rows every padded feed carries (drift guard)
HOSTS = tuple(f"127.0.0.{10 + n}" for n in range(8))  # one loopback host per product


# --- the scenario: a catalogue and what happens to it ------------------------------------------


@dataclass(frozen=True)
class Src:
    """A listing's source: ``page:N`` (demo product N) or ``feed:SUPPLIER:CODE``."""

    ref: str
    required: bool = False


@dataclass(frozen=True)
class Item:
    """A catalogue listing and its quantity on Amazon before stockguard's first pass."""

    sku: str
    sources: tuple[Src, ...]
    amazon: int = 0
    default_quantity: int = 3
    safety_buffer: int = 0
    pack_size: int = 1


@dataclass(frozen=True)
class Stock:
    """A demo product's page from now on: ``in`` / ``out`` / ``503`` / ``403`` / ``captcha``."""

    product: int
    state: str
    quantity: int | None = None  # stated (残りN点) when in stock


@dataclass(frozen=True)
class FeedFile:
    """A supplier's feed arrives: (code, 在庫数 cell) rows; codes left out are missing from it;
    a cell like たくさん refuses its row; ``padded`` adds ten filler items (drift guard on)."""

    supplier: str
    rows: tuple[tuple[str, str], ...]
    padded: bool = False


@dataclass(frozen=True)
class Advance:
    """Time passes (a quiet service, a weekend, a feed that does not come)."""

    seconds: float


@dataclass(frozen=True)
class Order:
    """A buyer orders on Amazon (when it shows that many), then the service's orders job runs."""

    sku: str
    quantity: int = 1


@dataclass(frozen=True)
class Restart:
    """A new SyncEngine on the same store; ``saved``: the planner's schedule was stored first."""

    saved: bool = False


@dataclass(frozen=True)
class OperatorPush:
    """`stockguard push --sku SKU --quantity N`, between passes."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Pass:
    """`sync_once(budget)`; the law is checked after it."""

    budget: int | None = None


Event = Stock | FeedFile | Advance | Order | Restart | OperatorPush | Pass


# --- the world -----------------------------------------------------------------------------------


def feed_ref(source: str) -> tuple[str, str]:
    _, supplier, code = source.split(":", 2)
    return supplier, code


class LawWorld:
    """The real parts for one scenario, on one ManualClock; ``play`` runs events."""

    def __init__(
        self,
        stack: ExitStack,
        work: Path,
        db_url: str,
        items: Sequence[Item],
        styles: Sequence[str],
        on_pass: Callable[[LawWorld], None] | None = None,
    ) -> None:
        self.on_pass = on_pass  # called after each pass, before the law is checked
        self.clock = ManualClock()
        self.work = work
        products = [
            DemoProduct(f"p{n}", style, title=f"product {n}", host=HOSTS[n])
            for n, style in enumerate(styles)
        ]
        self.shop = stack.enter_context(DemoShop(products, self.clock))
        self.listings = [self._listing(item) for item in items]
        self.db: Engine = open_store(db_url)
        stack.callback(self.db.dispose)
        save_listings(self.db, self.listings, self.clock.now())
        seed = {
            "seller_id": EMULATOR_SELLER_ID,
            "listings": [
                {"sku": i.sku, "asin": f"B0LAW{n:05d}", "quantity": i.amazon, "handling_days": 4}
                for n, i in enumerate(items)
            ],
        }
        self.emulator = stack.enter_context(Emulator(seed, clock=self.clock))
        base = engine_settings(db_url, self.emulator.base_url)
        # Production's planner (10 min between checks, 168 h at most), refitted once per engine:
        # a refit costs ~0.15 s and would follow every clock jump.
        planner = PlannerSettings(refit_hours=1e6)
        self.settings = dataclasses.replace(base, planner=planner)
        self.gateway = stack.enter_context(
            AmazonGateway(self.settings.amazon, self.settings.secrets, self.clock)
        )
        fetcher = stack.enter_context(Fetcher(self.settings.suppliers, self.clock))
        self.checker = page_checker(fetcher)
        self.sync = self._new_engine()
        self.files = 0

    def _listing(self, item: Item) -> Listing:
        sources = []
        for src in item.sources:
            if src.ref.startswith("feed:"):
                supplier, code = feed_ref(src.ref)
                sources.append(Source(SourceKind.FEED, code, supplier, required=src.required))
            else:
                product = self.shop.products[f"p{src.ref.split(':')[1]}"]
                url = self.shop.url_for(product.product_id)
                sources.append(Source(SourceKind.PAGE, url, product.style, required=src.required))
        return Listing(
            sku=item.sku,
            marketplace="US",
            asin="",
            handling_days=4,
            default_quantity=item.default_quantity,
            sources=tuple(sources),
            safety_buffer=item.safety_buffer,
            pack_size=item.pack_size,
        )

    def _new_engine(self) -> SyncEngine:
        engine = SyncEngine(self.db, self.gateway, self.checker, self.settings, self.clock)
        engine.load()
        return engine

    # --- events ------------------------------------------------------------------------------
    def play(self, event: Event) -> None:
        """Apply one event; after a Pass, check the law (raises a FirstLawBroken)."""
        if isinstance(event, Stock):
            self._stock(event)
        elif isinstance(event, FeedFile):
            self._feed(event)
        elif isinstance(event, Advance):
            self.clock.advance(event.seconds)
        elif isinstance(event, Order):
            self._order(event)
        elif isinstance(event, Restart):
            if event.saved:
                self.sync.save_schedule()
            self.sync = self._new_engine()
        elif isinstance(event, OperatorPush):
            targets = quantity_updates(self.db, [event.sku], event.quantity, "US")
            push(self.db, self.gateway, targets, self.clock)
        else:
            self.sync.sync_once(event.budget)
            if self.on_pass is not None:
                self.on_pass(self)
            self.assert_law()

    def _stock(self, event: Stock) -> None:
        pid = f"p{event.product}"
        host = self.shop.products[pid].host
        if event.state in ("in", "out"):
            self.shop.set_fault(host, None)
            self.shop.set_stock(pid, event.state == "in", event.quantity)
        else:
            self.shop.set_fault(host, event.state)

    def _feed(self, event: FeedFile) -> None:
        self.files += 1
        lines = ["商品コード,在庫数"] + [f"{code},{cell}" for code, cell in event.rows]
        if event.padded:
            lines += [f"{code},50" for code in FILLER]
        path = self.work / f"{event.supplier}-{self.files}.csv"
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        with contextlib.suppress(FeedRefused):  # no usable row: nothing applied (exit 2)
            import_feed(path, event.supplier, FEED_SETTINGS, SqlFeedStore(self.db), self.clock)

    def _order(self, event: Order) -> None:
        shown = self.emulator.quantity(event.sku) or 0
        if shown < event.quantity:
            return  # Amazon does not sell what it does not show
        self.clock.advance(1.0)  # the buyer comes after whatever was checked just now
        self.emulator.add_order(event.sku, quantity=event.quantity)
        self.clock.advance(1.0)
        pull_and_reconcile(Wired(self.db, self.gateway, self.sync, ExitStack()), self.clock)

    # --- the law -------------------------------------------------------------------------------
    def assert_law(self) -> None:
        assert_law(self.db, self.listings, self.emulator, self.clock.now(), self.settings)


def play(
    stack: ExitStack,
    work: Path,
    db_url: str,
    scenario: Scenario,
    on_pass: Callable[[LawWorld], None] | None = None,
) -> LawWorld:
    """Build the world for ``scenario`` and play every event (checking after each Pass)."""
    world = LawWorld(stack, work, db_url, scenario.items, scenario.styles, on_pass)
    for event in scenario.events:
        world.play(event)
    return world


@dataclass(frozen=True)
class Scenario:
    """A catalogue (listings, demo product styles) and the events that happen to it."""

    items: tuple[Item, ...]
    styles: tuple[str, ...]
    events: tuple[Event, ...]


@contextmanager
def replayed(tmp_path: Path, db_url: str, scenario: Scenario) -> Iterator[LawWorld]:
    """Play ``scenario`` in a fresh world; the world stays open inside the block."""
    with ExitStack() as stack:
        yield play(stack, tmp_path, db_url, scenario)
