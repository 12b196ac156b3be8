"""`stockguard demo`: the whole loop on this machine, with no account.

A local SP-API emulator (real rate limits, simulated buyers), a local demo shop whose
products sell out and come back, the demo catalogue from data/, and the real engine —
planner, fetcher, page adapters, policy, outbox, pusher — for about a minute. It ends with
what happened: checks, zeroings, restores, orders, oversells and detection-to-zero latency.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from stockguard.cli.api_checker import ApiChecker
from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.cli.wiring import page_checker
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import Clock
from stockguard.core.config import ApiSecrets, Settings, parse_settings
from stockguard.core.domain import Listing, SourceKind
from stockguard.doubles.apis import FakeRakutenApp
from stockguard.doubles.demoshop import DemoProduct, DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from stockguard.suppliers.addresses import AddressPolicy
from stockguard.suppliers.fetch import Fetcher
from stockguard.sync.engine import PassReport, SyncEngine

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO_HOST = "http://shop.demo"
STYLES = ("amazon", "rakuten", "yahoo", "yodobashi", "shopify", "woocommerce")
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
DEMO_RULES = SourceRules(AddressPolicy.allowing(HOSTS))  # the demo shop is on loopback


# The demo's own item-API credentials: its fakes accept them; the user's environment is unused.
DEMO_RAKUTEN_APP = FakeRakutenApp("0d5a3e8c-demo-4f00-9c1e-stockguard01", "pk_stockguard_demo")
DEMO_YAHOO_APP_ID = "stockguard-demo-yahoo-appid"
DEMO_API_SECRETS = {
    "amazon-jp": ApiSecrets(
        {
            "lwa_app_id": EMULATOR_SECRETS.lwa_client_id,
            "lwa_client_secret": EMULATOR_SECRETS.lwa_client_secret,
            "refresh_token": EMULATOR_SECRETS.refresh_token,
        }
    ),
    "rakuten": ApiSecrets(
        {
            "application_id": DEMO_RAKUTEN_APP.application_id,
            "access_key": DEMO_RAKUTEN_APP.access_key,
        }
    ),
    "yahoo": ApiSecrets({"app_id": DEMO_YAHOO_APP_ID}),
}


def demo_settings(
    db_url: str, emulator_url: str, rakuten_url: str = "", yahoo_url: str = ""
) -> Settings:
    """Settings for a one-minute world: fast checks, gentle per-host limits, no real account;
    the item APIs at the emulator (Product Pricing) and the Rakuten and Yahoo fakes."""
    api = {"audit_share": 0.0, "timeout_seconds": 5.0}
    base = parse_settings(
        {
            "apis": {
                "amazon-jp": {**api, "endpoint": emulator_url, "lwa_endpoint": emulator_url},
                "rakuten": {**api, "endpoint": rakuten_url or emulator_url},
                "yahoo": {**api, "endpoint": yahoo_url or emulator_url},
            },
            "store": {"url": db_url},
            "amazon": {
                "seller_id": EMULATOR_SELLER_ID,
                "endpoint": emulator_url,
                "lwa_endpoint": emulator_url,
                "marketplace": "US",
                "patch_burst_max": 20,
            },
            "suppliers": {
                "min_gap_seconds": 0.05,
                "max_in_flight_per_host": 4,
                "retries": 1,
                "allow_private": list(HOSTS),  # the local demo shop
            },
            "planner": {
                "checks_per_hour": 36000,
                "min_interval_minutes": 0.05,
                "max_interval_hours": 0.01,
                "refit_hours": 0.01,
                "api_horizon_seconds": 1.0,  # a pass waits at most this for API calls
            },
            "policy": {"restore_after": 2},
        }
    )
    return Settings(
        **{**base.__dict__, "secrets": EMULATOR_SECRETS, "api_secrets": dict(DEMO_API_SECRETS)}
    )


@dataclass
class DemoWorld:
    """The local world the demo runs in."""

    shop: DemoShop
    emulator: Emulator
    db: Engine
    listings: list[Listing]
    product_of: dict[str, str]  # page URL -> demo product id
    events: list[str] = field(default_factory=list)


def demo_products(catalogue: Path, seed: int) -> tuple[list[DemoProduct], dict[str, str]]:
    """One demo product per page source of the catalogue, styled after a real shop."""
    paths = []
    with catalogue.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for cell in (row.get("source", ""), row.get("source_2", "")):
                if cell.startswith(DEMO_HOST) and cell not in paths:
                    paths.append(cell)
    products, by_path = [], {}
    for i, url in enumerate(paths):
        pid = url.rsplit("/", 1)[-1]
        products.append(
            DemoProduct(
                pid,
                style=STYLES[i % len(STYLES)],
                title=pid.replace("-", " "),
                host=HOSTS[i % len(HOSTS)],
                quantity=5 + i % 7,
                mean_flip_seconds=25.0 + 10 * ((i * 7 + seed) % 5),
            )
        )
        by_path[url] = pid
    return products, by_path


def localise_catalogue(
    catalogue: Path, shop: DemoShop, by_path: dict[str, str], target: Path
) -> None:
    """The catalogue with shop.demo URLs pointing at the local shop and its page style."""
    text = catalogue.read_text(encoding="utf-8")
    for url, pid in by_path.items():
        text = text.replace(url, f"page:{shop.products[pid].style}:{shop.url_for(pid)}")
    target.write_text(text, encoding="utf-8")


def emulator_seed(items: list[Listing]) -> dict[str, object]:
    """The emulator starts with every demo listing live at its default quantity, and the
    Amazon.co.jp offers of data/emulator-seed.json for Product Pricing."""
    offers = json.loads((DATA / "emulator-seed.json").read_text(encoding="utf-8"))["offers"]
    return {
        "seller_id": EMULATOR_SELLER_ID,
        "offers": offers,
        "listings": [
            {
                "sku": item.sku,
                "asin": item.asin,
                "quantity": item.default_quantity,
                "handling_days": item.handling_days,
                "marketplace": item.marketplace,
            }
            for item in items
        ],
    }


def adapter_of(item_url: str, products: dict[str, DemoProduct], by_url: dict[str, str]) -> str:
    """The page adapter for a local page: the style of the shop it imitates."""
    return products[by_url[item_url]].style


def build_engine(
    world: DemoWorld,
    settings: Settings,
    clock: Clock,
    fetcher: Fetcher,
    gateway: AmazonGateway,
    apis: ApiChecker,
) -> SyncEngine:
    """The real engine on the demo world, its item APIs as budget lanes of their own."""
    checker = page_checker(fetcher, apis)
    engine = SyncEngine(
        world.db, gateway, checker, settings, clock, lane=apis.lane, quotas=apis.quotas()
    )
    engine.load()
    return engine


def quantities_table(world: DemoWorld) -> list[tuple[str, str]]:
    """(SKU, Amazon quantity) for every demo listing, as the emulator shows it."""
    return [(item.sku, str(world.emulator.quantity(item.sku))) for item in world.listings]


def describe_pass(report: PassReport, clock: Clock) -> list[str]:
    """One line per change the pass sent."""
    stamp = f"{clock.now():%H:%M:%S}"
    return [
        f"{stamp} {c.decision.sku:<24} {c.current if c.current is not None else '?':>2} -> "
        f"{c.decision.target_quantity:<2} {c.decision.reason}: {c.decision.evidence[:70]}"
        for c in report.changes
    ]


def feed_csv(items: list[Listing]) -> str:
    """A wholesaler feed for the catalogue's feed sources (every item in stock)."""
    codes = sorted({s.ref for item in items for s in item.sources if s.kind is SourceKind.FEED})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["JANコード", "在庫数", "卸価格"])
    for code, qty in zip(codes, itertools.cycle([3, 8, 12, 1]), strict=False):
        writer.writerow([code, qty, 1200])
    return out.getvalue()


