"""Drain the outbox through the Amazon gateway: only changes, urgent zeroings first, bulk by feed.

Every request is preceded by a committed ``sending`` mark and followed by a committed close,
so a crash at any point leaves the outbox telling the truth (see sync/store/outbox_tables.py).
A push:

1. polls feeds a previous run submitted (rows ``sent`` with a feed id) instead of resubmitting;
2. turns rows a crash left in ``sending`` back into ``pending`` (a quantity is absolute, so
   re-sending is idempotent);
3. sends the pending rows: when there are more than ``patch_burst_max``, the first
   ``patch_burst_max`` zeroings go out one by one through patchListingsItem while everything
   else goes out as JSON_LISTINGS_FEEDs (≤ 25,000 messages each, one per marketplace) on a
   worker thread, so a feed waiting for its quota never holds an urgent zeroing back and
   Amazon processes the bulk while the patches go out;
4. retries, once, the rows Amazon refused (INVALID, a processing-report error); a second
   refusal is final (``failed``). Rows that met a transient failure stay ``pending`` for the
   next push.

Which rows go by feed and what a finished feed refused are decided in sync/push_feed.py;
``verify`` (sync/readback.py, re-exported here) reads quantities back: ACCEPTED is not
"applied" (pitfall 5).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine

from sync.amazon.results import FeedResult, SubmissionResult
from sync.clock import Clock, SystemClock
from sync.config import AmazonSettings
from sync.domain import QuantityUpdate
from sync.errors import AmazonAuthError, AmazonError
from sync.push_feed import describe_issues, feed_batches, feed_errors, plan
from sync.readback import VerifyReport, verify
from sync.store import outbox as ob
from sync.store.outbox import OutboxRow, State, Target

__all__ = ["PushOutcome", "PushReport", "QuantityGateway", "VerifyReport", "push", "verify"]


class QuantityGateway(Protocol):
    """The part of AmazonGateway the pusher uses."""

    settings: AmazonSettings

    def patch_quantity(self, update: QuantityUpdate) -> SubmissionResult: ...

    def submit_quantity_feed(self, updates: Sequence[QuantityUpdate]) -> str: ...

    def wait_for_feed(self, feed_id: str) -> FeedResult: ...

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None: ...


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one outbox row in this push."""

    sku: str
    marketplace_id: str
    quantity: int
    state: State  # accepted | failed | pending (deferred) | sent (feed still processing)
    via: str  # patch | feed
    submission_id: str | None = None
    feed_id: str | None = None
    message: str = ""


@dataclass
class PushReport:
    """The whole push: what was queued, skipped, resumed, and each row's outcome."""

    queued: int = 0
    unchanged: list[str] = field(default_factory=list)
    resumed: int = 0
    feed_ids: list[str] = field(default_factory=list)
    outcomes: dict[int, PushOutcome] = field(default_factory=dict)

    def _in(self, *states: State) -> list[PushOutcome]:
        return [o for o in self.outcomes.values() if o.state in states]

    @property
    def accepted(self) -> list[PushOutcome]:
        return self._in(State.ACCEPTED)

    @property
    def failed(self) -> list[PushOutcome]:
        return self._in(State.FAILED)

    @property
    def deferred(self) -> list[PushOutcome]:
        """Rows left for the next push (transient failure, or a feed still processing)."""
        return self._in(State.PENDING, State.SENT)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.deferred


def push(
    engine: Engine,
    gateway: QuantityGateway,
    updates: Iterable[QuantityUpdate | Target] | None = None,
    clock: Clock | None = None,
    *,
    reason: str = "manual",
    force: bool = False,
) -> PushReport:
    """Enqueue ``updates`` (if any) and drain the outbox; see the module docstring.

    An update equal to what Amazon last accepted (or to a target already queued) is skipped
    and listed in ``report.unchanged``, unless ``force``.
    """
    run = _Push(engine, gateway, clock or SystemClock())
    if updates is not None:
        targets = [u if isinstance(u, Target) else Target(u, reason) for u in updates]
        run.enqueue(targets, force)
    run.resume()
    retry: set[int] | None = None  # first round: every pending row
    for _ in range(2):
        with engine.connect() as conn:
            rows = ob.rows_in(conn, State.PENDING, ids=retry)
        if not rows:
            break
        run.send_round(rows)
        retry = set(run.rejected_once) & {r.id for r in rows}
        if not retry:
            break
    return run.report


