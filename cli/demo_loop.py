"""The demo's live loop: set up the local world, run the engine, sum up what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path

from rich.console import Console
from rich.table import Table

from stockguard.cli.api_checker import ApiChecker
from stockguard.cli.catalogue.importer import read_listings_csv
from stockguard.cli.demo_run import (
    DATA,
    DEMO_RAKUTEN_APP,
    DEMO_RULES,
    DEMO_YAHOO_APP_ID,
    HOSTS,
    DemoWorld,
    build_engine,
    demo_products,
    demo_settings,
    describe_pass,
    emulator_seed,
    feed_csv,
    import_catalogue,
    localise_catalogue,
    median_or_none,
    oversells_and_latency,
    quantities_table,
)
from stockguard.cli.jobs import pull_and_reconcile
from stockguard.cli.plain import plain, styled
from stockguard.cli.wiring import Wired, api_checker
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import SystemClock
from stockguard.core.config import FeedSettings
from stockguard.core.store import open_store
from stockguard.core.store.feeds import SqlFeedStore
from stockguard.core.store.orders import load_orders
from stockguard.doubles.apis import (
    FakeRakuten,
    FakeYahoo,
    demo_rakuten_items,
    demo_yahoo_items,
)
from stockguard.doubles.demoshop import DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.suppliers.feeds import import_feed
from stockguard.suppliers.fetch import Fetcher

PASS_SECONDS = 1.0
ORDER_PULL_EVERY = 8  # passes; searchOrders allows a burst of 20, then one call per 3 minutes
TONYA = FeedSettings(code_column="JANコード", quantity_column="在庫数", price_column="卸価格")


def run_demo(
    db_path: Path,
    work: Path,
    seconds: float,
    seed: int,
    buyers_per_hour: float,
    console: Console,
    monotonic: Callable[[], float] = time.monotonic,
) -> list[tuple[str, str]]:
    """Run the demo world for ``seconds``; return the summary rows."""
    clock = SystemClock()
    products, by_path = demo_products(DATA / "demo-listings.csv", seed)
    with DemoShop(products, clock, latency_s=0.02, seed=seed) as shop:
        catalogue = work / "demo-listings.csv"
        localise_catalogue(DATA / "demo-listings.csv", shop, by_path, catalogue)
        parsed = read_listings_csv(catalogue, DEMO_RULES).listings
        with (
            Emulator(emulator_seed(list(parsed)), feed_processing_seconds=3.0) as emu,
            FakeRakuten(demo_rakuten_items(), [DEMO_RAKUTEN_APP], clock) as rakuten,
            FakeYahoo(demo_yahoo_items(), [DEMO_YAHOO_APP_ID], clock) as yahoo,
        ):
            url = f"sqlite:///{db_path}"
            settings = demo_settings(url, emu.base_url, rakuten.base_url, yahoo.base_url)
            db = open_store(settings.store.url)
            try:
                items = import_catalogue(db, catalogue, clock)
                feed = work / "tonya.csv"
                feed.write_text(feed_csv(items), encoding="utf-8")
                import_feed(feed, "tonya", TONYA, SqlFeedStore(db), clock)
                url_to_pid = {shop.url_for(pid): pid for pid in by_path.values()}
                world = DemoWorld(shop, emu, db, items, url_to_pid)
                console.print(
                    plain(
                        f"SP-API emulator (with Product Pricing) at {emu.base_url}; Rakuten and "
                        f"Yahoo! Shopping API fakes at {rakuten.base_url}, {yahoo.base_url}; "
                        f"demo shop on {', '.join(HOSTS)}; {len(items)} listings; "
                        f"database {db_path}"
                    )
                )
                with (
                    Fetcher(settings.suppliers, clock) as fetcher,
                    AmazonGateway(settings.amazon, settings.secrets, clock) as gateway,
                    closing(api_checker(settings, clock, db)) as apis,
                ):
                    engine = build_engine(world, settings, clock, fetcher, gateway, apis)
                    wired = Wired(db, gateway, engine, ExitStack())
                    emu.simulate_buyers(buyers_per_hour, rng_seed=seed)
                    before = dict(quantities_table(world))
                    stats = _live(world, wired, seconds, console, monotonic)
                    pull_and_reconcile(wired, engine.clock)  # the last orders, into the db
                    api_use = _api_reads(apis)
                console.print(_before_after(world, before))
                return _summary(world, stats, api_use)
            finally:
                db.dispose()


def _live(
    world: DemoWorld,
    wired: Wired,
    seconds: float,
    console: Console,
    monotonic: Callable[[], float],
) -> dict[str, int]:
    engine = wired.engine
    stats = {"checks": 0, "zeroings": 0, "restores": 0, "unknown": 0, "passes": 0}
    started = monotonic()
    blocked_host = HOSTS[-1]
    console.print("live: [bold]stock-outs caught and zeroed as they happen[/bold]")
    phase = "before"  # one host answers with a captcha page in the middle of the run
    while (elapsed := monotonic() - started) < seconds:
        if phase == "before" and elapsed > seconds * 0.4:
            world.shop.set_fault(blocked_host, "captcha")
            phase = "blocked"
            blocked = f"{blocked_host} starts answering with a captcha page"
            console.print(styled((blocked, "yellow")))
        elif phase == "blocked" and elapsed > seconds * 0.6:
            world.shop.set_fault(blocked_host, None)
            phase = "after"
            console.print(styled((f"{blocked_host} answers normally again", "green")))
        report = engine.sync_once(budget=40)
        stats["passes"] += 1
        if stats["passes"] % ORDER_PULL_EVERY == 0:
            pull_and_reconcile(wired, engine.clock)
        stats["checks"] += sum(report.checked.values())
        stats["unknown"] += report.checked.get("UNKNOWN", 0)
        for change in report.changes:
            key = "zeroings" if change.decision.target_quantity == 0 else "restores"
            stats[key] += 1
        for line in describe_pass(report, engine.clock):
            console.print(plain(line), no_wrap=True, overflow="ellipsis")
        time.sleep(PASS_SECONDS)  # the demo runs in real time, for people to watch
    return stats


def _before_after(world: DemoWorld, before: dict[str, str]) -> Table:
    table = Table(title="Amazon quantities (emulator): before and after the run")
    for column in ("SKU", "before", "after", "supplier now"):
        table.add_column(column)
    for sku, after in quantities_table(world):
        item = next(i for i in world.listings if i.sku == sku)
        pages = [world.product_of[s.ref] for s in item.sources if s.ref in world.product_of]
        stock = ", ".join("in stock" if world.shop.stock(p)[0] else "sold out" for p in pages)
        kinds = {s.kind.value for s in item.sources if s.ref not in world.product_of}
        table.add_row(*map(plain, (sku, before[sku], after, stock or "/".join(sorted(kinds)))))
    return table


def _api_reads(apis: ApiChecker) -> str:
    """Calls each item API made in the last hour (its quota use) and its refusals."""
    uses = {name: reader.pacer.use() for name, reader in apis.readers.items()}
    return ", ".join(
        f"{name} {use.calls_last_hour} ({use.refusals} refused)"
        for name, use in sorted(uses.items())
    )


def _summary(world: DemoWorld, stats: dict[str, int], api_use: str) -> list[tuple[str, str]]:
    oversells, latencies = oversells_and_latency(world)
    median = median_or_none(latencies)
    orders = world.emulator.orders()
    pulled = load_orders(world.db)
    return [
        ("supplier checks", str(stats["checks"])),
        ("checks that could not read the page (zeroed)", str(stats["unknown"])),
        ("zeroings sent", str(stats["zeroings"])),
        ("restores sent", str(stats["restores"])),
        ("supplier stock changes", str(len(world.shop.stock_history()) - len(world.product_of))),
        ("buyer orders on Amazon (emulator)", str(len(orders))),
        ("orders pulled into the database", str(len(pulled))),
        ("item-API calls (quota use)", api_use),
        ("oversells (ordered while the supplier was out)", str(oversells)),
        (
            "median detection-to-zero latency",
            "n/a" if median is None else f"{median:.1f} s over {len(latencies)} stock-outs",
        ),
    ]
