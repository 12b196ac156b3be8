"""Reads asked for a whole catalogue take one grouped pass over the outbox instead of an IN
list per 500 SKUs: they must answer exactly what the per-chunk reads answer."""

from __future__ import annotations

from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.domain import PoolKey, QuantityUpdate
from stockguard.core.store import outbox as ob
from stockguard.core.store.outbox import State, Target
from stockguard.sync.status_query import deliveries

US = "ATVPDKIKX0DER"
UK = "A1F83G8C2ARO7P"
SKUS = [f"SKU-{n:05d}" for n in range(2_101)]  # above the 2,000 SKUs of the per-chunk reads


def fill(db: Engine, clock: ManualClock) -> None:
    """Read-backs for most SKUs, then pushes in every state for some of them."""
    with db.begin() as conn:
        ob.record_readbacks(
            conn, [QuantityUpdate(s, n % 3, US) for n, s in enumerate(SKUS) if n % 7], clock.now()
        )
        ob.record_readbacks(conn, [QuantityUpdate(SKUS[5], 4, UK)], clock.now())
    clock.advance(60)
    with db.begin() as conn:
        targets = [Target(QuantityUpdate(s, 5, US), "test") for s in SKUS[::11]]
        ids = ob.enqueue(conn, targets, clock.now()).queued
        ob.mark_sending(conn, ids[::2], "patch", clock.now())
        closed = [State.ACCEPTED, State.FAILED, State.SENDING]
        ob.set_states(
            conn,
            [
                {"id": i, "state": closed[k % 3], "error": "refused" if k % 3 == 1 else None}
                for k, i in enumerate(ids[::2])
            ],
            clock.now(),
        )
    clock.advance(60)
    with db.begin() as conn:  # newer targets supersede some of the pending ones
        newer = [Target(QuantityUpdate(s, 0, US), "test") for s in SKUS[1::22]]
        ob.enqueue(conn, newer, clock.now())


def test_effective_quantities_of_a_catalogue_equal_the_per_chunk_answer(
    db: Engine, clock: ManualClock
) -> None:
    fill(db, clock)
    with db.connect() as conn:
        whole = ob.effective_quantities(conn, SKUS)
        parts = {
            **ob.effective_quantities(conn, SKUS[:1_500]),
            **ob.effective_quantities(conn, SKUS[1_500:]),
        }
        asked = ob.effective_quantities(conn, [*SKUS[:2_050], "NOT-LISTED"])
    assert whole == parts
    assert asked == {k: v for k, v in whole.items() if k.sku in SKUS[:2_050]}
    assert whole[PoolKey(SKUS[0])] == 5  # a pending target beats no read-back
    assert whole[PoolKey(SKUS[1])] == 0  # the newest target
    assert whole[PoolKey(SKUS[2])] == 2  # the read-back
    assert whole[PoolKey(SKUS[5])] == 4  # read in UK after US: one quantity, the newest
    assert PoolKey(SKUS[7]) not in whole


def test_deliveries_of_a_catalogue_equal_the_per_chunk_answer(
    db: Engine, clock: ManualClock
) -> None:
    fill(db, clock)
    with db.connect() as conn:
        whole = deliveries(conn, SKUS)
        parts = {**deliveries(conn, SKUS[:1_000]), **deliveries(conn, SKUS[1_000:])}
    assert whole == parts
    assert {d.state for d in whole.values()} >= {"accepted", "failed", "pending", None}
    refused = [d for d in whole.values() if d.state == "failed"]
    assert refused
    assert all(d.error == "refused" for d in refused)
    assert whole[PoolKey(SKUS[2])].amazon == 2
    assert whole[PoolKey(SKUS[2])].state is None
    assert PoolKey(SKUS[7]) not in whole
