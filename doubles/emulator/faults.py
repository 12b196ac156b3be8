"""Faults injected on demand: 429 storms, 5xx, dropped patches, slow feeds, per-SKU feed errors.

Each control is counted down as requests consume it, so a test says exactly how many calls go
wrong; ``clear()`` removes them all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

ANY = "*"


class Faults:
    """The fault controls of one emulator (``emu.faults``); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._throttle: dict[str, int] = {}
        self._fail: dict[str, tuple[int, int]] = {}
        self._drop_count = 0
        self._drop_skus: set[str] = set()
        self.extra_feed_seconds = 0.0
        self.error_skus: set[str] = set()

    def throttle(self, operation: str | None, count: int) -> None:
        """The next ``count`` calls of ``operation`` (None: of any operation) answer 429."""
        with self._lock:
            self._throttle[operation or ANY] = count

    def fail(self, operation: str | None, count: int, status: int = 500) -> None:
        """The next ``count`` calls of ``operation`` (None: any) answer ``status`` (5xx)."""
        with self._lock:
            self._fail[operation or ANY] = (count, status)

    def drop_patches(self, count_or_skus: int | Iterable[str]) -> None:
        """Answer ACCEPTED but do not apply: the next N patches, or the next patch of each SKU."""
        with self._lock:
            if isinstance(count_or_skus, int):
                self._drop_count = count_or_skus
            else:
                self._drop_skus = set(count_or_skus)

    def slow_feeds(self, extra_seconds: float) -> None:
        """Feeds created from now on take ``extra_seconds`` longer to process."""
        self.extra_feed_seconds = extra_seconds

    def feed_errors(self, skus: Iterable[str]) -> None:
        """Messages for these SKUs get an ERROR issue in feed reports and are not applied."""
        self.error_skus = set(skus)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._throttle.clear()
            self._fail.clear()
            self._drop_count = 0
            self._drop_skus.clear()
        self.extra_feed_seconds = 0.0
        self.error_skus = set()

    def take_throttle(self, operation: str) -> bool:
        """True (and one fewer left) when this call must answer 429."""
        with self._lock:
            return _take(self._throttle, operation) is not None

    def take_failure(self, operation: str) -> int | None:
        """The status this call must answer with, or None."""
        with self._lock:
            for key in (operation, ANY):
                left, status = self._fail.get(key, (0, 0))
                if left > 0:
                    self._fail[key] = (left - 1, status)
                    return status
        return None

    def take_drop(self, sku: str) -> bool:
        """True when this patch must be acknowledged but not applied."""
        with self._lock:
            if sku in self._drop_skus:
                self._drop_skus.discard(sku)
                return True
            if self._drop_count > 0:
                self._drop_count -= 1
                return True
        return False


def _take(counters: dict[str, int], operation: str) -> str | None:
    for key in (operation, ANY):
        if counters.get(key, 0) > 0:
            counters[key] -= 1
            return key
    return None
