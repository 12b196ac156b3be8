"""The outbox's own rules: only changes, idempotency keys, supersede, crash release, close guard."""

from __future__ import annotations

from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.domain import ListingKey, QuantityUpdate
from stockguard.core.store import outbox as ob
from stockguard.core.store import outbox_order as order
from stockguard.core.store.outbox import State, Target

US = "ATVPDKIKX0DER"
UK = "A1F83G8C2ARO7P"


def target(sku: str, quantity: int, market: str = US, ref: str | None = None) -> Target:
    return Target(QuantityUpdate(sku, quantity, market), "test", ref)


def states(db: Engine, sku: str) -> list[tuple[int, str]]:
    with db.connect() as conn:
        return [(r.quantity, r.state.value) for r in ob.history(conn, sku)]


def test_enqueue_writes_pending_rows(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        result = ob.enqueue(conn, [target("A", 0), target("B", 3)], clock.now())
    assert len(result.queued) == 2
    assert result.unchanged == []
    with db.connect() as conn:
        rows = ob.rows_in(conn, State.PENDING)
    assert [(r.sku, r.quantity, r.attempts, r.reason) for r in rows] == [
        ("A", 0, 0, "test"),
        ("B", 3, 0, "test"),
    ]
    assert rows[0].update == QuantityUpdate("A", 0, US)


def test_the_same_decision_twice_is_one_row(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        ob.enqueue(conn, [target("A", 0, ref="decision-7")], clock.now())
    with db.begin() as conn:
        again = ob.enqueue(conn, [target("A", 0, ref="decision-7")], clock.now())
    assert again.queued == []
    assert again.duplicate == ["A"]
    assert states(db, "A") == [(0, "pending")]


def test_only_changes_are_queued(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        (row_id,) = ob.enqueue(conn, [target("A", 0)], clock.now()).queued
        ob.mark_sending(conn, [row_id], "patch", clock.now())
        ob.set_states(conn, [{"id": row_id, "state": State.ACCEPTED}], clock.now())
    with db.begin() as conn:
        same = ob.enqueue(conn, [target("A", 0), target("A", 0, UK)], clock.now())
        other = ob.enqueue(conn, [target("A", 2, UK)], clock.now())
        forced = ob.enqueue(conn, [target("A", 0)], clock.now(), force=True)
    # One quantity per SKU (a pool): 0 set through US is 0 in every marketplace of the SKU.
    assert same.unchanged == ["A", "A"]
    assert same.queued == []
    assert len(other.queued) == 1
    assert len(forced.queued) == 1
    with db.connect() as conn:
        assert ob.last_known(conn) == {ListingKey("A", US): 0}


def test_a_target_equal_to_one_already_queued_is_not_queued_again(
    db: Engine, clock: ManualClock
) -> None:
    with db.begin() as conn:
        ob.enqueue(conn, [target("A", 0)], clock.now())
        result = ob.enqueue(conn, [target("A", 0)], clock.now())
    assert result.unchanged == ["A"]
    assert states(db, "A") == [(0, "pending")]


def test_a_newer_target_supersedes_pending_rows_only(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        _a_old, b_old, c_old = ob.enqueue(
            conn, [target("A", 0), target("B", 0), target("C", 0)], clock.now()
        ).queued
        ob.mark_sending(conn, [b_old], "patch", clock.now())  # maybe in flight elsewhere
        ob.mark_sending(conn, [c_old], "feed", clock.now())
        ob.mark_sent(conn, [c_old], "feed-1")  # Amazon has it: it will be polled
    with db.begin() as conn:
        result = ob.enqueue(conn, [target("A", 2), target("B", 2), target("C", 2)], clock.now())
    assert result.superseded == 1
    assert states(db, "A") == [(0, "superseded"), (2, "pending")]
    assert states(db, "B") == [(0, "sending"), (2, "pending")]  # its sender closes it
    assert states(db, "C") == [(0, "sent"), (2, "pending")]


def test_before_a_round_older_pending_rows_give_way_to_newer_targets(
    db: Engine, clock: ManualClock
) -> None:
    with db.begin() as conn:
        (a_old,) = ob.enqueue(conn, [target("A", 3)], clock.now()).queued
        ob.mark_sending(conn, [a_old], "patch", clock.now())  # then: kill -9
        ob.enqueue(conn, [target("A", 0), target("B", 5)], clock.now())
        ob.release_interrupted(conn)  # the leftover is pending again, beside the newer row
        (b_new,) = ob.enqueue(conn, [target("B", 0)], clock.now()).queued
        ob.mark_sending(conn, [b_new], "patch", clock.now())
        ob.set_states(conn, [{"id": b_new, "state": State.ACCEPTED}], clock.now())
        assert order.reassert(conn, [b_new], "again") == 1  # a re-queued newest row stays
        assert order.supersede_older_pending(conn, clock.now()) == 1
    assert states(db, "A") == [(3, "superseded"), (0, "pending")]
    assert states(db, "B") == [(5, "superseded"), (0, "pending")]


def test_a_claim_takes_only_pending_rows(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        a, b = ob.enqueue(conn, [target("A", 3), target("B", 3)], clock.now()).queued
        ob.enqueue(conn, [target("A", 0)], clock.now())  # supersedes a before it is claimed
        assert ob.mark_sending(conn, [a, b], "patch", clock.now()) == [b]
        assert ob.mark_sending(conn, [b], "patch", clock.now()) == []  # already claimed


def test_release_interrupted_turns_sending_into_pending(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        a, b = ob.enqueue(conn, [target("A", 0), target("B", 0)], clock.now()).queued
        ob.mark_sending(conn, [a, b], "feed", clock.now())
        ob.mark_sent(conn, [b], "feed-9")
    with db.begin() as conn:
        assert ob.release_interrupted(conn) == 1
    with db.connect() as conn:
        (row_a,) = ob.rows_in(conn, State.PENDING)
        (row_b,) = ob.rows_in(conn, State.SENT)
    assert (row_a.sku, row_a.attempts, row_a.feed_id) == ("A", 1, None)
    assert "interrupted" in (row_a.last_error or "")
    assert (row_b.sku, row_b.feed_id) == ("B", "feed-9")


def test_closing_leaves_a_superseded_row_alone(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        (old,) = ob.enqueue(conn, [target("A", 0)], clock.now()).queued
        ob.enqueue(conn, [target("A", 1)], clock.now())  # supersedes the pending row
        ob.set_states(
            conn, [{"id": old, "state": State.ACCEPTED, "submission_id": "s"}], clock.now()
        )
    assert states(db, "A") == [(0, "superseded"), (1, "pending")]


def test_latest_accepted_is_the_newest_row_per_listing(db: Engine, clock: ManualClock) -> None:
    with db.begin() as conn:
        for quantity in (0, 4):
            (row_id,) = ob.enqueue(conn, [target("A", quantity)], clock.now()).queued
            ob.mark_sending(conn, [row_id], "patch", clock.now())
            ob.set_states(conn, [{"id": row_id, "state": State.ACCEPTED}], clock.now())
    with db.connect() as conn:
        (row,) = ob.latest_accepted(conn)
        assert ob.latest_accepted(conn, ["B"]) == []
    assert (row.sku, row.quantity) == ("A", 4)


def test_latest_accepted_skips_a_listing_with_a_newer_target(
    db: Engine, clock: ManualClock
) -> None:
    with db.begin() as conn:
        (row_id,) = ob.enqueue(conn, [target("A", 0)], clock.now()).queued
        ob.mark_sending(conn, [row_id], "patch", clock.now())
        ob.set_states(conn, [{"id": row_id, "state": State.ACCEPTED}], clock.now())
        ob.enqueue(conn, [target("A", 3)], clock.now())
    with db.connect() as conn:
        assert ob.latest_accepted(conn) == []
