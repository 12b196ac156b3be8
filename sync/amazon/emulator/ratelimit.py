"""Amazon's default usage plans as token buckets, one per operation, on the injected clock.

Amazon meters each operation separately (per selling partner and application): a bucket holds
up to ``burst`` requests and refills at ``rate`` requests per second. A request that finds the
bucket empty is answered 429 QuotaExceeded. Every answer carries ``x-amzn-RateLimit-Limit``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sync.clock import Clock

# Operation -> (rate per second, burst): the defaults stated in each operation's description
# in Amazon's models (amazon-sp-api.md). Operations missing here are not throttled.
DEFAULT_PLANS: dict[str, tuple[float, int]] = {
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "putListingsItem": (5.0, 10),
    "deleteListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeeds": (0.0222, 10),
    "cancelFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getOrders": (0.0167, 20),
    "getOrderV0": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    # JSON_LISTINGS_FEED: at most 5 submissions per 5 minutes (changelog 2025-05-06), on top
    # of createFeed's own plan.
    "feedType:JSON_LISTINGS_FEED": (5 / 300, 5),
}


@dataclass
class TokenBucket:
    """``burst`` tokens at most, refilled continuously at ``rate`` per second."""

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


class RateLimiter:
    """One token bucket per operation; thread-safe; ``enabled=False`` lets everything through."""

    def __init__(self, clock: Clock, *, enabled: bool = True) -> None:
        self._clock = clock
        self.enabled = enabled
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def limit(self, operation: str) -> float | None:
        """The sustained rate advertised in ``x-amzn-RateLimit-Limit``, if the op has a plan."""
        plan = DEFAULT_PLANS.get(operation)
        return plan[0] if plan else None

    def allow(self, operation: str) -> bool:
        """True when the request may proceed; False means answer 429."""
        plan = DEFAULT_PLANS.get(operation)
        if not self.enabled or plan is None:
            return True
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = TokenBucket(plan[0], plan[1], float(plan[1]), now)
                self._buckets[operation] = bucket
            return bucket.take(now)
