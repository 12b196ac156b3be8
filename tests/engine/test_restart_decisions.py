"""What a new process decides: only the listings whose decision can have changed (issue 9).

`sync --once` and `plan` are new processes. Deciding the whole catalogue at every start made
them slow at 100,000 listings; deciding less must never leave a listing live on old evidence.
So each case where a decision can change without this process seeing it is checked here on a
restarted engine: time, another process's observation, a changed catalogue row, an order, new
policy settings, and Amazon's quantity not known yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from stockguard.cancellations.pull import pull_orders
from stockguard.core.config import Settings
from stockguard.core.domain import Availability, Observation
from stockguard.core.store.listings import save_listings
from stockguard.core.store.observations import record_observation
from stockguard.sync.engine import SyncEngine
from tests.engine.conftest import World

MAX_AGE_HOURS = 48.0


def restarted(world: World, settings: Settings | None = None) -> SyncEngine:
    """A new process on the same store."""
    engine = SyncEngine(
        world.db, world.sync.gateway, world.checker, settings or world.settings, world.clock
    )
    engine.load()
    return engine


def settled(world: World) -> None:
    world.next_pass()
    world.next_pass()
    assert world.sync.sync_once(budget=0).changes == []


def test_a_settled_store_decides_nothing_after_a_restart(world: World) -> None:
    settled(world)
    assert restarted(world).due() == set()


def test_the_first_pass_on_a_store_decides_every_listing(world: World) -> None:
    assert restarted(world).due() == {i.key for i in world.listings}


def test_an_observation_stored_by_another_process_is_decided_and_pushed(world: World) -> None:
    settled(world)
    item = world.listings[0]
    world.clock.advance(1)
    ref, now = item.sources[0].ref, world.clock.now()
    record_observation(world.db, Observation(ref, Availability.OUT_OF_STOCK, now, "売り切れ"))
    # ^ e.g. `stockguard check` beside no `run`

    engine = restarted(world)
    assert engine.due() == {item.key}
    engine.sync_once(budget=0)
    assert world.emulator.quantity(item.sku) == 0


def test_evidence_aging_while_no_process_ran_is_decided(world: World) -> None:
    settled(world)
    world.clock.advance(timedelta(hours=MAX_AGE_HOURS, minutes=1).total_seconds())
    engine = restarted(world)
    assert engine.due() == {i.key for i in world.listings}
    engine.sync_once(budget=0)
    assert all(world.emulator.quantity(i.sku) == 0 for i in world.listings)


def test_a_changed_catalogue_row_is_decided(world: World) -> None:
    settled(world)
    item = world.listings[1]
    save_listings(world.db, [replace(item, default_quantity=1)], world.clock.now())
    engine = restarted(world)
    assert engine.due() == {item.key}
    engine.sync_once(budget=0)
    assert world.emulator.quantity(item.sku) == 1


def test_an_order_is_decided_for_its_sku(world: World) -> None:
    settled(world)
    item = world.listings[2]
    world.clock.advance(1)
    world.emulator.add_order(item.sku, quantity=1)
    pull_orders(world.db, world.sync.gateway, world.clock)  # stored, not decided
    assert restarted(world).due() == {item.key}


def test_new_policy_settings_decide_every_listing(world: World) -> None:
    settled(world)
    stricter = replace(world.settings.policy, max_observation_age_hours=1.0)
    world.clock.advance(timedelta(hours=2).total_seconds())  # fresh under the old settings
    assert restarted(world).due() == set()
    engine = restarted(world, replace(world.settings, policy=stricter))
    assert engine.due() == {i.key for i in world.listings}
    engine.sync_once(budget=0)
    assert all(world.emulator.quantity(i.sku) == 0 for i in world.listings)
    again = restarted(world, replace(world.settings, policy=stricter))
    assert again.sync_once(budget=0).changes == []
    assert again.due() == set()


def test_a_listing_amazon_does_not_show_as_decided_stays_due(world: World) -> None:
    # One IN_STOCK each and Amazon unreadable: restore-pending, nothing pushed, Amazon unknown.
    world.emulator.faults.fail("getListingsItem", 10_000, status=400)
    world.emulator.faults.fail("createReport", 10_000, status=400)
    report = world.sync.sync_once()
    assert {d.reason for d in report.decisions} == {"restore-pending"}
    assert restarted(world).due() == {i.key for i in world.listings}
