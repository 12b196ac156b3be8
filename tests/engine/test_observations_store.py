"""Observations, decisions and the check schedule, stored and queried on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from stockguard.core.domain import Availability, Decision, Money, Observation, UnknownReason
from stockguard.core.store.observations import (
    decision_at,
    decision_history,
    latest_observations,
    recent_observations,
    record_decision,
    record_observation,
    record_observations,
)
from stockguard.sync.planner_state import SourceState
from stockguard.sync.planner_store import due_sources, load_schedule, save_schedule

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B = "https://shop.example/a", "https://shop.example/b"


def seen(ref: str, minutes: int, availability: Availability, **extra: Any) -> Observation:
    reason = UnknownReason.BLOCKED if availability is Availability.UNKNOWN else None
    return Observation(
        ref,
        availability,
        T0 + timedelta(minutes=minutes),
        evidence=f"{availability.value} at +{minutes}m",
        reason=reason,
        **extra,
    )


def test_observations_round_trip_with_every_field(db: Engine) -> None:
    full = Observation(
        A,
        Availability.IN_STOCK,
        T0,
        evidence="残り3点",
        quantity=3,
        price=Money(Decimal("1980"), "JPY"),
        ships_within_days=2,
        http_status=200,
        content_hash="abc",
        adapter="shopify",
        url="https://shop.example/a?variant=1",
    )
    record_observation(db, full)
    assert latest_observations(db) == {A: full}


def test_prices_and_times_read_back_exactly_whatever_the_zone(db: Engine) -> None:
    """The history is read without SQLAlchemy's result types: fractional prices, whole
    prices, microseconds and a time written in another zone still come back as written."""
    tokyo = timezone(timedelta(hours=9))
    written = [
        seen(A, 0, Availability.IN_STOCK, price=Money(Decimal("12.3456"), "USD")),
        seen(A, 1, Availability.IN_STOCK, price=Money(Decimal("1980"), "JPY"), quantity=4),
        Observation(B, Availability.IN_STOCK, T0.astimezone(tokyo), "ok", price=None),
        Observation(
            B,
            Availability.OUT_OF_STOCK,
            T0 + timedelta(microseconds=123456),
            "gone",
            price=Money(Decimal("0.5"), "EUR"),
        ),
    ]
    record_observations(db, written)
    recent = recent_observations(db, 6, [A, B])
    assert recent == {A: written[:2], B: written[2:]}
    assert {o.checked_at.tzinfo for seen_list in recent.values() for o in seen_list} == {UTC}
    assert [str(o.price.amount) for o in recent[A] if o.price] == ["12.3456", "1980"]


def test_last_k_per_source_oldest_first(db: Engine) -> None:
    record_observations(
        db,
        [
            seen(A, 0, Availability.IN_STOCK),
            seen(A, 10, Availability.OUT_OF_STOCK),
            seen(A, 20, Availability.UNKNOWN),
            seen(B, 5, Availability.IN_STOCK),
        ],
    )
    recent = recent_observations(db, 2)
    assert [o.availability for o in recent[A]] == [Availability.OUT_OF_STOCK, Availability.UNKNOWN]
    assert [o.checked_at for o in recent[B]] == [T0 + timedelta(minutes=5)]
    assert recent[A][-1].reason is UnknownReason.BLOCKED
    latest = latest_observations(db, [B])
    assert list(latest) == [B]


def test_why_did_the_sku_go_to_zero(db: Engine) -> None:
    obs_id = record_observation(db, seen(A, 3, Availability.OUT_OF_STOCK))
    earlier = Decision("SKU-1", "US", 2, "in-stock", "カートに入れる", T0, A)
    zero = Decision(
        "SKU-1", "US", 0, "out-of-stock", "現在在庫切れです", T0 + timedelta(minutes=3), A
    )
    record_decision(db, earlier, None)
    record_decision(db, zero, 2, obs_id)
    why = decision_at(db, "SKU-1", T0 + timedelta(minutes=4))
    assert why is not None
    assert why.decision == zero
    assert why.previous_quantity == 2
    assert why.observation is not None
    assert why.observation.availability is Availability.OUT_OF_STOCK
    assert decision_at(db, "SKU-1", T0 - timedelta(minutes=1)) is None
    history = decision_history(db, "SKU-1")
    assert [r.decision.target_quantity for r in history] == [0, 2]
    assert history[1].observation is None


def test_schedule_is_saved_replaced_and_queried_by_priority(db: Engine) -> None:
    def state(ref: str, due_in: int, priority: float) -> SourceState:
        return SourceState(
            ref,
            "SKU-1",
            "shop.example",
            "IN_STOCK",
            T0,
            T0,
            2,
            1,
            0,
            3.5,
            0.0,
            T0 + timedelta(minutes=due_in),
            priority,
        )

    save_schedule(db, [state(A, 5, 1.0), state(B, -5, 2.0)])
    save_schedule(db, [state(A, -1, 3.0)])  # replaces A only
    assert {s.source_ref for s in load_schedule(db)} == {A, B}
    due = due_sources(db, T0, limit=10)
    assert [s.source_ref for s in due] == [A, B]
    assert due[0].next_check_at == T0 - timedelta(minutes=1)
    assert due[0].stockouts == 1


def test_schedule_reads_back_every_field_as_saved(db: Engine) -> None:
    """The schedule is read without SQLAlchemy's result types: times (some never set),
    counts and exposures still come back exactly as saved."""
    saved = [
        SourceState(A, "SKU-1", "shop.example", "UNSEEN", None, None, 0, 0, 0, 0.0, 0.0),
        SourceState(
            B,
            "SKU-2",
            "shop.example",
            "OUT_OF_STOCK",
            T0 + timedelta(microseconds=250),
            T0 + timedelta(hours=1),
            0,
            3,
            2,
            12.125,
            0.75,
            T0 + timedelta(days=1),
            -1e300,
        ),
    ]
    save_schedule(db, saved)
    loaded = sorted(load_schedule(db), key=lambda s: s.source_ref)
    assert loaded == saved
    assert loaded[1].checked_at is not None
    assert loaded[1].checked_at.tzinfo is UTC
