"""Fail closed: no listing stays live on Amazon without fresh evidence (issue 9).

The engine against the real emulator (python-amazon-sp-api over HTTP), the demo shop and a real
store, on a ManualClock: listings that no check touches still go to 0 when their evidence ages
or never existed; live listings are known as live from Amazon; units sold on Amazon are taken
off the supplier's stated quantity.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.cli.demo_run import DEMO_RULES, emulator_seed
from stockguard.cli.jobs import pull_and_reconcile
from stockguard.cli.wiring import Wired, page_checker
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import FeedSettings
from stockguard.core.store.feeds import SqlFeedStore
from stockguard.core.store.observations import decision_history
from stockguard.doubles.demoshop import DemoShop
from stockguard.doubles.emulator import Emulator
from stockguard.suppliers.feeds.importer import import_feed
from stockguard.suppliers.fetch import Fetcher
from stockguard.sync.engine import SyncEngine
from stockguard.sync.readback import verify
from tests.engine.conftest import DEFAULT_QUANTITY, PASS_GAP, World, engine_settings

MAX_AGE_HOURS = 48.0  # the policy's default max_observation_age_hours


def test_evidence_that_ages_zeroes_listings_no_check_touches(world: World) -> None:
    world.next_pass()
    world.next_pass()
    assert {world.emulator.quantity(sku) for sku in world.skus_on("127.0.0.1")} == {3}

    world.clock.advance(timedelta(hours=MAX_AGE_HOURS, minutes=1).total_seconds())
    report = world.sync.sync_once(budget=0)  # no check at all: time alone

    assert report.checked == {}
    assert {d.reason for d in report.decisions} == {"stale"}
    for item in world.listings:
        assert world.emulator.quantity(item.sku) == 0, item.sku
    assert world.sync.sync_once(budget=0).changes == []  # and it stays settled


def test_a_live_catalogue_with_no_evidence_goes_to_0_on_the_first_pass(world: World) -> None:
    # Amazon shows all four live before stockguard ever ran; nothing can be checked yet.
    assert all(world.emulator.quantity(i.sku) == DEFAULT_QUANTITY for i in world.listings)

    report = world.sync.sync_once(budget=0)

    assert {d.reason for d in report.decisions} == {"no-observation"}
    assert all(world.emulator.quantity(i.sku) == 0 for i in world.listings)


def test_live_listings_are_known_as_live_from_amazon(world: World) -> None:
    world.sync.sync_once()  # one IN_STOCK each: Amazon's 3 is learnt, not a restore

    planner = world.sync.planner
    for item in world.listings:
        assert bool(planner.t.live[planner.t.listing_index[item.sku]]), item.sku
        assert world.emulator.quantity(item.sku) == DEFAULT_QUANTITY

    restarted = SyncEngine(world.db, world.sync.gateway, world.checker, world.settings, world.clock)
    restarted.load()  # a restart knows it from the store, before any check
    for item in world.listings:
        assert bool(restarted.planner.t.live[restarted.planner.t.listing_index[item.sku]])


def test_units_sold_on_amazon_come_off_the_stated_quantity(world: World) -> None:
    world.shop.set_stock("matcha-whisk", True, quantity=3)  # 残り3点
    world.next_pass()
    world.next_pass()
    assert world.emulator.quantity("JP-WHISK") == 3

    world.clock.advance(1)
    world.emulator.add_order("JP-WHISK", quantity=2)  # we buy 2 from the supplier: 1 left
    pull_and_reconcile(world.wired, world.clock)
    assert world.emulator.quantity("JP-WHISK") == 1  # not re-raised to the stated 3

    world.clock.advance(1)
    world.emulator.add_order("JP-WHISK", quantity=1)
    world.emulator.set_quantity("JP-WHISK", 2, cause="seller")  # even if Amazon shows more
    pull_and_reconcile(world.wired, world.clock)

    assert world.emulator.quantity("JP-WHISK") == 0
    [latest, *_] = decision_history(world.db, "JP-WHISK")
    assert latest.decision.reason == "sold-through"
    assert "3 sold on Amazon since" in latest.decision.evidence


FEED_CATALOGUE = """sku,marketplace,asin,handling_days,default_quantity,source
FEED-IN,US,B0FEED0001,4,3,feed:tonya:4901234567894
FEED-GONE,US,B0FEED0002,4,3,feed:tonya:4901234567801
FEED-NEVER,US,B0FEED0003,4,3,feed:tonya:4909999999999
"""
FEED = "商品コード,在庫数\n4901234567894,10\n4901234567801,5\n"
FEED_WITHOUT_GONE = "商品コード,在庫数\n4901234567894,10\n"


def test_feed_sources_fail_closed(
    tmp_path: Path, db: Engine, db_url: str, clock: ManualClock, shop: DemoShop
) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(FEED_CATALOGUE, encoding="utf-8")
    feed_settings = FeedSettings(drift_min_items=100)
    rules = SourceRules(DEMO_RULES.policy, {"tonya": feed_settings})  # codes, not JANs
    import_listings_file(db, catalogue, clock.now(), rules=rules)
    items = read_listings_csv(catalogue, rules).listings
    feeds = SqlFeedStore(db)

    def feed(text: str) -> None:
        path = tmp_path / "feed.csv"
        path.write_text(text, encoding="utf-8")
        import_feed(path, "tonya", feed_settings, feeds, clock)

    with ExitStack() as stack:
        emu = stack.enter_context(Emulator(emulator_seed(items), clock=clock))
        settings = engine_settings(db_url, emu.base_url)
        gateway = stack.enter_context(AmazonGateway(settings.amazon, settings.secrets, clock))
        fetcher = stack.enter_context(Fetcher(settings.suppliers, clock))
        sync = SyncEngine(db, gateway, page_checker(fetcher), settings, clock)
        Wired(db, gateway, sync, ExitStack())
        feed(FEED)
        sync.sync_once()
        # Live before: the code the feed never had goes to 0; the others stay live.
        assert emu.quantity("FEED-NEVER") == 0
        assert (emu.quantity("FEED-IN"), emu.quantity("FEED-GONE")) == (3, 3)

        clock.advance(3600)
        feed(FEED_WITHOUT_GONE)  # a full feed without the item: out of stock
        sync.sync_once()
        assert (emu.quantity("FEED-IN"), emu.quantity("FEED-GONE")) == (3, 0)

        # The feed stops arriving: its last IN_STOCK ages past the limit, and nothing else
        # happens, yet the listing goes to 0 by time alone.
        clock.advance(timedelta(hours=MAX_AGE_HOURS).total_seconds())
        report = sync.sync_once()
        assert emu.quantity("FEED-IN") == 0
        assert [d.reason for d in report.decisions if d.sku == "FEED-IN"] == ["stale"]


def test_many_unknown_quantities_are_read_from_one_listings_report(world: World) -> None:
    world.sync.reads_per_pass = 2  # four listings never set: more than one-by-one reads allow
    world.emulator.set_quantity("JP-HASHI", 5, cause="seller")

    report = world.sync.sync_once()

    requests = world.requests()
    assert requests.get("createReport") == 1
    # Learnt in the same pass: three live listings stay as they are, and Amazon's 5 where the
    # catalogue says 3 is corrected at once (the only read one by one is that push's read-back).
    assert [(c.decision.sku, c.current, c.decision.target_quantity) for c in report.changes] == [
        ("JP-HASHI", 5, DEFAULT_QUANTITY)
    ]
    assert requests.get("getListingsItem") == 1
    assert all(world.emulator.quantity(i.sku) == DEFAULT_QUANTITY for i in world.listings)
    planner = world.sync.planner
    assert all(planner.t.live[planner.t.listing_index[i.sku]] for i in world.listings)


def test_many_rows_are_read_back_from_one_listings_report(world: World) -> None:
    world.next_pass()
    for item in world.listings:
        world.shop.set_stock(world.product(item.sku), False)
    world.clock.advance(PASS_GAP)
    world.sync.sync_once(verify=False)  # four zeroings accepted, none read back yet
    world.emulator.set_quantity("JP-HASHI", 2, cause="seller")  # Amazon did not keep one
    before = world.requests().get("getListingsItem", 0)

    report = verify(world.db, world.sync.gateway, clock=world.clock, bulk_after=2)

    assert world.requests().get("createReport") == 1
    assert world.requests().get("getListingsItem", 0) == before
    assert sorted(report.applied) == sorted(i.sku for i in world.listings if i.sku != "JP-HASHI")
    assert report.requeued == [("JP-HASHI", 2)]
