"""A later target always has the last word on Amazon, and no zeroing waits for a feed.

The emulator's feeds take 30 s on the shared ManualClock (tests/store/conftest.py): a push
that waited for one would move the clock by that much, so "did not wait" is checked on the
clock, without sleeping.
"""

from __future__ import annotations

from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.store import outbox as ob
from stockguard.core.store.outbox import State, Target
from stockguard.doubles.emulator import Emulator
from stockguard.sync.pusher import push, verify
from tests.store.conftest import START_QUANTITY, GatewayFactory
from tests.store.test_pusher import changes, states, updates

FEED_SECONDS = 30.0  # the emulator fixture's feed processing time


def test_a_zeroing_goes_out_while_a_slow_feed_is_still_processing(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    restores = updates("SKU-00", "SKU-01", "SKU-02", quantity=7)
    with gateway_for(emu, burst=1) as gw:
        bulk = push(db, gw, restores, clock)  # more than the burst: one feed
        started = clock.monotonic()
        urgent = push(db, gw, updates("SKU-05"), clock)

    assert len(bulk.feed_ids) == 1
    assert {o.sku for o in bulk.in_flight} == {"SKU-00", "SKU-01", "SKU-02"}
    assert [(o.sku, o.state, o.via) for o in urgent.outcomes.values() if o.sku == "SKU-05"] == [
        ("SKU-05", State.ACCEPTED, "patch")
    ]
    assert emu.quantity("SKU-05") == 0  # on Amazon already
    assert clock.monotonic() - started < FEED_SECONDS / 10  # nobody waited for the feed
    assert emu.quantity("SKU-00") == START_QUANTITY  # the feed is still processing
    assert states(db, "SKU-00") == ["sent"]
    assert emu.requests_by_operation()["getFeed"] == 2  # one poll per push, no waiting


def test_an_older_feed_finishing_after_a_newer_patch_cannot_have_the_last_word(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with gateway_for(emu, burst=1) as gw:
        push(db, gw, updates("SKU-00", "SKU-01", quantity=7), clock)  # feed: restore to 7
        newer = push(db, gw, updates("SKU-00"), clock)  # then the supplier sells out
        assert [o.state for o in newer.accepted] == [State.ACCEPTED]
        assert emu.quantity("SKU-00") == 0
        clock.advance(FEED_SECONDS + 1)
        assert emu.quantity("SKU-00") == 7  # Amazon applied the older feed last

        later = push(db, gw, None, clock)  # reads the feed, re-asserts the newer 0

        assert later.reasserted == 1
        assert sorted(verify(db, gw, clock=clock).applied) == ["SKU-00", "SKU-01"]
    assert emu.quantity("SKU-00") == 0
    assert emu.quantity("SKU-01") == 7
    assert changes(emu, "SKU-00") == [0, 7, 0]
    with db.connect() as conn:
        rows = ob.history(conn, "SKU-00")
    assert [(r.quantity, r.state.value) for r in rows] == [(7, "accepted"), (0, "applied")]
    assert rows[1].attempts == 2


def test_a_crash_leftover_never_follows_a_newer_target(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with db.begin() as conn:
        restore = [Target(u, "restore") for u in updates("SKU-03", "SKU-04", quantity=5)]
        old_3, old_4 = ob.enqueue(conn, restore, clock.now()).queued
        ob.mark_sending(conn, [old_3, old_4], "patch", clock.now())  # then: kill -9
        (new_4,) = ob.enqueue(conn, [Target(updates("SKU-04")[0])], clock.now()).queued
        ob.mark_sending(conn, [new_4], "patch", clock.now())  # accepted before the crash
        ob.set_states(conn, [{"id": new_4, "state": State.ACCEPTED}], clock.now())
    with gateway_for(emu) as gw:
        report = push(db, gw, updates("SKU-03"), clock)  # a newer target for SKU-03

    assert report.resumed == 2
    assert report.superseded == 2
    assert changes(emu, "SKU-03") == [0]  # only the newer value went out
    assert changes(emu, "SKU-04") == []  # the leftover 5 was not sent after the newer 0
    assert states(db, "SKU-03") == ["superseded", "accepted"]
    assert states(db, "SKU-04") == ["superseded", "accepted"]


def test_read_back_compares_amazon_with_the_newest_target_only(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with gateway_for(emu) as gw:
        push(db, gw, updates("SKU-06", quantity=START_QUANTITY), clock, force=True)
        emu.faults.drop_patches(["SKU-06"])  # Amazon answers ACCEPTED but keeps its quantity
        push(db, gw, updates("SKU-06"), clock)  # the newer 0, dropped by Amazon

        checked = verify(db, gw, clock=clock)

    # Amazon shows the OLDER target's quantity: that must not count as applied.
    assert checked.applied == []
    assert checked.requeued == [("SKU-06", START_QUANTITY)]
    assert states(db, "SKU-06") == ["accepted", "pending"]


def test_read_back_runs_can_be_bounded_oldest_first(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with gateway_for(emu) as gw:
        push(db, gw, updates("SKU-00", "SKU-01", "SKU-02"), clock)
        first = verify(db, gw, clock=clock, limit=2)
        rest = verify(db, gw, clock=clock, limit=2)
    assert (first.applied, rest.applied) == (["SKU-00", "SKU-01"], ["SKU-02"])


def test_a_feed_whose_quota_is_spent_waits_for_a_later_push_not_the_zeroing(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    restores = updates("SKU-00", "SKU-01", "SKU-02", quantity=7)
    with gateway_for(emu, burst=1) as gw:
        for _ in range(4):  # this hour's JSON_LISTINGS_FEED quota is spent elsewhere
            gw.limiter.reserve("feedType:JSON_LISTINGS_FEED")
        started = clock.monotonic()
        first = push(db, gw, [*restores, *updates("SKU-05")], clock)
        assert clock.monotonic() - started < 2.0  # nobody waited a minute for the quota
        assert [o.sku for o in first.accepted] == ["SKU-05"]
        assert {o.sku for o in first.deferred} == {"SKU-00", "SKU-01", "SKU-02"}
        assert "feed quota free in" in first.deferred[0].message
        assert emu.quantity("SKU-05") == 0

        later = push(db, gw, None, clock, wait=True)  # waits for the quota and the feed

    assert len(later.feed_ids) == 1
    assert [emu.quantity(s) for s in ("SKU-00", "SKU-01", "SKU-02")] == [7, 7, 7]


def test_a_read_back_overtaken_by_a_newer_target_does_not_requeue_the_older(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with gateway_for(emu) as gw:
        push(db, gw, updates("SKU-07", quantity=2), clock)

        class NewerArrives:  # the gateway, with a newer target landing mid read-back
            def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None:
                push(db, gw, updates(sku), clock)  # 0, patched and accepted meanwhile
                return gw.get_quantity(sku, marketplace_id=marketplace_id)

        checked = verify(db, NewerArrives(), clock=clock)

    assert checked.requeued == []  # Amazon shows the newer 0: not a reason to resend 2
    assert states(db, "SKU-07") == ["accepted", "accepted"]
    assert emu.quantity("SKU-07") == 0
