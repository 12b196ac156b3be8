"""The policy: table-driven cases for every reason code, and exhaustive invariants."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from stockguard.core.config import PolicySettings
from stockguard.core.domain import (
    Availability,
    Listing,
    Money,
    Observation,
    Source,
    SourceKind,
    UnknownReason,
)
from stockguard.sync.policy import decide

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B = "https://shop.example/a", "https://shop.example/b"
IN, OUT, UNK = Availability.IN_STOCK, Availability.OUT_OF_STOCK, Availability.UNKNOWN
DEFAULTS = PolicySettings()


def obs(
    availability: Availability,
    minutes_ago: float = 1,
    ref: str = A,
    **extra: Any,
) -> Observation:
    reason = UnknownReason.BLOCKED if availability is UNK else None
    return Observation(
        source_ref=ref,
        availability=availability,
        reason=reason,
        checked_at=NOW - timedelta(minutes=minutes_ago),
        evidence=f"{availability.value} seen {minutes_ago}m ago",
        **extra,
    )


def listing(*refs: str, required: Sequence[str] = (), **extra: Any) -> Listing:
    sources = tuple(Source(SourceKind.PAGE, r, required=r in required) for r in refs or (A,))
    return Listing(
        sku="SKU-1", marketplace="US", sources=sources, default_quantity=3, handling_days=3, **extra
    )


def two_in(ref: str = A, **extra: Any) -> list[Observation]:
    return [obs(IN, 30, ref, **extra), obs(IN, 1, ref, **extra)]


JPY = "JPY"
CASES = [
    # id, listing, history, current, settings, expected quantity, expected reason
    ("no sources", Listing("SKU-1", "US"), {}, 3, DEFAULTS, 0, "no-sources"),
    ("never checked", listing(), {}, 3, DEFAULTS, 0, "no-observation"),
    ("in stock, live", listing(), {A: [obs(IN)]}, 3, DEFAULTS, 3, "in-stock"),
    ("out of stock", listing(), {A: [obs(IN, 9), obs(OUT)]}, 3, DEFAULTS, 0, "out-of-stock"),
    ("unknown zeroes", listing(), {A: [obs(IN, 9), obs(UNK)]}, 3, DEFAULTS, 0, "unknown"),
    ("stale counts as unknown", listing(), {A: [obs(IN, 49 * 60)]}, 3, DEFAULTS, 0, "stale"),
    (
        "restore needs two",
        listing(),
        {A: [obs(OUT, 9), obs(IN)]},
        0,
        DEFAULTS,
        0,
        "restore-pending",
    ),
    ("restore with two", listing(), {A: two_in()}, 0, DEFAULTS, 3, "in-stock"),
    ("unknown current needs two", listing(), {A: [obs(IN)]}, None, DEFAULTS, 0, "restore-pending"),
    (
        "restore_after=1",
        listing(),
        {A: [obs(OUT, 9), obs(IN)]},
        0,
        replace(DEFAULTS, restore_after=1),
        3,
        "in-stock",
    ),
    ("stated quantity caps", listing(), {A: [obs(IN, quantity=2)]}, 3, DEFAULTS, 2, "in-stock"),
    (
        "buffer and pack",
        listing(safety_buffer=1, pack_size=2),
        {A: [obs(IN, quantity=6)]},
        3,
        DEFAULTS,
        2,
        "in-stock",
    ),
    (
        "below one pack",
        listing(safety_buffer=1, pack_size=2),
        {A: [obs(IN, quantity=2)]},
        3,
        DEFAULTS,
        0,
        "low-quantity",
    ),
    (
        "shipping delay too long",
        listing(),
        {A: [obs(IN, ships_within_days=4)]},
        3,
        DEFAULTS,
        0,
        "shipping-delay",
    ),
    (
        "shipping delay fits",
        listing(),
        {A: [obs(IN, ships_within_days=3)]},
        3,
        DEFAULTS,
        3,
        "in-stock",
    ),
    (
        "margin for repacking",
        listing(),
        {A: [obs(IN, ships_within_days=3)]},
        3,
        replace(DEFAULTS, handling_margin_days=1),
        0,
        "shipping-delay",
    ),
    (
        "price over max",
        listing(max_cost=Money(Decimal("1000"), JPY)),
        {A: [obs(IN, price=Money(Decimal("1000.01"), JPY))]},
        3,
        DEFAULTS,
        0,
        "over-max-cost",
    ),
    (
        "price at max",
        listing(max_cost=Money(Decimal("1000"), JPY)),
        {A: [obs(IN, price=Money(Decimal("1000"), JPY))]},
        3,
        DEFAULTS,
        3,
        "in-stock",
    ),
    (
        "other currency",
        listing(max_cost=Money(Decimal("10"), "USD")),
        {A: [obs(IN, price=Money(Decimal("5"), JPY))]},
        3,
        DEFAULTS,
        0,
        "currency-mismatch",
    ),
    (
        "hold keeps live",
        listing(),
        {A: [obs(IN, 20), obs(UNK, 10), obs(UNK, 1)]},
        2,
        replace(DEFAULTS, unknown_hold_minutes=15),
        2,
        "unknown-hold",
    ),
    (
        "hold expires",
        listing(),
        {A: [obs(IN, 30), obs(UNK, 16), obs(UNK, 1)]},
        2,
        replace(DEFAULTS, unknown_hold_minutes=15),
        0,
        "unknown",
    ),
    (
        "hold never restores",
        listing(),
        {A: [obs(IN, 20), obs(UNK, 1)]},
        0,
        replace(DEFAULTS, unknown_hold_minutes=15),
        0,
        "unknown",
    ),
    (
        "stale is never held",
        listing(),
        {A: [obs(IN, 48 * 60 + 5)]},
        1,
        replace(DEFAULTS, unknown_hold_minutes=15),
        0,
        "stale",
    ),
    (
        "any optional source",
        listing(A, B),
        {A: [obs(OUT)], B: [obs(IN, ref=B)]},
        3,
        DEFAULTS,
        3,
        "in-stock",
    ),
    (
        "all optional out",
        listing(A, B),
        {A: [obs(OUT)], B: [obs(UNK, ref=B)]},
        3,
        DEFAULTS,
        0,
        "out-of-stock",
    ),
    (
        "best optional quantity",
        listing(A, B),
        {A: [obs(IN, quantity=1)], B: [obs(IN, ref=B, quantity=2)]},
        3,
        DEFAULTS,
        2,
        "in-stock",
    ),
    (
        "required one out",
        listing(A, B, required=(A, B)),
        {A: [obs(IN)], B: [obs(OUT, ref=B)]},
        3,
        DEFAULTS,
        0,
        "out-of-stock",
    ),
    (
        "required scarcest limits",
        listing(A, B, required=(A, B)),
        {A: [obs(IN, quantity=1)], B: [obs(IN, ref=B)]},
        3,
        DEFAULTS,
        1,
        "in-stock",
    ),
    (
        "restore waits for every required",
        listing(A, B, required=(A, B)),
        {A: two_in(), B: [obs(IN, ref=B)]},
        0,
        DEFAULTS,
        0,
        "restore-pending",
    ),
    (
        "restore on the ready optional",
        listing(A, B),
        {A: [obs(IN, quantity=9)], B: two_in(B, quantity=2)},
        0,
        DEFAULTS,
        2,
        "in-stock",
    ),
    (
        "held optional, other in stock",
        listing(A, B),
        {A: [obs(UNK)], B: [obs(IN, ref=B)]},
        1,
        replace(DEFAULTS, unknown_hold_minutes=15),
        3,
        "in-stock",
    ),
    (
        "held required caps at current",
        listing(A, B, required=(A, B)),
        {A: [obs(IN, 30), obs(UNK)], B: [obs(IN, ref=B)]},
        1,
        replace(DEFAULTS, unknown_hold_minutes=15),
        1,
        "unknown-hold",
    ),
]


@pytest.mark.parametrize(
    ("item", "history", "current", "settings", "quantity", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decision_table(
    item: Listing,
    history: dict[str, list[Observation]],
    current: int | None,
    settings: PolicySettings,
    quantity: int,
    reason: str,
) -> None:
    decision = decide(item, history, current, NOW, settings)
    assert (decision.target_quantity, decision.reason) == (quantity, reason)
    assert decision.sku == "SKU-1"
    assert decision.decided_at == NOW
    assert decision.evidence  # every decision says what it rests on


def test_decision_carries_the_evidence_of_the_deciding_observation() -> None:
    seen = Observation(A, OUT, NOW, evidence="#availability: 現在在庫切れです")
    decision = decide(listing(), {A: [seen]}, 3, NOW, DEFAULTS)
    assert decision.evidence == "#availability: 現在在庫切れです"
    assert decision.source_ref == A


# Exhaustive invariants: every history of length <= 3 over a vocabulary of observation kinds,
# for one and for two sources, every current quantity and both hold settings.
KINDS: dict[str, dict[str, Any]] = {
    "in": {"availability": IN},
    "in-q1": {"availability": IN, "quantity": 1},
    "in-q9": {"availability": IN, "quantity": 9},
    "in-late": {"availability": IN, "ships_within_days": 9},
    "in-dear": {"availability": IN, "price": Money(Decimal("99"), JPY)},
    "out": {"availability": OUT},
    "unk": {"availability": UNK},
    "old-in": {"availability": IN, "age": 60 * 49},
}


def _history(ref: str, kinds: tuple[str, ...]) -> list[Observation]:
    out = []
    for i, name in enumerate(kinds):
        spec = dict(KINDS[name])
        age = float(spec.pop("age", 0)) + (len(kinds) - i) * 5
        out.append(obs(spec.pop("availability"), age, ref, **spec))
    return sorted(out, key=lambda o: o.checked_at)


def _histories(max_len: int) -> list[tuple[str, ...]]:
    return [h for n in range(max_len + 1) for h in itertools.product(KINDS, repeat=n)]


def _check_invariants(
    item: Listing,
    history: dict[str, list[Observation]],
    current: int | None,
    settings: PolicySettings,
) -> None:
    d = decide(item, history, current, NOW, settings)
    assert 0 <= d.target_quantity <= item.default_quantity
    if d.target_quantity == 0:
        return
    live = current is not None and current > 0
    latest = {ref: h[-1] for ref, h in history.items() if h}
    decisive = [latest.get(s.ref) for s in item.sources]
    if d.reason == "unknown-hold":
        assert live
        assert current is not None
        assert d.target_quantity <= current
        assert settings.unknown_hold_minutes > 0
        return
    assert d.reason == "in-stock"
    backing = latest[d.source_ref or ""]
    assert backing.availability is IN
    assert NOW - backing.checked_at <= timedelta(hours=settings.max_observation_age_hours)
    for s in item.sources:
        if s.required:
            got = latest.get(s.ref)
            assert got is not None
            assert got.availability is not OUT
    assert any(o is not None and o.availability is IN for o in decisive)
    if not live:  # a restore needs K consecutive IN_STOCK of the source it rests on
        tail = history[backing.source_ref][-settings.restore_after :]
        assert len(tail) == settings.restore_after
        assert all(o.availability is IN for o in tail)


HOLDS = [DEFAULTS, replace(DEFAULTS, unknown_hold_minutes=12)]


@pytest.mark.parametrize("settings", HOLDS, ids=["zero-on-unknown", "hold-12m"])
def test_single_source_invariants(settings: PolicySettings) -> None:
    item = listing(max_cost=Money(Decimal("50"), JPY))
    for kinds in _histories(3):
        for current in (None, 0, 1, 3):
            _check_invariants(item, {A: _history(A, kinds)}, current, settings)


@pytest.mark.parametrize("required", [(), (A,), (A, B)], ids=["optional", "one-req", "all-req"])
@pytest.mark.parametrize("settings", HOLDS, ids=["zero-on-unknown", "hold-12m"])
def test_two_source_invariants(required: tuple[str, ...], settings: PolicySettings) -> None:
    item = listing(A, B, required=required)
    short = _histories(2)
    for ka, kb in itertools.product(short, short):
        history = {A: _history(A, ka), B: _history(B, kb)}
        for current in (0, 2):
            _check_invariants(item, history, current, settings)


def test_going_to_zero_needs_one_observation_and_restoring_k() -> None:
    item = listing()
    history: list[Observation] = []
    quantity = 3
    steps = [(IN, 3), (OUT, 0), (IN, 0), (IN, 3), (UNK, 0), (IN, 0), (IN, 3)]
    for i, (availability, expected) in enumerate(steps):
        history.append(obs(availability, minutes_ago=len(steps) - i))
        quantity = decide(item, {A: history}, quantity, NOW, DEFAULTS).target_quantity
        assert quantity == expected, f"step {i}: {availability}"


# --- time and our own orders (issue 9) ---------------------------------------------------


def test_units_sold_since_the_observation_come_off_the_stated_quantity() -> None:
    history = {A: two_in(quantity=4)}
    item = listing(safety_buffer=1)
    before = NOW - timedelta(hours=2)  # orders before the observation were already counted
    since = NOW - timedelta(seconds=30)

    assert decide(item, history, 3, NOW, DEFAULTS, sales=[(before, 5)]).target_quantity == 3
    one = decide(item, history, 3, NOW, DEFAULTS, sales=[(since, 1)])
    assert (one.target_quantity, one.reason) == (2, "in-stock")
    gone = decide(item, history, 3, NOW, DEFAULTS, sales=[(since, 1), (since, 2)])
    assert (gone.target_quantity, gone.reason) == (0, "sold-through")
    assert "3 sold on Amazon since" in gone.evidence
    packs = decide(listing(pack_size=2), history, 3, NOW, DEFAULTS, sales=[(since, 2)])
    assert (packs.target_quantity, packs.reason) == (0, "sold-through")  # 2 packs = 4 units


def test_a_decision_says_when_time_alone_changes_it() -> None:
    seen = NOW - timedelta(minutes=1)
    live = decide(listing(), {A: two_in()}, 3, NOW, DEFAULTS)
    assert live.review_at == seen + timedelta(hours=DEFAULTS.max_observation_age_hours)
    later = decide(listing(), {A: two_in()}, 3, live.review_at, DEFAULTS)
    assert (later.target_quantity, later.reason) == (0, "stale")
    assert decide(listing(), {A: [obs(OUT)]}, 3, NOW, DEFAULTS).review_at is None
    assert decide(listing(), {}, 3, NOW, DEFAULTS).review_at is None


def test_a_hold_needs_an_earlier_in_stock_and_ends_when_it_grows_stale() -> None:
    hold = replace(DEFAULTS, unknown_hold_minutes=600)
    never_seen_in = decide(listing(), {A: [obs(UNK)]}, 3, NOW, hold)
    assert (never_seen_in.target_quantity, never_seen_in.reason) == (0, "unknown")
    max_age = DEFAULTS.max_observation_age_hours * 60
    old_in = {A: [obs(IN, max_age - 5), obs(UNK, 2)]}  # the IN_STOCK goes stale in 5 minutes
    held = decide(listing(), old_in, 3, NOW, hold)
    assert (held.target_quantity, held.reason) == (3, "unknown-hold")
    assert held.review_at == NOW + timedelta(minutes=5)
    assert decide(listing(), old_in, 3, held.review_at, hold).target_quantity == 0
