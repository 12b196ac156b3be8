"""`stockguard sync --once`, `plan`, `run` and `status`: the engine's commands."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from stockguard.cli.context import AppContext, hide_passwords_in_logs
from stockguard.cli.plain import plain, styled
from stockguard.cli.progress import progress_display
from stockguard.core.clock import SystemClock
from stockguard.core.domain import Observation, Source
from stockguard.core.i18n import tr, when
from stockguard.sync.engine import Change, PassReport, SourceChecker

if TYPE_CHECKING:
    from stockguard.cli.jobs import JobCounters
    from stockguard.sync.scheduler import JobStats

commands: list[click.Command] = []
console = Console()


@click.command("sync")
@click.option("--once", is_flag=True, required=True, help="Run one pass and exit.")
@click.option(
    "--budget",
    type=click.IntRange(min=0),
    help="Supplier checks in this pass (at most what [planner] checks_per_hour has left).",
)
@click.pass_obj
def sync_command(app: AppContext, once: bool, budget: int | None) -> int:
    """One pass: check what is due, decide, push the changes, read them back.

    \b
    Example:
      stockguard sync --once
      stockguard sync --once --budget 200
    """
    from stockguard.cli.notices import Notices
    from stockguard.cli.wiring import wire
    from stockguard.cli.writer import sole_writer
    from stockguard.core.amazon.account import library_credentials, seller_id
    from stockguard.sync.notify.sender import AppriseSender

    # Credentials first: a pass that cannot push must not check every supplier before failing.
    library_credentials(app.settings.secrets)
    seller_id(app.settings.amazon)
    _warn_over_budget(budget, app.settings.planner.checks_per_hour)
    clock = SystemClock()
    urls = app.settings.secrets.notify_urls
    notices = Notices(
        app.settings, clock, lambda _line: None, AppriseSender(urls) if urls else None
    )
    wired = wire(app.settings, clock)
    try:
        # One writer per database: beside `stockguard run` (or another sender) this refuses.
        with sole_writer(wired.db, clock, "sync", app.settings):
            wired.engine.load()
            with progress_display() as progress:
                checker = notices.checker(wired.engine.checker)
                wired.engine.checker = with_progress(checker, progress)
                report = wired.engine.sync_once(budget)
            if report.checked:  # nothing checked: the stored schedule is still true
                wired.engine.save_schedule()
    finally:
        wired.close()
    notices.passed(report)  # with [notify] urls: the pass's zeroings, restores and refusals
    notices.flush()
    _print_pass(report)
    failed = report.pushed is not None and not report.pushed.ok
    requeued = report.verified is not None and bool(report.verified.requeued)
    return 1 if failed or requeued or report.unknown_by_supplier else 0


@click.command("plan")
@click.option("--all", "show_all", is_flag=True, help="Show every listing, not only changes.")
@click.option("--account", metavar="NAME", help="Only this seller account's listings.")
@click.pass_obj
def plan_command(app: AppContext, show_all: bool, account: str | None) -> int:
    """Dry run: what a `sync --once` would send to Amazon and why. Sends nothing.

    Per listing: Amazon's quantity now (last accepted or read back, or "not read yet"), the
    policy's target, its reason and evidence, and where its delivery stands (not sent,
    queued, sent with the feed still processing, refused).

    With several seller accounts an Account column tells them apart; --account shows one.

    \b
    Example:
      stockguard plan
      stockguard plan --all
      stockguard plan --account export-na
    """
    from stockguard.cli.plan_view import plan_rows, plan_table, summary
    from stockguard.cli.wiring import wire
    from stockguard.core.accounts import accounts, find_account
    from stockguard.sync.status_query import deliveries

    if account is not None:
        find_account(app.settings, account)  # a misspelt name is refused, not shown as empty
    several = account is None and len(accounts(app.settings)) > 1
    wired = wire(app.settings, SystemClock())
    try:
        wired.engine.load(planner=False)
        total = sum(1 for key in wired.engine.listings if account in (None, key.account))
        # Only listings whose decision can have changed are decided again (--all: every one);
        # the others stand as last decided and recorded.
        decisions, changes = wired.engine.preview(None if show_all else wired.engine.due())
        if account is not None:
            decisions = [d for d in decisions if d.account == account]
            changes = [c for c in changes if c.decision.account == account]
        changed = [c.decision for c in changes]
        with wired.db.connect() as conn:
            found = deliveries(conn, [d.sku for d in decisions])
    finally:
        wired.close()
    rows = plan_rows(decisions, changed, found)
    shown = rows if show_all else [r for r in rows if r.changes]
    console.print(plan_table(shown, "Planned changes (nothing sent)", several))
    console.print(plain(tr("{shown} listing(s) shown of {total}", shown=len(shown), total=total)))
    if not show_all:
        console.print(
            plain(
                tr(
                    "{decided} decided again now, the others unchanged since their last decision",
                    decided=len(decisions),
                )
            )
        )
    console.print(plain(summary(rows)))
    return 0


@click.command("run")
@click.option("--for", "seconds", type=float, help="Stop after this many seconds.")
@click.option("--verbose", is_flag=True, help="Also log each job the scheduler runs.")
@click.option(
    "--workers",
    "distributed",
    is_flag=True,
    help="Dispatch checks to `stockguard worker` processes (PostgreSQL; or [workers] enabled).",
)
@click.pass_obj
def run_command(app: AppContext, seconds: float | None, verbose: bool, distributed: bool) -> int:
    """The scheduled service: checks, pushes, read-backs, orders, cancellations, report.

    Prints one line per thing done (a listing zeroed or restored, an order cancelled, a
    supplier host failing, a push refused); with [notify] urls, sends them as digests.
    Checks run one at a time, pushes and read-backs beside them on their own thread; a
    failing job is logged and retried next time; SIGTERM or
    Ctrl-C stops after the running job. A second `run` on the same database is refused.

    With --workers (store on PostgreSQL) `run` is the dispatcher: it defers the due checks
    as one batch per supplier host to `stockguard worker` processes, and decides and pushes
    what they saw (docs/workers.md).

    \b
    Example:
      stockguard run
      stockguard --db shop.db run --for 3600 --verbose
      stockguard --db postgresql+psycopg://stockguard@db/stockguard run --workers
    """
    from stockguard.cli.jobs import JobCounters, build_jobs
    from stockguard.cli.notices import Notices
    from stockguard.cli.wiring import wire
    from stockguard.sync.notify.sender import AppriseSender
    from stockguard.sync.runlock import RunLock
    from stockguard.sync.scheduler import Service

    # The scheduler's "job executed" lines only when asked for: the actions speak otherwise.
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    hide_passwords_in_logs()  # a job failure may quote the database URL
    for chatty in ("httpx", "urllib3"):  # one line per HTTP request is noise here
        logging.getLogger(chatty).setLevel(logging.WARNING)
    settings, clock = app.settings, SystemClock()
    distributed = distributed or settings.workers.enabled
    if distributed:
        from stockguard.sync.workers.jobs_app import require_postgres

        require_postgres(settings)  # before anything opens: SQLite is a config error (exit 2)
    urls = settings.secrets.notify_urls
    notices = Notices(settings, clock, _action_line, AppriseSender(urls) if urls else None)
    stopping = threading.Event()  # set by SIGTERM: also ends the gateways' waits on Amazon
    wired = wire(settings, clock, amazon_clock=SystemClock(interrupt=stopping))
    lock = RunLock(wired.db, clock)
    counters = JobCounters()
    stats = None
    try:
        lock.acquire()
        try:
            extra = []
            if distributed:
                from stockguard.cli.workers import start_dispatching

                extra = start_dispatching(wired, settings, clock)
            jobs = build_jobs(wired, settings, clock, lock, counters, notices) + extra
            stats = Service(jobs, clock, stopping).run_until_stopped(seconds)
            wired.engine.save_schedule()  # the next start resumes the planner's state
        finally:
            lock.release()
    finally:
        wired.close()
        if stats is not None:  # a refused start (another run holds the lock) is no stop
            notices.stopped(_stopped_line(counters, stats.jobs))
    assert stats is not None  # lock.acquire() raises when it is refused
    click.echo(_stopped_line(counters, stats.jobs))
    failures = {name: s.failures for name, s in stats.jobs.items() if s.failures}
    return 1 if failures else 0


def _action_line(text: str) -> None:
    console.print(plain(f"{when(SystemClock().now(), seconds=True)} {text}"), highlight=False)


def _stopped_line(counters: JobCounters, jobs: Mapping[str, JobStats]) -> str:
    failures = {name: s.failures for name, s in jobs.items() if s.failures}
    return tr(
        "stopped: {passes} check passes, {changes} changes, {orders} new orders; "
        "job failures: {failures}",
        passes=counters.passes,
        changes=counters.changes,
        orders=counters.orders_pulled,
        failures=", ".join(f"{k} {v}" for k, v in failures.items()) or tr("none"),
    )


@click.command("status")
@click.option("--account", metavar="NAME", help="Only this seller account's listings and pushes.")
@click.pass_obj
def status_command(app: AppContext, account: str | None) -> int:
    """One screen: what Amazon shows, what the policy wants, where and why they differ.

    On Amazon: the quantity Amazon last accepted or showed on read-back (live / at 0 / never
    read). The policy: the newest decision per listing (live / at 0 with its reasons). Where
    they differ: queued, waiting for a quota, sent awaiting Amazon, refused, not yet read,
    not yet decided. Then checks per hour, the last push, open outbox rows, unreadable hosts,
    and each item API's quota use (items read in the last hour of what its quota allows).

    With several seller accounts: each account's listings, or one account's figures with
    --account (supplier checks and hosts are shared by all accounts).

    \b
    Example:
      stockguard status
      stockguard status --account export-na
    """
    from stockguard.cli.apis import hourly_capacity
    from stockguard.core.accounts import find_account
    from stockguard.core.store import open_store
    from stockguard.sync.status import read_status

    if account is not None:
        find_account(app.settings, account)  # a misspelt name is refused, not shown as empty
    db = open_store(app.settings.store.url)
    try:
        status = read_status(db, SystemClock().now(), hourly_capacity(app.settings), account)
    finally:
        db.dispose()
    table = Table(title=tr("stockguard status"), show_header=False)
    for label, value in status.rows():
        table.add_row(plain(label), plain(value))
    console.print(table)
    return 0


def _warn_over_budget(budget: int | None, hourly: int) -> None:
    """--budget is capped by the hourly budget (supplier politeness): say so, do not hide it."""
    if budget is not None and budget > hourly:
        click.echo(
            f"warning: --budget {budget} is above [planner] checks_per_hour = {hourly}: a pass "
            "never checks more than the hour's budget has left (raise checks_per_hour to check "
            "more)",
            err=True,
        )


def with_progress(checker: SourceChecker, progress: Progress) -> SourceChecker:
    """The same checker, advancing a progress bar as each source's observation comes in."""

    def check(sources: Sequence[Source]) -> Iterator[Observation]:
        task = progress.add_task(tr("checking supplier pages"), total=len(sources))
        for observation in checker(sources):
            progress.advance(task)
            yield observation

    return check


