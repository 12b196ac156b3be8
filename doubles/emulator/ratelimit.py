"""Amazon's default usage plans as token buckets, one per operation, on the injected clock.

Amazon meters each operation separately (per selling partner and application): a bucket holds
up to ``burst`` requests and refills at ``rate`` requests per second. A request that finds the
bucket empty is answered 429 QuotaExceeded. Every answer carries ``x-amzn-RateLimit-Limit``.
"""

from __future__ import annotations

import threading

from stockguard.core.amazon.ratelimit import DEFAULT_LIMITS
from stockguard.core.clock import Clock, TokenBucket


class RateLimiter:
    """One token bucket per operation; thread-safe; ``enabled=False`` lets everything through."""

    def __init__(self, clock: Clock, *, enabled: bool = True) -> None:
        self._clock = clock
        self.enabled = enabled
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    # The plans are the documented defaults the gateway starts from (DEFAULT_LIMITS, held to
    # Amazon's models by tests/amazon/test_usage_plans.py); other operations are not throttled.

    def limit(self, operation: str) -> float | None:
        """The sustained rate advertised in ``x-amzn-RateLimit-Limit``, if the op has a plan."""
        plan = DEFAULT_LIMITS.get(operation)
        return plan[0] if plan else None

    def allow(self, operation: str) -> bool:
        """True when the request may proceed; False means answer 429."""
        plan = DEFAULT_LIMITS.get(operation)
        if not self.enabled or plan is None:
            return True
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = TokenBucket(plan[0], plan[1], float(plan[1]), now)
                self._buckets[operation] = bucket
            return bucket.take(now)
