"""Per-host politeness for supplier fetching: in-flight caps, start gaps, Retry-After pauses.

A shop is a guest's host, not a benchmark target. For every host the gate keeps at most
``max_in_flight`` requests open and leaves at least ``min_gap`` seconds between two request
starts; a 429/503 with Retry-After pauses the whole host until the time it asked for. Time is
read from, and waited on through, the injected Clock, so tests never sleep.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

from stockguard.core.clock import Clock

_RECENT = 256  # start times kept per host (for tests, status and the planner's budget)


@dataclass
class _HostState:
    in_flight: int = 0
    last_start: float = -math.inf
    paused_until: float = -math.inf
    started: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=_RECENT))


class HostGate:
    """Decides when a request to a host may start; shared by every thread of one Fetcher."""

    def __init__(self, clock: Clock, *, max_in_flight: int, min_gap: float) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._min_gap = max(min_gap, 0.0)
        self._hosts: dict[str, _HostState] = {}
        self._changed = threading.Condition()

    def try_start(self, host: str) -> float:
        """Start a request now and return 0.0, or return how long to wait before trying again.

        ``math.inf`` means the host is at its in-flight cap: wait for a request to finish.
        """
        with self._changed:
            state = self._hosts.setdefault(host, _HostState())
            if state.in_flight >= self._max_in_flight:
                return math.inf
            now = self._clock.monotonic()
            ready_at = max(state.last_start + self._min_gap, state.paused_until)
            if ready_at > now:
                return ready_at - now
            state.in_flight += 1
            state.last_start = now
            state.started += 1
            state.recent.append(now)
            return 0.0

    def acquire(self, host: str) -> None:
        """Block (through the clock) until a request to ``host`` may start, and start it."""
        while True:
            wait = self.try_start(host)
            if wait == 0.0:
                return
            if math.isinf(wait):
                with self._changed:
                    # A finishing request notifies; the timeout only guards against a lost wake-up.
                    self._changed.wait(timeout=1.0)
            else:
                self._clock.sleep(wait)

    def finish(self, host: str) -> None:
        """A request to ``host`` has ended (successfully or not)."""
        with self._changed:
            state = self._hosts.setdefault(host, _HostState())
            state.in_flight = max(state.in_flight - 1, 0)
            self._changed.notify_all()

    def pause(self, host: str, seconds: float) -> None:
        """Start nothing on ``host`` for ``seconds`` (Retry-After)."""
        with self._changed:
            state = self._hosts.setdefault(host, _HostState())
            until = self._clock.monotonic() + max(seconds, 0.0)
            state.paused_until = max(state.paused_until, until)
            self._changed.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        """Wait until some request finishes or a host's state changes (or ``timeout`` passes)."""
        with self._changed:
            self._changed.wait(timeout=timeout)

    def in_flight(self, host: str) -> int:
        """Requests to ``host`` open right now."""
        with self._changed:
            return self._hosts.get(host, _HostState()).in_flight

    def started(self, host: str) -> int:
        """Requests started on ``host`` so far."""
        with self._changed:
            return self._hosts.get(host, _HostState()).started

    def recent_starts(self, host: str) -> list[float]:
        """Monotonic start times of the latest requests to ``host`` (oldest first)."""
        with self._changed:
            return list(self._hosts.get(host, _HostState()).recent)