def _print_pass(report: PassReport) -> None:
    checked = ", ".join(f"{k} {v}" for k, v in sorted(report.checked.items())) or tr("none")
    console.print(plain(tr("checked: {checked}", checked=checked)))
    if report.unknown_by_supplier:
        hosts = ", ".join(f"{h} {n}" for h, n in report.unknown_by_supplier.most_common())
        line = tr("could not read (listings zeroed): {hosts}", hosts=hosts)
        console.print(styled((line, "yellow")))
    console.print(_changes_table(report.changes, tr("Changes sent to Amazon")))
    if report.pushed is not None:
        pushed = report.pushed
        flying = len(pushed.in_flight)
        in_flight = tr(", {count} in a feed still processing", count=flying) if flying else ""
        line = tr(
            "pushed: {accepted} accepted, {refused} refused, {deferred} left for the next push",
            accepted=len(pushed.accepted),
            refused=len(pushed.failed),
            deferred=len(pushed.deferred),
        )
        console.print(plain(line + in_flight))
        for outcome in pushed.failed:
            line = tr("refused: {sku}: {message}", sku=outcome.sku, message=outcome.message)
            console.print(plain(line))
    if report.verified is not None:
        line = tr(
            "read back: {applied} applied, {requeued} re-queued (Amazon did not apply)",
            applied=len(report.verified.applied),
            requeued=len(report.verified.requeued),
        )
        console.print(plain(line))


CHANGE_COLUMNS = ("SKU", "market", "Amazon now", "target", "reason", "evidence")


def _changes_table(changes: list[Change], title: str) -> Table:
    table = Table(title=title)
    for column in CHANGE_COLUMNS:
        table.add_column(tr(column))
    for change in changes:
        d = change.decision
        now = "?" if change.current is None else str(change.current)
        cells = (d.sku, d.marketplace, now, d.target_quantity, d.reason, d.evidence[:80])
        table.add_row(*map(plain, cells))
    return table


commands.extend([sync_command, plan_command, run_command, status_command])
