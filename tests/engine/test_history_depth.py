"""The engine reads only ``history_depth`` observations per source: the policy must decide
exactly as it does on the full ``HISTORY_DEPTH``, for every short history."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockguard.core.config import PolicySettings
from stockguard.core.domain import (
    Availability,
    Listing,
    Observation,
    Source,
    SourceKind,
    UnknownReason,
)
from stockguard.sync.engine import HISTORY_DEPTH, history_depth
from stockguard.sync.policy import decide

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B = "https://shop.example/a", "https://shop.example/b"
KINDS = (Availability.IN_STOCK, Availability.OUT_OF_STOCK, Availability.UNKNOWN)
SETTINGS = [
    PolicySettings(restore_after=k, unknown_hold_minutes=hold)
    for k in (1, 2, 3, 7)
    for hold in (0, 120)
]


def history(ref: str, kinds: tuple[Availability, ...]) -> list[Observation]:
    """Oldest first, ten minutes apart, the newest ten minutes ago."""
    return [
        Observation(
            ref,
            kind,
            NOW - timedelta(minutes=10 * (len(kinds) - i)),
            f"{kind.value} #{i}",
            reason=UnknownReason.BLOCKED if kind is Availability.UNKNOWN else None,
        )
        for i, kind in enumerate(kinds)
    ]


def histories(longest: int) -> list[tuple[Availability, ...]]:
    return [h for n in range(longest + 1) for h in itertools.product(KINDS, repeat=n)]


def same_decision(item: Listing, full: dict[str, list[Observation]], current: int | None) -> None:
    for settings in SETTINGS:
        depth = history_depth(settings)
        short = {ref: seen[-depth:] for ref, seen in full.items()}
        want = decide(item, full, current, NOW, settings)
        assert decide(item, short, current, NOW, settings) == want, (settings, full, current)


def test_depth_is_restore_after_without_a_hold_and_full_with_one() -> None:
    assert history_depth(PolicySettings(restore_after=2)) == 2
    assert history_depth(PolicySettings(restore_after=0)) == 1
    assert history_depth(PolicySettings(restore_after=9)) == HISTORY_DEPTH
    assert history_depth(PolicySettings(restore_after=2, unknown_hold_minutes=5)) == HISTORY_DEPTH


@pytest.mark.parametrize("current", [None, 0, 2])
def test_one_source_decides_the_same_on_the_shorter_history(current: int | None) -> None:
    item = Listing("SKU-1", "US", default_quantity=2, sources=(Source(SourceKind.PAGE, A),))
    for kinds in histories(HISTORY_DEPTH):
        same_decision(item, {A: history(A, kinds)}, current)


@pytest.mark.parametrize("required", [False, True])
def test_two_sources_decide_the_same_on_the_shorter_history(required: bool) -> None:
    sources = (Source(SourceKind.PAGE, A, required=required), Source(SourceKind.PAGE, B))
    item = Listing("SKU-1", "US", default_quantity=2, sources=sources)
    for kinds_a, kinds_b in itertools.product(histories(3), repeat=2):
        for current in (None, 2):
            same_decision(item, {A: history(A, kinds_a), B: history(B, kinds_b)}, current)
