"""The sync engine on a local world: demo shop pages -> real adapters -> policy -> outbox ->
the real SP-API client -> the emulator, and back (read-back, orders). See conftest.py."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from stockguard.cli.jobs import pull_and_reconcile
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.domain import Availability, UnknownReason
from stockguard.core.store import outbox
from stockguard.core.store.observations import decision_history
from stockguard.core.store.outbox import State
from stockguard.sync.engine import SyncEngine
from tests.engine.conftest import CATALOGUE, DEFAULT_QUANTITY, HOST_A, HOST_B, PASS_GAP, World

PATCH = "patchListingsItem"
SENDING_OPERATIONS = (PATCH, "createFeed", "createFeedDocument")


def sends(world: World) -> int:
    """Requests that change something on Amazon, so far."""
    return sum(n for op, n in world.requests().items() if op in SENDING_OPERATIONS)


def sync_rows(world: World, sku: str) -> list[outbox.OutboxRow]:
    with world.db.connect() as conn:
        return [r for r in outbox.history(conn, sku) if r.kind != "readback"]


def test_first_pass_learns_amazon_and_sends_nothing(world: World) -> None:
    report = world.sync.sync_once()

    assert report.checked == {"IN_STOCK": 4}
    assert [d.reason for d in report.decisions] == ["in-stock"] * 4
    assert report.changes == []
    assert sends(world) == 0
    assert world.requests()["getListingsItem"] == 4  # Amazon's quantity, read once per SKU


def test_stock_out_zeroes_then_restores_after_k_in_stock(world: World) -> None:
    world.sync.sync_once()
    world.shop.set_stock("matcha-whisk", False)

    report = world.next_pass()

    [change] = report.changes
    assert (change.decision.sku, change.current, change.decision.target_quantity) == (
        "JP-WHISK",
        DEFAULT_QUANTITY,
        0,
    )
    assert change.decision.reason == "out-of-stock"
    assert 'purchaseCondition="soldOut"' in change.decision.evidence
    assert world.emulator.quantity("JP-WHISK") == 0
    assert report.pushed is not None
    assert [o.via for o in report.pushed.accepted] == ["patch"]
    assert report.verified is not None
    assert report.verified.applied == ["JP-WHISK"]
    [row] = sync_rows(world, "JP-WHISK")
    assert (row.quantity, row.reason, row.state) == (0, "out-of-stock", State.APPLIED)
    # "Why did it go to 0?": the decision points at the page and the phrase behind it.
    latest = decision_history(world.db, "JP-WHISK")[0]
    assert (latest.decision.target_quantity, latest.previous_quantity) == (0, DEFAULT_QUANTITY)
    assert latest.observation is not None
    assert latest.observation.availability is Availability.OUT_OF_STOCK
    assert latest.observation.adapter == "rakuten"
    assert latest.observation.evidence == change.decision.evidence
    for sku in ("JP-KYUSU", "JP-FUROSHIKI", "JP-HASHI"):
        assert world.emulator.quantity(sku) == DEFAULT_QUANTITY

    # Back in stock: one IN_STOCK is not enough (K = 2), the second restores.
    world.shop.set_stock("matcha-whisk", True)
    pending = world.next_pass()
    assert pending.changes == []
    reasons = {d.sku: d.reason for d in pending.decisions}
    assert reasons["JP-WHISK"] == "restore-pending"
    assert world.emulator.quantity("JP-WHISK") == 0

    restored = world.next_pass()
    assert [(c.decision.sku, c.decision.target_quantity) for c in restored.changes] == [
        ("JP-WHISK", DEFAULT_QUANTITY)
    ]
    assert world.emulator.quantity("JP-WHISK") == DEFAULT_QUANTITY
    assert [q for _, q, _ in world.emulator.quantity_history("JP-WHISK")] == [3, 0, 3]


def test_a_pass_with_nothing_new_sends_no_request(world: World) -> None:
    world.sync.sync_once()
    world.shop.set_stock("kyusu-teapot", False)
    world.next_pass()
    before = world.requests()

    quiet = world.next_pass()

    assert quiet.checked == {"IN_STOCK": 3, "OUT_OF_STOCK": 1}  # it did check
    assert quiet.changes == []
    assert world.requests() == before  # ... and asked Amazon nothing at all


def test_in_stock_interrupted_by_out_of_stock_does_not_restore(world: World) -> None:
    world.sync.sync_once()
    world.shop.set_stock("hashi-set", False)
    world.next_pass()
    for in_stock in (True, False, True):
        world.shop.set_stock("hashi-set", in_stock)
        report = world.next_pass()
        assert report.changes == []
        assert world.emulator.quantity("JP-HASHI") == 0
    world.shop.set_stock("hashi-set", True)
    assert [c.decision.sku for c in world.next_pass().changes] == ["JP-HASHI"]


@pytest.mark.parametrize(("fault", "evidence"), [("503", "HTTP 503"), ("captcha", "bot check")])
def test_a_host_that_starts_failing_zeroes_only_its_listings(
    world: World, fault: str, evidence: str
) -> None:
    world.sync.sync_once()
    world.shop.set_fault(HOST_B, fault)

    report = world.next_pass()

    blocked = set(world.skus_on(HOST_B))
    assert report.unknown_by_supplier == {HOST_B: len(blocked)}  # the pass names the host
    assert {c.decision.sku for c in report.changes} == blocked
    for change in report.changes:
        assert (change.decision.target_quantity, change.decision.reason) == (0, "unknown")
        assert change.decision.evidence.startswith("blocked: ")
        assert evidence in change.decision.evidence
        record = decision_history(world.db, change.decision.sku)[0]
        assert record.observation is not None
        assert record.observation.reason is UnknownReason.BLOCKED
    for sku in blocked:
        assert world.emulator.quantity(sku) == 0
    for sku in world.skus_on(HOST_A):
        assert world.emulator.quantity(sku) == DEFAULT_QUANTITY

    # The host recovers: its listings come back after K good checks, nothing else moves.
    world.shop.set_fault(HOST_B, None)
    assert world.next_pass().changes == []
    back = world.next_pass()
    assert {c.decision.sku for c in back.changes} == blocked
    assert back.unknown_by_supplier == {}
    for sku in blocked:
        assert world.emulator.quantity(sku) == DEFAULT_QUANTITY


def test_a_burst_of_zeroings_goes_by_patch_first_and_the_rest_by_one_feed(world: World) -> None:
    world.sync.sync_once()  # Amazon's quantities are known from here on
    amazon = dataclasses.replace(world.settings.amazon, patch_burst_max=2)
    settings = dataclasses.replace(world.settings, amazon=amazon)
    with AmazonGateway(amazon, settings.secrets, world.clock) as gateway:
        sync = SyncEngine(world.db, gateway, world.checker, settings, world.clock)
        sync.load()
        for sku in CATALOGUE:
            world.shop.set_stock(world.product(sku), False)
        world.clock.advance(PASS_GAP)

        zeroed = sync.sync_once()

        # The pass does not wait for the feed: its rows stay sent; the next push reads it.
        assert zeroed.pushed is not None
        assert Counter(o.via for o in zeroed.pushed.accepted) == {"patch": 2}
        assert Counter(o.via for o in zeroed.pushed.in_flight) == {"feed": 2}
        assert len(zeroed.pushed.feed_ids) == 1
        world.clock.advance(PASS_GAP)  # the feed finishes meanwhile
        later = sync.sync_once()
        assert later.pushed is not None
        assert Counter(o.via for o in later.pushed.accepted) == {"feed": 2}
        assert zeroed.verified is not None
        assert later.verified is not None
        assert sorted(zeroed.verified.applied + later.verified.applied) == sorted(CATALOGUE)
        for sku in CATALOGUE:
            assert world.emulator.quantity(sku) == 0

        # Restores are never urgent: more than the burst at once go out as one feed.
        for sku in CATALOGUE:
            world.shop.set_stock(world.product(sku), True)
        world.clock.advance(PASS_GAP)
        sync.sync_once()
        world.clock.advance(PASS_GAP)
        restoring = sync.sync_once()
        assert restoring.pushed is not None
        assert Counter(o.via for o in restoring.pushed.in_flight) == {"feed": 4}
        world.clock.advance(PASS_GAP)
        restored = sync.sync_once()

    assert restored.pushed is not None
    assert Counter(o.via for o in restored.pushed.accepted) == {"feed": 4}
    for sku in CATALOGUE:
        assert world.emulator.quantity(sku) == DEFAULT_QUANTITY
    assert world.requests()["createFeed"] == 2


def test_accepted_but_not_applied_is_caught_by_read_back_and_resent(world: World) -> None:
    world.sync.sync_once()
    world.emulator.faults.drop_patches(["JP-FUROSHIKI"])  # ACCEPTED, then ignored
    world.shop.set_stock("furoshiki", False)

    first = world.next_pass()

    assert first.pushed is not None
    assert [o.sku for o in first.pushed.accepted] == ["JP-FUROSHIKI"]
    assert world.emulator.quantity("JP-FUROSHIKI") == DEFAULT_QUANTITY  # Amazon ignored it
    assert first.verified is not None
    assert first.verified.requeued == [("JP-FUROSHIKI", DEFAULT_QUANTITY)]
    [row] = sync_rows(world, "JP-FUROSHIKI")
    assert row.state is State.PENDING
    assert row.last_error == f"ACCEPTED but Amazon shows {DEFAULT_QUANTITY}; re-queued"

    second = world.next_pass()

    assert second.changes == []  # the same target, not a new decision...
    assert second.pushed is not None
    assert [o.sku for o in second.pushed.accepted] == ["JP-FUROSHIKI"]  # ... sent again
    assert second.verified is not None
    assert second.verified.applied == ["JP-FUROSHIKI"]
    assert world.emulator.quantity("JP-FUROSHIKI") == 0
    [row] = sync_rows(world, "JP-FUROSHIKI")
    assert (row.state, row.attempts) == (State.APPLIED, 2)
    assert world.requests()[PATCH] == 2


def test_buyer_cancel_restock_is_zeroed_again_by_the_order_pull(world: World) -> None:
    world.sync.sync_once()
    order = world.emulator.add_order("JP-WHISK")  # sold while live: Amazon 3 -> 2
    world.shop.set_stock("matcha-whisk", False)
    world.next_pass()
    pull_and_reconcile(world.wired, world.clock)
    assert world.emulator.quantity("JP-WHISK") == 0

    world.clock.advance(60)
    world.emulator.buyer_cancel(order.order_id)  # Amazon puts the unit back: 0 -> 1
    assert world.emulator.quantity("JP-WHISK") == 1
    world.clock.advance(60)

    pull_and_reconcile(world.wired, world.clock)

    assert world.emulator.quantity("JP-WHISK") == 0
    causes = [(q, cause) for _, q, cause in world.emulator.quantity_history("JP-WHISK")]
    assert causes[-2:] == [(1, "restock"), (0, "patch")]
    latest = sync_rows(world, "JP-WHISK")[-1]
    assert (latest.quantity, latest.reason) == (0, "out-of-stock")
    # Nothing else was touched by the reconcile.
    assert world.requests()[PATCH] == 2


def test_a_pass_without_send_checks_and_decides_but_sends_nothing(world: World) -> None:
    world.sync.sync_once()
    world.shop.set_stock("furoshiki", False)
    world.clock.advance(40)
    before = world.requests()

    report = world.sync.sync_once(send=False)

    assert [c.decision.sku for c in report.changes] == ["JP-FUROSHIKI"]
    assert report.pushed is None
    assert report.verified is None
    assert world.requests() == before
    assert world.emulator.quantity("JP-FUROSHIKI") == DEFAULT_QUANTITY
    assert sync_rows(world, "JP-FUROSHIKI") == []


def test_amazon_failing_to_answer_read_backs_does_not_lose_a_stock_out(world: World) -> None:
    world.shop.set_stock("kyusu-teapot", False)
    # Amazon answers nothing but 503 to getListingsItem (more than the gateway's retries).
    world.emulator.faults.fail("getListingsItem", 40, status=503)

    report = world.sync.sync_once()

    # Amazon's quantity is unknown, but a stock-out is a stock-out: the zeroing goes out.
    assert [(c.decision.sku, c.current) for c in report.changes] == [("JP-KYUSU", None)]
    assert world.emulator.quantity("JP-KYUSU") == 0
    for sku in ("JP-WHISK", "JP-FUROSHIKI", "JP-HASHI"):
        assert world.emulator.quantity(sku) == DEFAULT_QUANTITY


def test_a_restarted_engine_resumes_the_planners_schedule(world: World) -> None:
    world.sync.sync_once()  # every page source checked once

    def restart() -> SyncEngine:
        engine = SyncEngine(
            world.db, world.wired.gateway, world.checker, world.settings, world.clock
        )
        engine.load()
        return engine

    nothing_saved = restart()
    world.sync.save_schedule()
    resumed = restart()

    now = world.clock.now()
    assert len(nothing_saved.planner.due(now, 100)) == 4  # every page source, all over again
    assert resumed.planner.due(now, 100) == []  # just checked: nothing due yet
