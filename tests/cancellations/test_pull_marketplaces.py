"""Orders are pulled for every marketplace of the catalogue within the account's region.

A catalogue in US + CA (both NA) with orders in both: one pull stores both, the cancellation
plan routes both and the rate report has a section for each. A UK listing on the same NA
account is named once as not pullable. The emulator, over real HTTP, refuses a search that
mixes regions, as one endpoint serves one region.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from stockguard.cancellations import pull as pull_module
from stockguard.cancellations.pull import pull_orders
from stockguard.cancellations.reasons import RouteKind, SupplierCheck
from stockguard.cancellations.report_run import gather_reports
from stockguard.cancellations.service import plan_cancellations
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings, CancellationSettings
from stockguard.core.domain import MARKETPLACES, Availability, Listing
from stockguard.core.errors import AmazonError
from stockguard.core.store.listings import save_listings
from stockguard.core.store.orders import load_orders
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

US, CA, UK = (MARKETPLACES[c].marketplace_id for c in ("US", "CA", "UK"))
SEED: dict[str, Any] = {
    "seller_id": EMULATOR_SELLER_ID,
    "listings": [
        {"sku": sku, "quantity": 5, "handling_days": 3, "marketplace": market}
        for sku, market in (("TEA-US", "US"), ("TEA-CA", "CA"))  # an NA account: no UK
    ],
}


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(SEED, clock=clock) as emu:
        yield emu


@pytest.fixture
def gateway(emulator: Emulator, clock: ManualClock) -> Iterator[AmazonGateway]:
    settings = AmazonSettings(
        seller_id=EMULATOR_SELLER_ID,
        endpoint=emulator.base_url,
        lwa_endpoint=emulator.base_url,
        marketplace="US",
    )
    with AmazonGateway(settings, EMULATOR_SECRETS, clock, rng=random.Random(3)) as gw:
        yield gw


def catalogue(db: Engine, clock: ManualClock, *markets: str) -> None:
    save_listings(db, [Listing(f"TEA-{m}", m) for m in markets], clock.now())


def test_a_us_and_ca_catalogue_pulls_plans_and_reports_both(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    catalogue(db, clock, "US", "CA")
    us = emulator.add_order("TEA-US").order_id
    ca = emulator.add_order("TEA-CA").order_id
    clock.advance(600)

    pulled = pull_orders(db, gateway, clock)

    assert {o.order_id: o.marketplace_id for o in load_orders(db)} == {us: US, ca: CA}
    assert pulled.markets is not None
    assert [m.code for m in pulled.markets.pulled] == ["US", "CA"]
    assert pulled.skipped_note() == ""
    out = SupplierCheck(Availability.OUT_OF_STOCK, "在庫切れ", clock.now())
    plan = plan_cancellations(db, clock, {"TEA-US": out, "TEA-CA": out})
    assert {e.order.order_id for e in plan.entries if e.route.kind is RouteKind.AUTO_CANCEL} == {
        us,
        ca,
    }
    reports = gather_reports(db, CancellationSettings(), clock.now())
    assert sorted(r.marketplace.code for r in reports) == ["CA", "US"]


def test_a_marketplace_of_another_region_is_named_not_pulled(
    db: Engine,
    emulator: Emulator,
    gateway: AmazonGateway,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pull_module._warned.clear()  # a fresh process: nothing warned yet
    catalogue(db, clock, "US", "UK")
    us = emulator.add_order("TEA-US").order_id
    clock.advance(600)

    pulled = pull_orders(db, gateway, clock)
    pull_orders(db, gateway, clock)

    assert [o.order_id for o in load_orders(db)] == [us]
    assert pulled.markets is not None
    assert [m.code for m in pulled.markets.other_region] == ["UK"]
    assert "UK" in pulled.skipped_note()
    assert "region NA" in pulled.skipped_note()
    warnings = [r for r in caplog.records if "are not pulled" in r.getMessage()]
    assert len(warnings) == 1  # once per process, not once per pull


def test_a_marketplace_added_later_reaches_back_its_own_lookback(
    db: Engine, emulator: Emulator, gateway: AmazonGateway, clock: ManualClock
) -> None:
    catalogue(db, clock, "US")
    old_ca = emulator.add_order("TEA-CA", purchased_at=clock.now() - timedelta(days=10))
    emulator.add_order("TEA-US")
    clock.advance(600)
    pull_orders(db, gateway, clock)
    assert old_ca.order_id not in {o.order_id for o in load_orders(db)}

    clock.advance(3600)
    catalogue(db, clock, "CA")
    again = pull_orders(db, gateway, clock)

    assert old_ca.order_id in {o.order_id for o in load_orders(db)}
    assert again.updated_after <= clock.now() - timedelta(days=29)


@pytest.mark.parametrize("version", ["2026-01-01", "v0"])
def test_the_emulator_refuses_a_search_across_regions(
    gateway: AmazonGateway, clock: ManualClock, version: str
) -> None:
    since = clock.now() - timedelta(days=1)
    assert gateway.search_orders(since, marketplace_ids=[US, CA], version=version) == []
    with pytest.raises(AmazonError):
        gateway.search_orders(since, marketplace_ids=[US, UK], version=version)


def test_the_demo_catalogue_is_pulled_whole_by_the_demo_account(
    db: Engine, clock: ManualClock
) -> None:
    from pathlib import Path

    from stockguard.cancellations.pull import markets_to_pull
    from stockguard.cli.catalogue.importer import import_listings_file
    from stockguard.cli.demo_run import demo_settings

    demo = Path(__file__).resolve().parents[2] / "data" / "demo-listings.csv"
    import_listings_file(db, demo, clock.now())
    markets = markets_to_pull(db, demo_settings("sqlite://", "http://127.0.0.1:1").amazon)
    assert markets.other_region == ()
    assert sorted(m.code for m in markets.pulled) == ["CA", "MX", "US"]
