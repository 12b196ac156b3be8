"""Injected time: every "now" and every wait in stockguard goes through a Clock.

Production code uses ``SystemClock``; tests and simulations use ``ManualClock``, whose
``sleep`` advances time instantly, so no test ever sleeps for real. ``TokenBucket`` is a rate
limit metered by such a clock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where code reads the time and waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for rate limits and timeouts)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class Interrupted(Exception):
    """A wait cut short because the service is stopping: nothing after the wait was done."""


class SystemClock:
    """The real clock. With ``interrupt``, a wait ends early when the event is set, raising
    ``Interrupted``: `run` gives such a clock to the Amazon gateways, whose waits (a rate
    limit's next token, a retry's backoff, a feed's next poll) all come before the request,
    so a stop never waits minutes on a feed quota and never cuts a request in half."""

    def __init__(self, interrupt: threading.Event | None = None) -> None:
        self.interrupt = interrupt

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.interrupt is None:
            time.sleep(seconds)
        elif self.interrupt.wait(seconds):
            raise Interrupted(f"stopping: a wait of {seconds:.1f} s cut short")


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it at once. Thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 0.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds


@dataclass
class TokenBucket:
    """A rate limit metered by a clock: ``burst`` tokens at most, refilled continuously at
    ``rate`` a second; a refused call costs nothing (the emulator's and the fakes' limits)."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        """Spend one token if there is one; refill first for the time that passed."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
