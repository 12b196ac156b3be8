"""Batching: events pile up and go out as one message per interval, never a storm.

A message lists each topic with its count and at most ``lines_per_topic`` lines ("… and 4,980
more"). ``tick`` sends when something is waiting and the interval since the last message has
passed (on the injected clock); ``close`` sends what is left at once (the service stopping).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from stockguard.core.clock import Clock
from stockguard.core.i18n import tr
from stockguard.sync.notify.events import TOPIC_TITLES, Event, Topic

log = logging.getLogger("stockguard.notify")
Send = Callable[[str, str], bool]  # (title, body) -> delivered


class Digest:
    """Events waiting for the next message."""

    def __init__(
        self, send: Send, clock: Clock, interval_seconds: float, lines_per_topic: int = 20
    ) -> None:
        self.send = send
        self.clock = clock
        self.interval = interval_seconds
        self.lines_per_topic = max(lines_per_topic, 1)
        self.pending: list[Event] = []
        self.sent = 0
        self._last: float | None = None
        self._lock = threading.Lock()

    def add(self, events: Iterable[Event]) -> None:
        """Keep these for the next message."""
        with self._lock:
            self.pending.extend(events)

    def tick(self) -> bool:
        """Send the waiting events if the interval has passed; whether a message went out."""
        with self._lock:
            now = self.clock.monotonic()
            if not self.pending or (self._last is not None and now - self._last < self.interval):
                return False
            return self._flush(now)

    def close(self) -> bool:
        """Send whatever waits, interval or not (the last message of a run)."""
        with self._lock:
            return bool(self.pending) and self._flush(self.clock.monotonic())

    def _flush(self, now: float) -> bool:
        events, self.pending = self.pending, []
        self._last = now
        title, body = compose(events, self.lines_per_topic)
        delivered = self.send(title, body)
        if delivered:
            self.sent += 1
        else:  # kept for the next interval: an alert is not dropped because a relay was down
            self.pending = events + self.pending
        return delivered


def compose(events: list[Event], lines_per_topic: int) -> tuple[str, str]:
    """The title (counts per topic) and the body (each topic's lines, capped)."""
    by_topic: dict[Topic, list[str]] = {}
    for event in events:
        by_topic.setdefault(event.topic, []).append(event.text)
    ordered = [t for t in Topic if t in by_topic]
    counts = ", ".join(f"{tr(TOPIC_TITLES[t])} {len(by_topic[t])}" for t in ordered)
    body: list[str] = []
    for topic in ordered:
        lines = by_topic[topic]
        body.append(f"{tr(TOPIC_TITLES[topic])} ({len(lines)})")
        body += [f"- {line}" for line in lines[:lines_per_topic]]
        if len(lines) > lines_per_topic:
            body.append(tr("… and {count} more", count=f"{len(lines) - lines_per_topic:,}"))
        body.append("")
    return f"stockguard: {counts}", "\n".join(body).strip()
