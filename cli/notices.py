"""The service's voice: one printed line per action, and alerts through the digest.

``Notices`` consumes the reports the jobs already get back (PassReport, PushReport,
VerifyReport, the cancellations' ApplyResult, the rate reports) and what others wrote to
the store since the service started (feeds the drift guard refused, buyer cancellation
requests and return requests from mail). Each event is printed at once (``echo``) and kept
for the next digest (at most one message per ``[notify] digest_minutes``); the engine is
not touched: page checks are counted by wrapping the engine's checker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction

from sqlalchemy import Engine, func, select

from stockguard.cancellations.apply import ApplyResult
from stockguard.cancellations.report import MarketplaceReport
from stockguard.cancellations.store.mail import list_cancel_requests, list_returns
from stockguard.core.clock import Clock
from stockguard.core.config import Settings
from stockguard.core.domain import Observation, Source
from stockguard.core.i18n import tr
from stockguard.core.store.feed_tables import feed_imports
from stockguard.sync.engine import PassReport, SourceChecker
from stockguard.sync.notify.digest import Digest, Send
from stockguard.sync.notify.events import Event, Topic, change_event, push_events, verify_events
from stockguard.sync.notify.watch import HostWatch, RateWatch
from stockguard.sync.push_report import PushReport
from stockguard.sync.readback import VerifyReport


class Notices:
    """Events from the jobs' reports: printed, watched, and batched into digests."""

    def __init__(
        self, settings: Settings, clock: Clock, echo: Callable[[str], None], send: Send | None
    ) -> None:
        notify = settings.notify
        self.echo = echo
        self.digest = (
            Digest(send, clock, notify.digest_minutes * 60, notify.lines_per_topic)
            if send is not None
            else None
        )
        self.hosts = HostWatch(notify.host_unknown_share, notify.host_min_checks)
        self.rates = RateWatch(Fraction(str(notify.rate_margin)))
        self._seen_mail: set[str] | None = None
        self._feed_mark: int | None = None

    def record(self, events: Iterable[Event]) -> None:
        """Print each event and keep it for the digest."""
        found = list(events)
        for event in found:
            self.echo(event.text)
        if self.digest is not None:
            self.digest.add(found)

    def checker(self, checker: SourceChecker) -> SourceChecker:
        """The same checker, counting each page check per supplier host."""

        def check(sources: Sequence[Source]) -> Iterator[Observation]:
            for observation in checker(sources):
                self.hosts.observe(observation)
                yield observation

        return check

    def passed(self, report: PassReport) -> None:
        """A check pass (or an order's fresh check): zeroings, restores, refusals, hosts."""
        self.record(
            change_event(
                c.decision.sku,
                c.decision.marketplace,
                c.decision.target_quantity,
                c.current,
                c.decision.reason,
                c.decision.evidence,
                c.decision.source_ref,
            )
            for c in report.changes
        )
        self.pushed(report.pushed)
        self.verified(report.verified)
        self.record(self.hosts.events())

    def pushed(self, report: PushReport | None) -> None:
        self.record(push_events(report))

    def verified(self, report: VerifyReport | None) -> None:
        self.record(verify_events(report))

    def cancelled(self, result: ApplyResult) -> None:
        """Orders Amazon cancelled, and those it refused to."""
        self.record(
            Event(Topic.CANCELLED, tr("cancelled order {order} {reason}", order=o, reason=how))
            for o, how in sorted(result.done.items())
        )
        self.record(
            Event(
                Topic.PUSH_REFUSED,
                tr("cancellation of order {order} failed: {error}", order=o, error=err[:120]),
            )
            for o, err in sorted(result.failed.items())
        )

    def rates_seen(self, reports: Iterable[MarketplaceReport]) -> None:
        """Each marketplace's 7-day rate against its target."""
        for report in reports:
            code, today = report.marketplace.code, report.current
            self.record(self.rates.update(code, today.rate, report.target))

    def watch_store(self, db: Engine) -> None:
        """Mail and feed imports recorded since the service started (by any process)."""
        requests = [(Topic.BUYER_REQUEST, r) for r in list_cancel_requests(db)]
        requests += [(Topic.RETURN_REQUEST, r) for r in list_returns(db, state=None)]
        feeds_query = select(
            feed_imports.c.id,
            feed_imports.c.supplier,
            feed_imports.c.file_name,
            feed_imports.c.status,
            feed_imports.c.message,
        )
        with db.connect() as conn:
            mark = int(conn.scalar(select(func.coalesce(func.max(feed_imports.c.id), 0))) or 0)
            refused = (
                conn.execute(
                    feeds_query.where(
                        feed_imports.c.id > self._feed_mark, feed_imports.c.status == "refused"
                    ).order_by(feed_imports.c.id)
                ).all()
                if self._feed_mark is not None
                else []
            )
        self._feed_mark = mark
        self.record(
            Event(
                Topic.FEED_REFUSED,
                tr(
                    "feed {supplier} {file} refused: {why}",
                    supplier=r.supplier,
                    file=r.file_name,
                    why=r.message[:160],
                ),
            )
            for r in refused
        )
        first = self._seen_mail is None
        seen = self._seen_mail or set()
        new = [(t, r) for t, r in requests if r.message_id not in seen]
        self._seen_mail = seen | {r.message_id for _, r in requests}
        if first:
            return  # what was there before the service started is not news
        self.record(
            Event(
                topic,
                tr("buyer asks to cancel order {order}", order=r.order_id)
                if topic is Topic.BUYER_REQUEST
                else tr(
                    "return requested for order {order}: {reason}",
                    order=r.order_id,
                    reason=r.reason or "-",
                ),
            )
            for topic, r in new
        )

    def tick(self) -> None:
        """Send the digest if its interval has passed."""
        if self.digest is not None:
            self.digest.tick()

    def flush(self) -> None:
        """Send what waits now (the end of a `sync --once`)."""
        if self.digest is not None:
            self.digest.close()

    def stopped(self, summary: str) -> None:
        """The service stops: the summary goes out with whatever waits (the caller prints it)."""
        if self.digest is not None:
            self.digest.add([Event(Topic.STOPPED, summary)])
            self.digest.close()
