"""Fetching supplier pages politely, patiently and safely (requests).

``Fetcher.fetch`` gets one page; ``Fetcher.fetch_many`` runs many checks concurrently across
hosts (a thread pool) while each host stays within its politeness limits (suppliers.politeness).
A failed fetch never raises: it returns a ``FetchResult`` whose ``error`` says what went wrong,
so the adapter layer can turn it into an UNKNOWN observation with the reason.

Retries (with exponential backoff) happen only for what can heal: connection errors, timeouts
and 5xx other than 501; never for 4xx. A 429/503 with Retry-After pauses the whole host. Bodies
are streamed and capped on their *decompressed* size, so a 50 MB page or a gzip bomb is refused
after reading at most ``max_bytes``. Every wait goes through the injected Clock. Only public
addresses are fetched (plus ``[suppliers] allow_private``), checked on every redirect hop and
pinned against DNS rebinding (suppliers/fetch_guard.py); a refused address is an error, never
retried, and nothing from it is read.
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from urllib.parse import urlsplit

import requests

from stockguard.core.clock import Clock
from stockguard.core.config import SupplierSettings
from stockguard.suppliers.addresses import policy_of
from stockguard.suppliers.charset import decode_body
from stockguard.suppliers.fetch_guard import GuardedAdapter, refusal
from stockguard.suppliers.fetch_http import HttpAttempt, attempt_once, request_headers
from stockguard.suppliers.politeness import HostGate

__all__ = ["FetchRequest", "FetchResult", "Fetcher"]

_DISPATCH_TICK = 0.02  # longest the dispatcher sleeps before looking again (seconds)


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch, with the validators of a previous answer for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced. ``error`` is None exactly when a usable answer came back."""

    url: str
    final_url: str
    status: int | None  # None when no HTTP answer arrived (connection error, timeout)
    body: bytes
    text: str
    headers: Mapping[str, str]
    elapsed: float  # seconds, first attempt start to last attempt end
    fetched_at: datetime
    not_modified: bool = False  # 304 to a conditional GET: the page did not change
    error: str | None = None
    encoding: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """A 2xx page (or a 304) that was read completely."""
        return self.error is None

    @property
    def etag(self) -> str | None:
        """The ETag to send next time."""
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        """The Last-Modified value to send next time."""
        return self.headers.get("Last-Modified")


@dataclass
class _Job:
    request: FetchRequest
    host: str
    attempt: int = 0
    not_before: float = -math.inf
    started: float | None = None
    started_at: datetime | None = None
    extra: dict[str, int] = field(default_factory=dict)