class _Push:
    """One push run: the engine, the gateway and what happened so far."""

    def __init__(self, engine: Engine, gateway: QuantityGateway, clock: Clock) -> None:
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        self.burst = max(0, gateway.settings.patch_burst_max)
        self.report = PushReport()
        self.rejected_once: set[int] = set()
        self._lock = threading.Lock()

    def enqueue(self, targets: list[Target], force: bool) -> None:
        with self.engine.begin() as conn:
            result = ob.enqueue(conn, targets, self.clock.now(), force=force)
        self.report.queued = len(result.queued)
        self.report.unchanged = result.unchanged + result.duplicate

    def resume(self) -> None:
        """Poll feeds an earlier run submitted; release rows whose answer was never recorded."""
        with self.engine.connect() as conn:
            sent = ob.rows_in(conn, State.SENT)
        by_feed: dict[str, list[OutboxRow]] = {}
        for row in sent:  # oldest first = the order the feed's messages were numbered in
            by_feed.setdefault(row.feed_id or "", []).append(row)
        for feed_id, rows in by_feed.items():
            self.report.resumed += len(rows)
            self._finish_feed(feed_id, rows)
        with self.engine.begin() as conn:
            self.report.resumed += ob.release_interrupted(conn)

    def send_round(self, rows: list[OutboxRow]) -> None:
        patch_rows, feed_rows = plan(rows, self.burst)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed") as pool:
            feeds = pool.submit(self._send_feeds, feed_rows) if feed_rows else None
            self._send_patches(patch_rows)
            if feeds is not None:
                feeds.result()

    def _send_patches(self, rows: list[OutboxRow]) -> None:
        for index, row in enumerate(rows):
            with self.engine.begin() as conn:
                ob.mark_sending(conn, [row.id], "patch", self.clock.now())
            try:
                result = self.gateway.patch_quantity(row.update)
            except AmazonError as exc:
                if not _retryable(exc):
                    self._reject([row], "patch", {row.id: exc.message})
                    continue
                self._close([row], State.PENDING, "patch", _name(exc))
                self._note(rows[index + 1 :], State.PENDING, "patch", "not sent: " + _name(exc))
                if isinstance(exc, AmazonAuthError):
                    raise
                return  # the gateway already retried with backoff: stop hammering
            if result.accepted:
                self._close([row], State.ACCEPTED, "patch", submission_id=result.submission_id)
            else:
                refusal = describe_issues(result.status, result.issues)
                self._reject([row], "patch", {row.id: refusal})

    def _send_feeds(self, rows: list[OutboxRow]) -> None:
        submitted: list[tuple[str, list[OutboxRow]]] = []
        for batch in feed_batches(rows):
            with self.engine.begin() as conn:
                ob.mark_sending(conn, [r.id for r in batch], "feed", self.clock.now())
            try:
                feed_id = self.gateway.submit_quantity_feed([r.update for r in batch])
            except AmazonError as exc:
                if not _retryable(exc):
                    self._reject(batch, "feed", {r.id: exc.message for r in batch})
                    continue
                self._close(batch, State.PENDING, "feed", _name(exc))
                if isinstance(exc, AmazonAuthError):
                    raise
                continue
            with self.engine.begin() as conn:
                ob.mark_sent(conn, [r.id for r in batch], feed_id)
            with self._lock:
                self.report.feed_ids.append(feed_id)
            submitted.append((feed_id, batch))
        for feed_id, batch in submitted:
            self._finish_feed(feed_id, batch)

    def _finish_feed(self, feed_id: str, rows: list[OutboxRow]) -> None:
        try:
            result = self.gateway.wait_for_feed(feed_id)
        except AmazonError as exc:
            if not _retryable(exc):
                self._reject(
                    rows, "feed", {r.id: f"feed {feed_id}: {exc.message}" for r in rows}, feed_id
                )
                return
            # The feed id stays recorded (state sent): the next push polls it again.
            self._note(
                rows, State.SENT, "feed", f"feed {feed_id} not read: {exc.message}", feed_id=feed_id
            )
            if isinstance(exc, AmazonAuthError):
                raise
            return
        errors = feed_errors(result, rows)
        good = [r for r in rows if r.id not in errors]
        self._close(good, State.ACCEPTED, "feed", feed_id=feed_id)
        self._reject([r for r in rows if r.id in errors], "feed", errors, feed_id)

    def _reject(
        self, rows: list[OutboxRow], via: str, errors: dict[int, str], feed_id: str | None = None
    ) -> None:
        """Amazon refused: retry once (back to pending), then fail for good."""
        with self._lock:
            again = {r.id for r in rows if r.id in self.rejected_once}
            self.rejected_once.update(r.id for r in rows)
        for state, group in (
            (State.PENDING, [r for r in rows if r.id not in again]),
            (State.FAILED, [r for r in rows if r.id in again]),
        ):
            self._close(group, state, via, errors, feed_id=feed_id)

    def _close(
        self,
        rows: list[OutboxRow],
        state: State,
        via: str,
        errors: dict[int, str] | str | None = None,
        *,
        submission_id: str | None = None,
        feed_id: str | None = None,
    ) -> None:
        """Record Amazon's answer for ``rows`` (one transaction) and note it in the report."""
        if not rows:
            return
        message = {r.id: errors.get(r.id) if isinstance(errors, dict) else errors for r in rows}
        changes = [
            {"id": r.id, "state": state, "error": message[r.id], "submission_id": submission_id}
            for r in rows
        ]
        with self.engine.begin() as conn:
            ob.set_states(conn, changes, self.clock.now())
        with self._lock:
            for r in rows:
                self.report.outcomes[r.id] = PushOutcome(
                    r.sku,
                    r.marketplace_id,
                    r.quantity,
                    state,
                    via,
                    submission_id,
                    feed_id,
                    message[r.id] or "",
                )

    def _note(
        self,
        rows: list[OutboxRow],
        state: State,
        via: str,
        message: str,
        *,
        feed_id: str | None = None,
    ) -> None:
        """Report rows whose outbox state does not change (deferred, feed still processing)."""
        with self._lock:
            for r in rows:
                self.report.outcomes[r.id] = PushOutcome(
                    r.sku, r.marketplace_id, r.quantity, state, via, None, feed_id, message
                )


def _name(exc: AmazonError) -> str:
    return f"{type(exc).__name__}: {exc.message}"


def _retryable(exc: AmazonError) -> bool:
    """Worth trying again later (the world failed), as opposed to Amazon refusing the request."""
    return exc.transient or isinstance(exc, AmazonAuthError)
