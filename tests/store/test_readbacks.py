"""record_readbacks: many quantities read from Amazon (an All Listings Report) in one insert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.domain import ListingKey, QuantityUpdate
from stockguard.core.store import outbox as ob
from stockguard.core.store.outbox import State, Target

US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"


def test_readbacks_are_closed_applied_rows_that_last_known_answers(
    db: Engine, clock: ManualClock
) -> None:
    updates = [QuantityUpdate("A", 3, US), QuantityUpdate("A", 8, CA), QuantityUpdate("B", 0, US)]
    with db.begin() as conn:
        assert ob.record_readbacks(conn, updates, clock.now()) == 3
    with db.connect() as conn:
        assert ob.last_known(conn) == {
            ListingKey("A", US): 3,
            ListingKey("A", CA): 8,
            ListingKey("B", US): 0,
        }
        assert ob.rows_in(conn, *ob.OPEN) == []
        rows = ob.history(conn, "A")
    assert {(r.kind, r.state, r.reason, r.attempts) for r in rows} == {
        ("readback", State.APPLIED, "read-back", 0)
    }
    assert all(r.closed_at == clock.now() for r in rows)


def test_nothing_to_record_writes_nothing(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        assert ob.record_readbacks(conn, [], clock.now()) == 0
        assert ob.last_known(conn) == {}


def test_the_same_sku_twice_keeps_both_rows_and_the_later_wins(
    db: Engine, clock: ManualClock
) -> None:
    with db.begin() as conn:
        ob.record_readbacks(conn, [QuantityUpdate("A", 2, US)], clock.now())
        ob.record_readbacks(conn, [QuantityUpdate("A", 2, US)], clock.now())  # same instant
        ob.record_readbacks(
            conn, [QuantityUpdate("A", 5, US), QuantityUpdate("A", 1, US)], clock.now()
        )
    with db.connect() as conn:
        assert [r.quantity for r in ob.history(conn, "A")] == [2, 2, 5, 1]
        assert ob.last_known(conn) == {ListingKey("A", US): 1}


def test_a_readback_after_a_push_is_what_amazon_has_and_a_new_target_compares_to_it(
    db: Engine, clock: ManualClock
) -> None:
    with db.begin() as conn:
        (row_id,) = ob.enqueue(conn, [Target(QuantityUpdate("A", 0, US))], clock.now()).queued
        ob.mark_sending(conn, [row_id], "patch", clock.now())
        ob.set_states(conn, [{"id": row_id, "state": State.ACCEPTED}], clock.now())
    clock.advance(60)
    with db.begin() as conn:
        ob.record_readbacks(conn, [QuantityUpdate("A", 4, US)], clock.now())
    with db.begin() as conn:
        assert ob.last_known(conn) == {ListingKey("A", US): 4}
        again = ob.enqueue(conn, [Target(QuantityUpdate("A", 0, US))], clock.now())
    assert len(again.queued) == 1  # Amazon shows 4, so 0 must be sent again


def test_a_very_long_sku_still_gets_a_unique_key(db: Engine, clock: ManualClock) -> None:
    long_a, long_b = "X" * 190 + "A", "X" * 190 + "B"
    now = clock.now()
    with db.begin() as conn:
        ob.record_readbacks(
            conn, [QuantityUpdate(long_a, 1, US), QuantityUpdate(long_b, 2, US)], now
        )
        ob.record_readbacks(conn, [QuantityUpdate(long_a, 3, US)], now + timedelta(seconds=1))
    with db.connect() as conn:
        assert ob.last_known(conn) == {ListingKey(long_a, US): 3, ListingKey(long_b, US): 2}
