"""Drain the outbox through the Amazon gateway: only changes, urgent zeroings first, bulk by feed.

Every request is preceded by a committed ``sending`` claim and followed by a committed close,
so a crash at any point leaves the outbox telling the truth (see core/store/outbox_tables.py).
One push at a time per database: across processes the run lock (sync/runlock.py) sees to it,
within a process ``push`` holds a lock per database. A push:

1. enqueues the new targets (a newer target supersedes older ``pending`` rows of its pool:
   the SKU's one quantity, whichever marketplace a row names) and turns rows a crash left in
   ``sending`` back into ``pending`` (a quantity is absolute, so re-sending is idempotent);
2. supersedes every ``pending`` row that has a newer target of the same pool (SKU),
   so an earlier decision never follows a later one to Amazon;
3. sends the pending rows: when there are more than ``patch_burst_max``, the first
   ``patch_burst_max`` zeroings go out one by one through patchListingsItem while everything
   else goes out as JSON_LISTINGS_FEEDs (≤ 25,000 messages each, one per marketplace) on a
   worker thread. A feed whose quota is not free now is not waited for: its rows stay
   ``pending`` for a later push (``wait=True`` waits);
4. polls each feed in flight once (one getFeed): a feed still processing is left ``sent`` for
   the next push; a finished one closes its rows from the processing report. When a finished
   feed's SKU has a newer row already accepted or applied, that row is sent again ("re-asserted"):
   the older feed may have landed after it. ``wait=True`` polls each feed to its end instead;
5. retries the rows Amazon refused once (a row refused on its second attempt is ``failed``);
   rows that met a transient failure stay ``pending`` for the next push.

Which rows go by feed and what a finished feed refused are decided in sync/push_feed.py;
``verify`` (sync/readback.py, re-exported here) reads quantities back: ACCEPTED is not
"applied" (pitfall 5).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import Engine

from stockguard.core.amazon.results import FeedResult, SubmissionResult
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.config import AmazonSettings
from stockguard.core.domain import QuantityUpdate
from stockguard.core.errors import AmazonAuthError, AmazonError
from stockguard.core.store import outbox as ob
from stockguard.core.store import outbox_order as order
from stockguard.core.store.outbox import OutboxRow, State, Target
from stockguard.sync.push_feed import describe_issues, feed_batches, feed_errors, plan
from stockguard.sync.push_report import PushOutcome, PushReport
from stockguard.sync.readback import VerifyReport, verify

__all__ = ["PushOutcome", "PushReport", "QuantityGateway", "VerifyReport", "push", "verify"]

# A feed whose quotas (submitting it, or reading it) are due within this many seconds is
# handled now; a longer wait is left to a later push, so no push (and no zeroing behind it)
# waits minutes for a feed's token.
FEED_QUOTA_PATIENCE_SECONDS = 2.0
FEED_SUBMIT = ("feedType:JSON_LISTINGS_FEED", "createFeedDocument", "createFeed")
FEED_READ = ("getFeed", "getFeedDocument")
ROUNDS = 3  # send, then the first refusals and re-asserted rows, then their feed refusals

_registry_lock = threading.Lock()
_push_locks: dict[str, threading.Lock] = {}


class QuantityGateway(Protocol):
    """The part of AmazonGateway the pusher uses."""

    settings: AmazonSettings

    def patch_quantity(self, update: QuantityUpdate) -> SubmissionResult: ...

    def submit_quantity_feed(self, updates: Sequence[QuantityUpdate]) -> str: ...

    def wait_for_feed(self, feed_id: str) -> FeedResult: ...

    def feed_result_if_done(self, feed_id: str) -> FeedResult | None: ...

    def quota_wait(self, operations: Sequence[str]) -> float: ...

    def get_quantity(self, sku: str, *, marketplace_id: str | None = None) -> int | None: ...


def push(
    db: Engine,
    gateway: QuantityGateway,
    updates: Iterable[QuantityUpdate | Target] | None = None,
    clock: Clock | None = None,
    *,
    reason: str = "manual",
    force: bool = False,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> PushReport:
    """Enqueue ``updates`` (if any) and drain the outbox; see the module docstring.

    An update equal to what Amazon last accepted (or to a target already queued) is skipped
    and listed in ``report.unchanged``, unless ``force``. ``wait``: wait for feed quotas and
    poll each feed to its end (``on_wait(feed_id)`` is called before each wait); by default
    a push never waits for a feed.
    """
    with push_lock(db):
        run = _Push(db, gateway, clock or SystemClock(), wait, on_wait)
        if updates is not None:
            targets = [u if isinstance(u, Target) else Target(u, reason) for u in updates]
            run.enqueue(targets, force)
        run.release()
        wanted: set[int] | None = None  # first round: every pending row
        for _ in range(ROUNDS):
            with db.begin() as conn:
                run.report.superseded += order.supersede_older_pending(conn, run.clock.now())
            with db.connect() as conn:
                rows = ob.rows_in(conn, State.PENDING, ids=wanted)
            if rows:
                run.send_round(rows)
            run.poll_feeds()
            wanted, run.again = run.again, set()
            if not wanted:
                break
        return run.report


def push_lock(db: Engine) -> threading.Lock:
    """The lock that keeps two threads of one process from pushing to one database at once
    (a read-back recorded under it cannot land between a push's enqueue and its answer)."""
    key = db.url.render_as_string(hide_password=True)
    with _registry_lock:
        return _push_locks.setdefault(key, threading.Lock())


class _Push:
    """One push run: the engine, the gateway and what happened so far."""

    def __init__(
        self,
        db: Engine,
        gateway: QuantityGateway,
        clock: Clock,
        wait: bool,
        on_wait: Callable[[str], None] | None,
    ) -> None:
        self.db = db
        self.gateway = gateway
        self.clock = clock
        self.wait = wait
        self.on_wait = on_wait
        self.burst = max(0, gateway.settings.patch_burst_max)
        self.report = PushReport()
        self.again: set[int] = set()  # rows to send in the next round (refused once, re-asserted)
        self.polled: set[str] = set()  # feeds read in this push (each once)
        self.submitted: set[str] = set()  # feeds submitted in this push
        self._lock = threading.Lock()

    def enqueue(self, targets: list[Target], force: bool) -> None:
        with self.db.begin() as conn:
            result = ob.enqueue(conn, targets, self.clock.now(), force=force)
        self.report.queued = len(result.queued)
        self.report.unchanged = result.unchanged + result.duplicate

    def release(self) -> None:
        """Rows a crash left ``sending`` (answer never recorded) go back to ``pending``."""
        with self.db.begin() as conn:
            self.report.resumed += ob.release_interrupted(conn)

    def poll_feeds(self) -> None:
        """Read each feed in flight once (to its end when ``wait``); close what finished."""
        with self.db.connect() as conn:
            sent = ob.rows_in(conn, State.SENT)
        by_feed: dict[str, list[OutboxRow]] = {}
        for row in sent:  # oldest first = the order the feed's messages were numbered in
            by_feed.setdefault(row.feed_id or "", []).append(row)
        for feed_id, rows in by_feed.items():
            if feed_id in self.polled:
                continue
            self.polled.add(feed_id)
            if feed_id not in self.submitted:
                self.report.resumed += len(rows)
            self._finish_feed(feed_id, rows)

    def send_round(self, rows: list[OutboxRow]) -> None:
        patch_rows, feed_rows = plan(rows, self.burst)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed") as pool:
            feeds = pool.submit(self._send_feeds, feed_rows) if feed_rows else None
            self._send_patches(patch_rows)
            if feeds is not None:
                feeds.result()

    def _claim(self, rows: list[OutboxRow], kind: str) -> list[OutboxRow]:
        """Mark rows ``sending``; only the rows still pending are returned (and sent)."""
        with self.db.begin() as conn:
            ids = set(ob.mark_sending(conn, [r.id for r in rows], kind, self.clock.now()))
        return [dataclasses.replace(r, attempts=r.attempts + 1) for r in rows if r.id in ids]

    def _send_patches(self, rows: list[OutboxRow]) -> None:
        for index, row in enumerate(rows):
            claimed = self._claim([row], "patch")
            if not claimed:
                continue  # superseded since it was read
            row = claimed[0]
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
        if not self.wait:
            due = self.gateway.quota_wait(FEED_SUBMIT)
            if due > FEED_QUOTA_PATIENCE_SECONDS:
                # Rows stay pending: a later push submits them when the quota is back.
                self._note(rows, State.PENDING, "feed", f"feed quota free in {due:.0f} s")
                return
        for batch in feed_batches(rows):
            batch = self._claim(batch, "feed")
            if not batch:
                continue
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
            with self.db.begin() as conn:
                ob.mark_sent(conn, [r.id for r in batch], feed_id)
            with self._lock:
                self.report.feed_ids.append(feed_id)
                self.submitted.add(feed_id)
            self._note(batch, State.SENT, "feed", f"feed {feed_id} processing", feed_id=feed_id)

    def _finish_feed(self, feed_id: str, rows: list[OutboxRow]) -> None:
        try:
            result = self._read_feed(feed_id)
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
        if result is None:
            self._note(rows, State.SENT, "feed", f"feed {feed_id} processing", feed_id=feed_id)
            return
        errors = feed_errors(result, rows)
        good = [r for r in rows if r.id not in errors]
        self._close(good, State.ACCEPTED, "feed", feed_id=feed_id)
        self._reject([r for r in rows if r.id in errors], "feed", errors, feed_id)
        self._reassert_newer(feed_id, good)

    def _read_feed(self, feed_id: str) -> FeedResult | None:
        if not self.wait:
            if self.gateway.quota_wait(FEED_READ) > FEED_QUOTA_PATIENCE_SECONDS:
                return None  # read by a later push: never wait for a feed's quota here
            return self.gateway.feed_result_if_done(feed_id)
        if self.on_wait is not None:
            self.on_wait(feed_id)
        return self.gateway.wait_for_feed(feed_id)

    def _reassert_newer(self, feed_id: str, applied: list[OutboxRow]) -> None:
        """A newer row of a SKU this feed just set was accepted earlier: send it again, so the
        older feed (Amazon applies it whenever it processes it) cannot have the last word."""
        note = f"re-asserted: older feed {feed_id} finished after it"
        with self.db.begin() as conn:
            newer = order.newer_done_rows(conn, applied)
            order.reassert(conn, [r.id for r in newer], note)
        self.report.reasserted += len(newer)
        self.again.update(r.id for r in newer)

    def _reject(
        self, rows: list[OutboxRow], via: str, errors: dict[int, str], feed_id: str | None = None
    ) -> None:
        """Amazon refused: a first refusal goes back to pending (retried in the next round),
        a refusal of a row's second attempt is final (``failed``)."""
        final = [r for r in rows if r.attempts >= 2]
        retry = [r for r in rows if r.attempts < 2]
        self._close(retry, State.PENDING, via, errors, feed_id=feed_id)
        self._close(final, State.FAILED, via, errors, feed_id=feed_id)
        with self._lock:
            self.again.update(r.id for r in retry)

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
        with self.db.begin() as conn:
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
