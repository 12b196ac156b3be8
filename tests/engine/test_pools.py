"""One quantity per seller and SKU on Amazon (a pool): a SKU listed in US, CA and MX of one
account is decided together, pushed once, read back in each marketplace, and a zeroing is
never undone by a sibling marketplace. Real emulator (pooled inventory), real SQLite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.suppliers.fetch import Fetcher
from stockguard.sync.amazon.emulator import Emulator
from stockguard.sync.amazon.gateway import AmazonGateway
from stockguard.sync.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.sync.cli.demo_run import DEMO_RULES, emulator_seed
from stockguard.sync.cli.wiring import Wired, page_checker
from stockguard.sync.clock import ManualClock
from stockguard.sync.demoshop import DemoShop
from stockguard.sync.domain import ListingKey, PoolKey, Source, SourceKind, market_id
from stockguard.sync.engine import SyncEngine
from stockguard.sync.store import outbox
from stockguard.sync.store.listings import get_listing, save_listings
from stockguard.sync.store.observations import decision_history
from tests.engine.conftest import CATALOGUE, DEFAULT_QUANTITY, PASS_GAP, World, engine_settings

MARKETS = ("US", "CA", "MX")
SKU = "JP-WHISK"


def write_pooled_catalogue(path: Path, shop: DemoShop) -> Path:
    """JP-WHISK in US, CA and MX (same source, same terms); JP-KYUSU in US only."""
    lines = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source"]
    for sku, market in [*((SKU, m) for m in MARKETS), ("JP-KYUSU", "US")]:
        pid, style, _host = CATALOGUE[sku]
        source = f"page:{style}:{shop.url_for(pid)}"
        lines.append(f"{sku},{market},B0TEST0001,PRODUCT,4,{DEFAULT_QUANTITY},{source}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pooled(
    tmp_path: Path, db_url: str, engine: Engine, clock: ManualClock, shop: DemoShop
) -> Iterator[World]:
    path = write_pooled_catalogue(tmp_path / "catalogue.csv", shop)
    assert not import_listings_file(engine, path, clock.now(), rules=DEMO_RULES).errors
    items = read_listings_csv(path, DEMO_RULES).listings
    with ExitStack() as stack:
        emu = stack.enter_context(Emulator(emulator_seed(items), clock=clock))
        settings = engine_settings(db_url, emu.base_url)
        gateway = stack.enter_context(AmazonGateway(settings.amazon, settings.secrets, clock))
        checker = page_checker(stack.enter_context(Fetcher(settings.suppliers, clock)))
        sync = SyncEngine(engine, gateway, checker, settings, clock)
        sync.load()
        wired = Wired(engine, gateway, sync, ExitStack())
        yield World(clock, shop, emu, engine, settings, sync, wired, items, checker)


def pushes(world: World, sku: str) -> list[outbox.OutboxRow]:
    with world.db.connect() as conn:
        return [r for r in outbox.history(conn, sku) if r.kind != "readback"]


def test_the_pool_is_one_listing_set_with_the_primary_first(pooled: World) -> None:
    keys = pooled.sync.pools[PoolKey(SKU)]
    assert [k.code for k in keys] == ["US", "CA", "MX"]
    assert all(k.pool == PoolKey(SKU) for k in keys)
    assert get_listing(pooled.db, ListingKey.of(SKU, "CA")) is not None


def test_a_stock_out_is_decided_once_pushed_once_read_back_in_each(pooled: World) -> None:
    pooled.sync.sync_once()  # learns Amazon's quantity, sends nothing
    assert pushes(pooled, SKU) == []
    pooled.shop.set_stock(CATALOGUE[SKU][0], False)
    pooled.clock.advance(PASS_GAP)
    reads_before = pooled.requests().get("getListingsItem", 0)

    report = pooled.sync.sync_once()

    [change] = report.changes
    assert (change.decision.key.pool, change.decision.target_quantity) == (PoolKey(SKU), 0)
    [row] = pushes(pooled, SKU)  # one push for the three marketplaces
    assert (row.marketplace_id, row.quantity) == (market_id("US"), 0)
    assert pooled.requests().get("patchListingsItem", 0) == 1
    for market in MARKETS:
        assert pooled.emulator.quantity(SKU, market_id(market)) == 0
    assert report.verified is not None
    assert report.verified.applied == [SKU]
    # Read back in each marketplace of the pool: three reads, one per marketplace.
    assert pooled.requests()["getListingsItem"] - reads_before == len(MARKETS)
    decided = {d.marketplace: d.target_quantity for d in report.decisions if d.sku == SKU}
    assert decided == dict.fromkeys(MARKETS, 0)  # each listing explainable by `why`
    recorded = {h.decision.marketplace for h in decision_history(pooled.db, SKU)[:3]}
    assert recorded == set(MARKETS)


def test_a_zero_in_one_marketplace_is_never_undone_by_a_sibling(pooled: World) -> None:
    """CA's row given an in-stock source the catalogue import would refuse: the pool's
    target is still the US listing's 0, and CA's decision says why."""
    pooled.sync.sync_once()
    kyusu = CATALOGUE["JP-KYUSU"]
    ca = get_listing(pooled.db, ListingKey.of(SKU, "CA"))
    assert ca is not None
    other = Source(SourceKind.PAGE, pooled.shop.url_for(kyusu[0]), kyusu[1])
    save_listings(pooled.db, [dataclasses.replace(ca, sources=(other,))], pooled.clock.now())
    pooled.sync.load()
    pooled.shop.set_stock(CATALOGUE[SKU][0], False)

    for _ in range(4):  # enough passes for any restore to be due (K = 2)
        pooled.clock.advance(PASS_GAP)
        report = pooled.sync.sync_once()
        capped = [d for d in report.decisions if d.key == ListingKey.of(SKU, "CA")]
        if capped:
            assert capped[0].target_quantity == 0
            assert "same SKU in US" in capped[0].evidence
        for market in MARKETS:
            assert pooled.emulator.quantity(SKU, market_id(market)) == 0
    assert [r.quantity for r in pushes(pooled, SKU)] == [0]
