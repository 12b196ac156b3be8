"""An item API's published quota as a budget: a token bucket and a daily cap on the Clock.

One ``QuotaPacer`` per API credential, shared by the planner (how many calls fit in this pass:
``calls_within``) and the checker (``acquire`` waits on the clock for each call's token). The
bucket holds ``burst`` calls and refills at ``calls_per_second`` times ``RATE_MARGIN``, so
calls never go out faster than the published rate even when they reach the API a little
late. A refusal (429) empties the bucket and pauses the API with a growing backoff (or the
API's Retry-After); a daily cap spent pauses it until the next day starts. Pure: no HTTP.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from stockguard.core.clock import Clock

RATE_MARGIN = 0.98  # the share of the published rate we use (requests arrive with jitter)
EPSILON_SECONDS = 1e-3  # so float rounding never lands a call a hair early
MAX_BACKOFF_SECONDS = 600.0


@dataclass(frozen=True)
class QuotaUse:
    """What a quota spent, for `status` and benchmarks."""

    calls_last_hour: int
    calls_today: int
    refusals: int
    paused_for: float  # seconds until the API may be called again (0: not paused)


class QuotaPacer:
    """Calls per second with a burst, and optionally calls per day; thread-safe."""

    def __init__(
        self,
        clock: Clock,
        calls_per_second: float,
        burst: int = 1,
        calls_per_day: int | None = None,
        *,
        day_zone: str = "UTC",
    ) -> None:
        if calls_per_second <= 0 or burst < 1:
            raise ValueError("a quota needs a positive rate and a burst of at least 1")
        self.clock = clock
        self.rate = calls_per_second * RATE_MARGIN
        self.burst = burst
        self.calls_per_day = calls_per_day
        self._zone = ZoneInfo(day_zone)
        self._tokens = float(burst)
        self._updated = clock.monotonic()
        self._paused_until = -math.inf
        self._day = self._today()
        self._today_calls = 0
        self._recent: deque[float] = deque()
        self._refusals = 0
        self._streak = 0  # refusals in a row: the backoff doubles with each
        self._lock = threading.Lock()

    def _today(self) -> str:
        return self.clock.now().astimezone(self._zone).date().isoformat()

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._today() != self._day:
            self._day, self._today_calls = self._today(), 0

    def _day_left(self) -> float:
        if self.calls_per_day is None:
            return math.inf
        return float(max(self.calls_per_day - self._today_calls, 0))

    def calls_within(self, seconds: float) -> int:
        """Calls that can be sent from now within ``seconds`` without exceeding the quota."""
        now = self.clock.monotonic()
        with self._lock:
            self._refill(now)
            start = max(now, self._paused_until)
            if start > now + seconds:
                return 0
            tokens = self._tokens if start == now else 0.0
            fit = math.floor(tokens + (now + seconds - start) * self.rate + 1e-9)
            return int(min(max(fit, 0), self._day_left()))

    def acquire(self) -> bool:
        """Wait (on the clock) for a call's token; False when today's cap is spent (no call)."""
        now = self.clock.monotonic()
        with self._lock:
            self._refill(now)
            if self._day_left() < 1:
                return False
            wait = max(self._paused_until - now, 0.0)
            self._tokens -= 1.0
            if self._tokens < 0:
                wait = max(wait, -self._tokens / self.rate + EPSILON_SECONDS)
            self._today_calls += 1
        if wait > 0:
            self.clock.sleep(wait)
        with self._lock:
            self._recent.append(self.clock.monotonic())
        return True

    def answered(self) -> None:
        """A call was answered (not refused): the backoff starts again from its base."""
        with self._lock:
            self._streak = 0

    def refused(self, retry_after: float | None = None) -> float:
        """The API refused a call for its quota (429): empty the bucket and pause; returns the
        pause (Retry-After when given, else one refill period doubling per refusal in a row)."""
        now = self.clock.monotonic()
        with self._lock:
            self._refill(now)
            self._tokens = min(self._tokens, 0.0)
            self._refusals += 1
            self._streak += 1
            pause = retry_after if retry_after is not None else (2**self._streak) / self.rate
            pause = min(max(pause, 0.0), MAX_BACKOFF_SECONDS)
            self._paused_until = max(self._paused_until, now + pause)
            return pause

    def day_spent(self) -> float:
        """The API says today's cap is spent (Yahoo's 403): pause until the next day starts."""
        local = self.clock.now().astimezone(self._zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
        seconds = (midnight.replace(tzinfo=self._zone) - local).total_seconds()
        now = self.clock.monotonic()
        with self._lock:
            self._refusals += 1
            if self.calls_per_day is not None:
                self._today_calls = max(self._today_calls, self.calls_per_day)
            self._paused_until = max(self._paused_until, now + seconds)
        return seconds

    def use(self) -> QuotaUse:
        """Calls in the last hour and today, refusals, and the pause left."""
        now = self.clock.monotonic()
        with self._lock:
            self._refill(now)
            while self._recent and self._recent[0] <= now - 3600:
                self._recent.popleft()
            return QuotaUse(
                len(self._recent),
                self._today_calls,
                self._refusals,
                max(self._paused_until - now, 0.0),
            )
