"""The quota pacer never sends faster than the published limit (ManualClock, no sleeps)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stockguard.core.clock import ManualClock
from stockguard.sync.quota import QuotaPacer


def sent_times(
    pacer: QuotaPacer, clock: ManualClock, steps: list[tuple[float, int]]
) -> list[float]:
    times: list[float] = []
    for pause, calls in steps:
        clock.advance(pause)
        for _ in range(calls):
            assert pacer.acquire()
            times.append(clock.monotonic())
    return times


def assert_within(times: list[float], rate: float, burst: int) -> None:
    """Every window [a, b] holds at most burst + (b - a) * rate calls."""
    for i in range(len(times)):
        for j in range(i, len(times)):
            assert j - i + 1 <= burst + (times[j] - times[i]) * rate + 1e-9, (i, j, times)


@given(st.lists(st.tuples(st.floats(0, 60), st.integers(0, 4)), max_size=25))
def test_sp_api_batch_pacing_never_exceeds_0_1_per_second_burst_1(
    steps: list[tuple[float, int]],
) -> None:
    clock = ManualClock()
    times = sent_times(QuotaPacer(clock, 0.1, 1), clock, steps)
    assert_within(times, 0.1, 1)


def test_twenty_calls_in_a_row_are_spaced_by_the_rate() -> None:
    clock = ManualClock()
    pacer = QuotaPacer(clock, 0.1, 1)
    times = sent_times(pacer, clock, [(0.0, 20)])
    assert times[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 10.0
    assert max(gaps) < 10.3  # 2% margin: the quota is used, not wasted
    assert pacer.use().calls_last_hour == 20


def test_calls_within_counts_what_the_quota_allows() -> None:
    clock = ManualClock()
    pacer = QuotaPacer(clock, 0.1, 1)
    assert pacer.calls_within(60) == 6  # the burst token, then 5 more refills at 0.098/s
    assert pacer.calls_within(0) == 1
    for _ in range(pacer.calls_within(60)):
        pacer.acquire()
    assert clock.monotonic() <= 60.0
    assert pacer.calls_within(0) == 0


def test_a_refusal_pauses_with_a_growing_backoff() -> None:
    clock = ManualClock()
    pacer = QuotaPacer(clock, 0.1, 1)
    first = pacer.refused()
    assert first > 10
    assert pacer.calls_within(first - 1) == 0
    assert pacer.refused() > first  # doubled while refusals come in a row
    assert pacer.refused(retry_after=3.0) > 0
    assert pacer.use().refusals == 3
    start = clock.monotonic()
    pacer.acquire()
    assert clock.monotonic() - start >= first  # the pause is waited out on the clock


def test_a_daily_cap_is_spent_until_the_next_day() -> None:
    clock = ManualClock(datetime(2026, 1, 1, 23, 0, tzinfo=UTC))
    pacer = QuotaPacer(clock, 1.0, 1, calls_per_day=3)
    assert [pacer.acquire() for _ in range(4)] == [True, True, True, False]
    assert pacer.calls_within(3600) == 0
    clock.advance(3600)  # midnight UTC: a new day
    assert pacer.acquire()


def test_a_day_spent_answer_pauses_until_midnight_in_the_apis_zone() -> None:
    clock = ManualClock(datetime(2026, 1, 1, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo
    pacer = QuotaPacer(clock, 1.0, 1, calls_per_day=50_000, day_zone="Asia/Tokyo")
    assert pacer.day_spent() == 3600.0
    assert pacer.calls_within(3599) == 0
    clock.advance(3600)
    assert pacer.acquire()
