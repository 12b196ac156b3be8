"""Two seller accounts in one store, each with its own SP-API emulator (NA with US and CA, FE
with JP), wired by the composition root (``cli.wiring.wire``): the same SKU in both accounts
is two pools, each pushed and read back through its own account's gateway; a stock-out at the
shared supplier page zeroes both; orders are pulled per account and stored with it; the
cancellation report is per account. Real emulators, real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cancellations.report_run import gather_reports
from stockguard.cli.catalogue.accounts import CatalogueAccounts
from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.demo_run import DEMO_RULES, emulator_seed
from stockguard.cli.jobs import pull_and_reconcile
from stockguard.cli.wiring import Wired, wire
from stockguard.core.clock import ManualClock
from stockguard.core.config import AccountSettings, Settings
from stockguard.core.domain import PoolKey, market_id
from stockguard.core.store import outbox
from stockguard.core.store.orders import load_orders
from stockguard.doubles.demoshop import DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from tests.engine.conftest import CATALOGUE, DEFAULT_QUANTITY, PASS_GAP, engine_settings

NA, FE = "export-na", "export-fe"
BOTH = "JP-WHISK"  # listed by both accounts: one source, two pools
NA_ONLY = "JP-KYUSU"
ROWS = [(BOTH, "US", NA), (BOTH, "CA", NA), (BOTH, "JP", FE), (NA_ONLY, "US", NA)]


@dataclass
class TwoAccounts:
    clock: ManualClock
    shop: DemoShop
    db: Engine
    na: Emulator
    fe: Emulator
    wired: Wired
    settings: Settings

    def next_pass(self) -> None:
        self.clock.advance(PASS_GAP)
        self.wired.engine.sync_once()


def write_catalogue(path: Path, shop: DemoShop) -> Path:
    lines = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source,account"]
    for sku, market, account in ROWS:
        pid, style, _host = CATALOGUE[sku]
        source = f"page:{style}:{shop.url_for(pid)}"
        lines.append(f"{sku},{market},B0TEST0001,PRODUCT,4,{DEFAULT_QUANTITY},{source},{account}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def two_accounts(base: Settings, na: Emulator, fe: Emulator) -> Settings:
    listed = tuple(
        AccountSettings(
            name, EMULATOR_SELLER_ID, markets, endpoint=emu.base_url, lwa_endpoint=emu.base_url
        )
        for name, markets, emu in ((NA, ("US", "CA"), na), (FE, ("JP",), fe))
    )
    amazon = dataclasses.replace(base.amazon, accounts=listed)
    secrets = {NA: EMULATOR_SECRETS, FE: EMULATOR_SECRETS}
    return dataclasses.replace(base, amazon=amazon, account_secrets=secrets)


@pytest.fixture
def two(
    tmp_path: Path, db_url: str, db: Engine, clock: ManualClock, shop: DemoShop
) -> Iterator[TwoAccounts]:
    path = write_catalogue(tmp_path / "catalogue.csv", shop)
    known = CatalogueAccounts({NA: ("US", "CA"), FE: ("JP",)})
    items = read_listings_csv(path, DEMO_RULES, known).listings  # parsed for the seeds
    assert len(items) == len(ROWS)
    with ExitStack() as stack:
        seeds = {name: emulator_seed([i for i in items if i.account == name]) for name in (NA, FE)}
        na = stack.enter_context(Emulator(seeds[NA], clock=clock))
        fe = stack.enter_context(Emulator({**seeds[FE], "marketplace": "JP"}, clock=clock))
        settings = two_accounts(engine_settings(db_url, na.base_url), na, fe)
        report = import_listings_file(
            db, path, clock.now(), rules=DEMO_RULES, accounts=CatalogueAccounts.of(settings)
        )
        assert report.errors == []
        wired = wire(settings, clock)
        stack.callback(wired.close)
        wired.engine.load()
        yield TwoAccounts(clock, shop, db, na, fe, wired, settings)


def pushes(db: Engine, sku: str) -> list[tuple[str, str, int]]:
    with db.connect() as conn:
        rows = [r for r in outbox.history(conn, sku) if r.kind != "readback"]
    return [(r.account, r.marketplace_id, r.quantity) for r in rows]


def test_the_same_sku_in_two_accounts_is_two_pools_each_with_its_own_gateway(
    two: TwoAccounts,
) -> None:
    engine = two.wired.engine
    assert set(engine.gateways) == {NA, FE}
    assert engine.gateways[NA] is not engine.gateways[FE]  # own limits per account
    assert [k.code for k in engine.pools[PoolKey(BOTH, NA)]] == ["US", "CA"]
    assert [k.code for k in engine.pools[PoolKey(BOTH, FE)]] == ["JP"]


def test_a_stock_out_zeroes_both_accounts_each_through_its_own_emulator(
    two: TwoAccounts,
) -> None:
    two.wired.engine.sync_once()  # learns both accounts' quantities, sends nothing
    assert pushes(two.db, BOTH) == []
    two.shop.set_stock(CATALOGUE[BOTH][0], False)
    two.clock.advance(PASS_GAP)

    report = two.wired.engine.sync_once()

    assert {c.decision.key.pool for c in report.changes} == {PoolKey(BOTH, NA), PoolKey(BOTH, FE)}
    assert sorted(pushes(two.db, BOTH)) == [(FE, market_id("JP"), 0), (NA, market_id("US"), 0)]
    assert two.na.requests_by_operation().get("patchListingsItem") == 1
    assert two.fe.requests_by_operation().get("patchListingsItem") == 1
    assert [two.na.quantity(BOTH, market_id(m)) for m in ("US", "CA")] == [0, 0]
    assert two.fe.quantity(BOTH, market_id("JP")) == 0
    assert two.na.quantity(NA_ONLY, market_id("US")) == DEFAULT_QUANTITY  # untouched
    assert report.verified is not None
    assert sorted(report.verified.applied) == [BOTH, BOTH]  # read back in each account


def test_orders_are_pulled_per_account_and_the_rate_is_reported_per_account(
    two: TwoAccounts,
) -> None:
    two.wired.engine.sync_once()
    # Amazon's order ids are unique across accounts (two emulators would draw the same ones).
    two.na.add_order(NA_ONLY, marketplace="US", order_id="111-0000001-0000001")
    two.fe.add_order(BOTH, marketplace="JP", order_id="503-0000002-0000002")
    two.clock.advance(60)

    pull_and_reconcile(two.wired, two.clock)

    stored = {(o.account, o.items[0].sku) for o in load_orders(two.db)}
    assert stored == {(NA, NA_ONLY), (FE, BOTH)}
    reports = gather_reports(two.db, two.settings.cancellations, two.clock.now())
    assert sorted((r.account, r.marketplace.code) for r in reports) == [(FE, "JP"), (NA, "US")]
    only = gather_reports(two.db, two.settings.cancellations, two.clock.now(), account=FE)
    assert [(r.account, r.marketplace.code) for r in only] == [(FE, "JP")]
