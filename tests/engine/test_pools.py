"""One quantity per seller and SKU on Amazon (a pool): a SKU listed in US, CA and MX of one
account is decided together, pushed once, read back in each marketplace, and a zeroing is
never undone by a sibling marketplace. Real emulator (pooled inventory), real SQLite."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from stockguard.cli.catalogue.importer import import_listings_file, read_listings_csv
from stockguard.cli.demo_run import DEMO_RULES
from stockguard.core.clock import ManualClock
from stockguard.core.domain import (
    Availability,
    ListingKey,
    PoolKey,
    Source,
    SourceKind,
    market_id,
)
from stockguard.core.store import observations as obs_store
from stockguard.core.store import open_store, outbox
from stockguard.core.store.listings import get_listing, save_listings
from stockguard.core.store.observations import decision_history
from stockguard.doubles.demoshop import DemoShop
from tests.engine.conftest import (
    CATALOGUE,
    DEFAULT_QUANTITY,
    PASS_GAP,
    World,
    build_world,
    products,
)

MARKETS = ("US", "CA", "MX")
SKU = "JP-WHISK"


def write_pooled_catalogue(path: Path, shop: DemoShop, markets: tuple[str, ...] = MARKETS) -> Path:
    """JP-WHISK in US, CA and MX (``markets``; same source, same terms); JP-KYUSU in US."""
    lines = ["sku,marketplace,asin,product_type,handling_days,default_quantity,source"]
    for sku, market in [*((SKU, m) for m in markets), ("JP-KYUSU", "US")]:
        pid, style, _host = CATALOGUE[sku]
        source = f"page:{style}:{shop.url_for(pid)}"
        lines.append(f"{sku},{market},B0TEST0001,PRODUCT,4,{DEFAULT_QUANTITY},{source}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pooled(
    tmp_path: Path, db_url: str, db: Engine, clock: ManualClock, shop: DemoShop
) -> Iterator[World]:
    path = write_pooled_catalogue(tmp_path / "catalogue.csv", shop)
    with ExitStack() as stack:
        yield build_world(stack, db, db_url, clock, shop, path)


def pushes(world: World, sku: str) -> list[outbox.OutboxRow]:
    with world.db.connect() as conn:
        return [r for r in outbox.history(conn, sku) if r.kind != "readback"]


def test_the_pool_is_one_listing_set_with_the_primary_first(pooled: World) -> None:
    keys = pooled.sync.pools[PoolKey(SKU)]
    assert [k.code for k in keys] == ["US", "CA", "MX"]
    assert all(k.pool == PoolKey(SKU) for k in keys)
    assert get_listing(pooled.db, ListingKey.of(SKU, "CA")) is not None


def test_a_pool_never_set_is_learnt_with_one_read(pooled: World) -> None:
    pooled.sync.sync_once()  # the first pass learns Amazon's quantities

    assert pooled.requests().get("getListingsItem", 0) == len(pooled.sync.pools)  # 2, not 4
    known = pooled.sync.current_quantities(list(pooled.sync.listings.values()))
    assert {k.code for k in known if k.sku == SKU} == set(MARKETS)


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


# --- the pool property: random stock, sales and passes ---------------------------------------

Step = tuple[str, str]  # ("out" | "in" | "sale" | "pass" | "jump" | "add", marketplace or "")

STEPS = st.one_of(
    st.sampled_from([("out", ""), ("in", ""), ("pass", ""), ("jump", "")]),
    st.tuples(st.just("sale"), st.sampled_from(MARKETS)),
    st.tuples(st.just("add"), st.sampled_from(MARKETS[1:])),  # the catalogue lists it there
)


@contextmanager
def pooled_world(root: Path) -> Iterator[World]:
    """The pooled world on a fresh SQLite file (one per Hypothesis example). Amazon has the
    SKU's offer in every marketplace; the catalogue starts with US only ("add" lists more)."""
    clock = ManualClock()
    with ExitStack() as stack:
        shop = stack.enter_context(DemoShop(products(), clock))
        db = open_store(f"sqlite:///{root / 'stockguard.db'}")
        stack.callback(db.dispose)
        every = write_pooled_catalogue(root / "every.csv", shop)
        listed_by_amazon = read_listings_csv(every, DEMO_RULES).listings
        path = write_pooled_catalogue(root / "catalogue.csv", shop, ("US",))
        db_url = f"sqlite:///{root / 'stockguard.db'}"
        yield build_world(stack, db, db_url, clock, shop, path, listed_by_amazon)


def play_pool(world: World, steps: list[Step], root: Path) -> None:
    """Run the steps; after each pass check the pool's two laws."""
    listed = ["US"]
    for kind, market in steps:
        if kind == "add" and market not in listed:
            listed.append(market)
            path = write_pooled_catalogue(root / "catalogue.csv", world.shop, tuple(listed))
            report = import_listings_file(world.db, path, world.clock.now(), rules=DEMO_RULES)
            assert not report.errors
            world.sync.load()
        elif kind in ("out", "in"):
            world.shop.set_stock(CATALOGUE[SKU][0], kind == "in")
        elif kind == "sale":
            world.emulator.add_order([(SKU, 1)], marketplace=market)
        elif kind == "jump":
            world.clock.advance(49 * 3600.0)  # past max_observation_age_hours
        else:
            world.clock.advance(PASS_GAP)
            before = len(pushes(world, SKU))
            world.sync.sync_once()
            assert len(pushes(world, SKU)) - before <= 1, "two pushes of one pool in one pass"
            check_live_on_evidence(world)


def check_live_on_evidence(world: World) -> None:
    """No marketplace of the pool is > 0 on Amazon without fresh IN_STOCK evidence."""
    ref = world.shop.url_for(CATALOGUE[SKU][0])
    latest = obs_store.latest_observations(world.db, [ref]).get(ref)
    max_age = timedelta(hours=world.settings.policy.max_observation_age_hours)
    fresh = (
        latest is not None
        and latest.availability is Availability.IN_STOCK
        and world.clock.now() - latest.checked_at <= max_age
    )
    for market in MARKETS:
        shown = world.emulator.quantity(SKU, market_id(market)) or 0
        assert fresh or shown == 0, f"{SKU} live ({shown}) in {market} without fresh evidence"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEPS, min_size=1, max_size=10))
def test_a_pool_is_never_live_without_fresh_evidence_nor_pushed_twice_a_pass(
    steps: list[Step],
) -> None:
    with tempfile.TemporaryDirectory() as root, pooled_world(Path(root)) as world:
        world.sync.sync_once()  # the first pass: Amazon's quantity learnt
        play_pool(world, [*steps, ("pass", "")], Path(root))