class Fetcher:
    """An HTTP client for supplier pages; thread-safe; close it (or use ``with``) when done."""

    def __init__(self, settings: SupplierSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.gate = HostGate(
            clock,
            max_in_flight=settings.max_in_flight_per_host,
            min_gap=settings.min_gap_seconds,
        )
        self._session = requests.Session()
        pool = max(settings.workers, settings.max_in_flight_per_host, 4)
        self.policy = policy_of(settings)
        adapter = GuardedAdapter(
            self.policy, pool_connections=pool, pool_maxsize=pool, max_retries=0
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch one page, within the host's politeness limits, retrying transient errors."""
        job = _Job(FetchRequest(url, etag, last_modified), host_of(url))
        while True:
            self.gate.acquire(job.host)
            try:
                outcome = self._attempt(job)
            finally:
                self.gate.finish(job.host)
            delay = self._retry_delay(job, outcome)
            if delay is None:
                return self._result(job, outcome)
            self.clock.sleep(delay)

    def fetch_many(
        self, requests_: Iterable[str | FetchRequest]
    ) -> Generator[FetchResult, None, None]:
        """Fetch many pages concurrently; results come in completion order, one per request."""
        jobs = [_Job(r, host_of(r.url)) for r in map(_as_request, requests_)]
        if not jobs:
            return
        run = _Run(self, jobs)
        run.start()
        try:
            for _ in jobs:
                yield run.results.get()
        finally:
            run.stop()

    # -- one attempt and what follows it -------------------------------------------------------

    def _attempt(self, job: _Job) -> HttpAttempt:
        if job.started is None:
            job.started = self.clock.monotonic()
            job.started_at = self.clock.now()
        job.attempt += 1
        problem = self.policy.url_problem(job.request.url)
        if problem:  # before requests parses it: a bad port or user:pass@ never leaves here
            return HttpAttempt.failed(job.request.url, refusal(problem))
        try:
            request = job.request
            headers = request_headers(self.settings, request.etag, request.last_modified)
            return attempt_once(self._session, self.settings, self.clock, request.url, headers)
        except Exception as exc:  # never let one page kill a whole run; report it instead
            return HttpAttempt.failed(job.request.url, f"unexpected {type(exc).__name__}: {exc}")

    def _retry_delay(self, job: _Job, outcome: HttpAttempt) -> float | None:
        """Seconds to wait before the next attempt, or None when this outcome is final."""
        if not outcome.transient or job.attempt > self.settings.retries:
            return None
        if outcome.retry_after is not None:
            if outcome.retry_after > self.settings.max_retry_after_seconds:
                self.gate.pause(job.host, self.settings.max_retry_after_seconds)
                return None
            self.gate.pause(job.host, outcome.retry_after)
            return 0.0  # the host pause does the waiting
        backoff = self.settings.backoff_seconds * (2 ** (job.attempt - 1))
        return float(min(backoff, self.settings.max_backoff_seconds))

    def _result(self, job: _Job, outcome: HttpAttempt) -> FetchResult:
        text, encoding = (
            ("", None)
            if not outcome.body
            else decode_body(outcome.body, outcome.headers.get("Content-Type"))
        )
        started = job.started if job.started is not None else self.clock.monotonic()
        return FetchResult(
            url=job.request.url,
            final_url=outcome.final_url or job.request.url,
            status=outcome.status,
            body=outcome.body,
            text=text,
            headers=outcome.headers,
            elapsed=max(self.clock.monotonic() - started, 0.0),
            fetched_at=job.started_at or self.clock.now(),
            not_modified=outcome.status == 304,
            error=outcome.error,
            encoding=encoding,
            attempts=job.attempt,
        )


class _Run:
    """One ``fetch_many`` call: per-host queues, a dispatcher thread and a worker pool."""

    def __init__(self, fetcher: Fetcher, jobs: list[_Job]) -> None:
        self.fetcher = fetcher
        self.results: queue.Queue[FetchResult] = queue.Queue()
        self._pending: dict[str, deque[_Job]] = {}
        for job in jobs:
            self._pending.setdefault(job.host, deque()).append(job)
        self._remaining = len(jobs)
        self._busy = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = max(fetcher.settings.workers, 1)
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="fetch")
        self._dispatcher = threading.Thread(target=self._dispatch, name="fetch-dispatch")

    def start(self) -> None:
        self._dispatcher.start()

    def stop(self) -> None:
        self._stop.set()
        self._dispatcher.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        clock, gate = self.fetcher.clock, self.fetcher.gate
        while not self._stop.is_set():
            with self._lock:
                if self._remaining == 0:
                    return
            delay = self._start_one()
            if delay == 0.0:
                continue
            if math.isinf(delay):
                gate.wait_for_change(_DISPATCH_TICK)
            else:
                clock.sleep(min(delay, _DISPATCH_TICK))

    def _start_one(self) -> float:
        """Start the first job any host allows; else return the shortest wait (inf: capacity)."""
        best = math.inf
        with self._lock:
            if self._busy >= self._workers:
                return math.inf
            hosts = [host for host, jobs in self._pending.items() if jobs]
        now = self.fetcher.clock.monotonic()
        for host in hosts:
            job = self._pending[host][0]
            if job.not_before > now:
                best = min(best, job.not_before - now)
                continue
            wait = self.fetcher.gate.try_start(host)
            if wait == 0.0:
                with self._lock:
                    self._pending[host].popleft()
                    self._busy += 1
                    # Rotate so the next look starts with another host (fairness).
                    self._pending[host] = self._pending.pop(host)
                self._pool.submit(self._work, job)
                return 0.0
            best = min(best, wait)
        return best

    def _work(self, job: _Job) -> None:
        fetcher = self.fetcher
        try:
            outcome = fetcher._attempt(job)
        finally:
            fetcher.gate.finish(job.host)
        delay = fetcher._retry_delay(job, outcome)
        with self._lock:
            self._busy -= 1
            if delay is not None and not self._stop.is_set():
                job.not_before = fetcher.clock.monotonic() + delay
                self._pending[job.host].append(job)
                return
            self._remaining -= 1
        self.results.put(fetcher._result(job, outcome))


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name, lower-cased."""
    return (urlsplit(url).hostname or "").lower()


def _as_request(item: str | FetchRequest) -> FetchRequest:
    return item if isinstance(item, FetchRequest) else FetchRequest(item)


def with_validators(request: FetchRequest, previous: FetchResult) -> FetchRequest:
    """The same request carrying the ETag / Last-Modified of a previous answer."""
    return replace(request, etag=previous.etag, last_modified=previous.last_modified)
