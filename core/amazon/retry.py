"""The gateway's retry loop: wait for a token, send, retry what may pass (pure; no ``sp_api``).

One attempt either returns the answer or raises ``AttemptFailed`` carrying the translated
error and the HTTP status. Transient errors (429, 5xx, no answer) are retried with jittered
exponential backoff on the injected clock, up to ``max_retries``; other errors never are.
A 403 first gets one fresh login (``relogin``), since a cached access token may have been
revoked; a second 403 is the credentials' fault.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from stockguard.core.amazon.ratelimit import RateLimiter, backoff_seconds
from stockguard.core.clock import Clock
from stockguard.core.config import AmazonSettings
from stockguard.core.errors import AmazonError, AmazonThrottled

log = logging.getLogger("stockguard.core.amazon.gateway")
T = TypeVar("T")


class AttemptFailed(Exception):
    """One attempt failed with ``error`` (HTTP ``status`` when there was an answer)."""

    def __init__(self, error: AmazonError, status: int | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.status = status


class Retrier:
    """Sends attempts under the rate limiter, retrying transient failures."""

    def __init__(
        self,
        settings: AmazonSettings,
        clock: Clock,
        limiter: RateLimiter,
        rng: random.Random,
        relogin: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._limiter = limiter
        self._rng = rng
        self._relogin = relogin
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # requests sent per operation (benchmarks)

    def run(self, operation: str, attempt: Callable[[], T], *, missing_ok: bool) -> T | None:
        """The answer of ``attempt``; None when ``missing_ok`` and Amazon said 404."""
        tries, relogged = 0, False
        while True:
            self._limiter.acquire(operation)
            with self._lock:
                self.requests[operation] += 1
            try:
                return attempt()
            except AttemptFailed as failed:
                error, status = failed.error, failed.status
            if missing_ok and status == 404:
                return None
            if status == 403 and not relogged:
                relogged = True
                self._relogin()
                continue
            if isinstance(error, AmazonThrottled):
                self._limiter.throttled(operation)
            if not error.transient or tries >= self._settings.max_retries:
                # INFO, not WARNING: the caller reports the error (a command prints it once;
                # a bare warning here reached stderr too, so every refusal showed twice).
                log.info("%s", error)
                raise error
            self._back_off(error, tries)
            tries += 1

    def _back_off(self, error: AmazonError, tries: int) -> None:
        delay = backoff_seconds(
            tries,
            base=self._settings.backoff_base_seconds,
            cap=self._settings.backoff_max_seconds,
            rng=self._rng,
        )
        retries = self._settings.max_retries
        log.info("%s; retry %d/%d in %.1fs", error, tries + 1, retries, delay)
        self._clock.sleep(delay)