def oversells_and_latency(world: DemoWorld) -> tuple[int, list[float]]:
    """Orders taken while the supplier was out, and seconds from sell-out to Amazon at 0."""
    changes = world.shop.stock_history()
    outages: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for change in changes:
        spells = outages.setdefault(change.product_id, [])
        if not change.in_stock and (not spells or spells[-1][1] is not None):
            spells.append((change.at, None))
        elif change.in_stock and spells and spells[-1][1] is None:
            spells[-1] = (spells[-1][0], change.at)
    pages = {
        item.sku: [world.product_of[s.ref] for s in item.sources if s.ref in world.product_of]
        for item in world.listings
    }
    oversells = sum(
        1
        for order in world.emulator.orders()
        for line in order.items
        if _was_out(outages, pages.get(line.sku, []), order.purchase_date)
    )
    latencies = []
    for item in world.listings:
        if len(pages[item.sku]) != 1 or len(item.sources) != 1:
            continue  # several sources: one sell-out need not zero the listing
        zeros = [at for at, qty, _ in world.emulator.quantity_history(item.sku) if qty == 0]
        for start, _end in outages.get(pages[item.sku][0], []):
            after = [z for z in zeros if z >= start]
            if after:
                latencies.append((after[0] - start).total_seconds())
    return oversells, latencies


def _was_out(
    outages: dict[str, list[tuple[datetime, datetime | None]]], pids: list[str], at: datetime
) -> bool:
    if not pids:
        return False
    return all(any(s <= at and (e is None or at < e) for s, e in outages.get(p, [])) for p in pids)


def median_or_none(values: list[float]) -> float | None:
    """The median, or None without values."""
    return statistics.median(values) if values else None


def import_catalogue(db: Engine, path: Path, clock: Clock) -> list[Listing]:
    """Import the localised catalogue; the demo's own file must import cleanly."""
    import_listings_file(db, path, clock.now(), rules=DEMO_RULES)
    return read_listings_csv(path, DEMO_RULES).listings
