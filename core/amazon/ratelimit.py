"""The gateway's side of Amazon's usage plans: wait for a token instead of earning a 429.

Amazon meters every operation with a token bucket (``rate`` requests per second, up to
``burst`` at once). We keep a mirror of each bucket on the injected Clock, seeded from the
documented defaults and corrected by the ``x-amzn-RateLimit-Limit`` header of each answer
(the account's real plan). ``acquire`` reserves a token and sleeps until it is due, so several
threads share one bucket without ever sending over the limit together.

Pure: no HTTP here, and no ``sp_api``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from stockguard.core.clock import Clock

# Operation -> (requests per second, burst): the default usage plans stated in each
# operation's description in Amazon's models (amazon-sp-api.md §1-§5).
DEFAULT_LIMITS: dict[str, tuple[float, int]] = {
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
    # Product Pricing: reading a supplier's Amazon offers (suppliers/apis/amazon.py)
    "getItemOffers": (0.5, 1),
    "getItemOffersBatch": (0.1, 1),
    # Not an operation but a feed-type quota: 5 JSON_LISTINGS_FEED submissions per 5 minutes
    # per region (changelog 2025-05-06), on top of createFeed's own plan.
    "feedType:JSON_LISTINGS_FEED": (5 / 300, 5),
}

# Fraction of the advertised rate we actually use: requests arrive a little later or earlier
# than they leave, and Amazon's clock is not ours; 2% slack keeps us clear of 429s.
RATE_MARGIN = 0.98
# Extra wait per reservation, so float rounding never lands a request a hair too early.
EPSILON_SECONDS = 1e-3
# Tokens of the burst we never use. A request reaches Amazon a little after we take its token;
# if Amazon's bucket was full meanwhile it lost refill that ours counted. One spare token
# covers a delay of up to 1/rate seconds (200 ms at 5/s).
HEADROOM_TOKENS = 1


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate * RATE_MARGIN)
        self.updated = now


class RateLimiter:
    """One bucket per operation; thread-safe; every wait goes through ``clock.sleep``."""

    def __init__(self, clock: Clock, limits: dict[str, tuple[float, int]] | None = None) -> None:
        self._clock = clock
        self._limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.waited_seconds = 0.0  # total time spent waiting for tokens (for benchmarks)

    def _bucket(self, operation: str, now: float) -> _Bucket | None:
        bucket = self._buckets.get(operation)
        if bucket is None:
            plan = self._limits.get(operation)
            if plan is None:
                return None
            capacity = max(1, plan[1] - HEADROOM_TOKENS)
            bucket = _Bucket(plan[0], capacity, float(capacity), now)
            self._buckets[operation] = bucket
        return bucket

    def reserve(self, operation: str) -> float:
        """Take a token now (possibly on credit); return how long to wait before sending."""
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._bucket(operation, now)
            if bucket is None:
                return 0.0
            bucket.refill(now)
            bucket.tokens -= 1.0
            if bucket.tokens >= 0.0:
                return 0.0
            return -bucket.tokens / (bucket.rate * RATE_MARGIN) + EPSILON_SECONDS

    def wait_needed(self, operation: str) -> float:
        """How long a request for ``operation`` would wait now (nothing is reserved)."""
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._bucket(operation, now)
            if bucket is None:
                return 0.0
            bucket.refill(now)
            if bucket.tokens >= 1.0:
                return 0.0
            return (1.0 - bucket.tokens) / (bucket.rate * RATE_MARGIN)

    def acquire(self, operation: str) -> float:
        """Wait (on the clock) until ``operation`` may be sent; return the seconds waited."""
        wait = self.reserve(operation)
        if wait > 0:
            self._clock.sleep(wait)
            with self._lock:
                self.waited_seconds += wait
        return wait

    def observe(self, operation: str, header: str | None) -> None:
        """Correct the bucket's rate from an ``x-amzn-RateLimit-Limit`` header value."""
        rate = parse_rate(header)
        if rate is None:
            return
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._bucket(operation, now)
            if bucket is None:
                # An operation without a documented plan: learn it, with a cautious burst of 1.
                self._limits[operation] = (rate, 1)
                bucket = self._bucket(operation, now)
                assert bucket is not None
            bucket.refill(now)
            bucket.rate = rate

    def throttled(self, operation: str) -> None:
        """Amazon said 429 anyway (another client shares the plan): empty our bucket."""
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._bucket(operation, now)
            if bucket is not None:
                bucket.refill(now)
                bucket.tokens = min(bucket.tokens, 0.0)

    def rate(self, operation: str) -> float | None:
        """The rate currently assumed for ``operation`` (requests per second)."""
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is not None:
                return bucket.rate
            plan = self._limits.get(operation)
            return plan[0] if plan else None


def parse_rate(header: str | None) -> float | None:
    """``"5.0"`` -> 5.0; anything unusable (absent, junk, <= 0) -> None."""
    if header is None:
        return None
    try:
        value = float(str(header).strip())
    except ValueError:
        return None
    if not value > 0 or value == float("inf"):
        return None
    return value


def backoff_seconds(
    attempt: int, *, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: uniform in [base, base * 2**attempt], capped."""
    ceiling = min(cap, base * (2.0**attempt))
    pick = (rng or random).uniform(0.0, 1.0)
    return min(cap, base + pick * max(0.0, ceiling - base))
