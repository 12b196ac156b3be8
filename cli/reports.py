"""`stockguard report cancellations`, `intake mail` and `returns list`: the rate and the mail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stockguard.cli.context import AppContext
from stockguard.cli.plain import plain
from stockguard.core.i18n import tr, when

commands: list[click.Command] = []

# --- report cancellations, intake mail, returns list (issue 4 parts 4-6) ----------------------


if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from stockguard.cancellations.intake import IntakeSummary
    from stockguard.core.clock import Clock
    from stockguard.core.config import Settings


@click.group("report")
def report_group() -> None:
    """Reports on the seller account.

    \b
    Example:
      stockguard report cancellations --html rate.html
    """


@report_group.command("cancellations")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First report day.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last report day.")
@click.option("--marketplace", "markets", multiple=True, metavar="CODE", help="US, JP, … (repeat).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--png", "png_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--health", is_flag=True, help="Fetch Amazon's account-health report first.")
@click.option(
    "--account",
    metavar="NAME",
    help="Only this seller account (default: each account's rate, shown separately).",
)
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="CSV encoding: UTF-8 with BOM (Excel), plain UTF-8, or CP932 (Shift_JIS).",
)
@click.pass_obj
def report_cancellations_command(
    app: AppContext,
    first: datetime | None,
    last: datetime | None,
    markets: tuple[str, ...],
    csv_path: Path | None,
    html_path: Path | None,
    png_path: Path | None,
    health: bool,
    account: str | None,
    encoding: str,
) -> int:
    """The rolling 7-day cancellation rate per seller account, marketplace and day, and the
    budget left.

    Days are the marketplace's local calendar days (default: the last 7). Amazon's own figure
    is shown beside the local one once fetched with --health.

    \b
    Example:
      stockguard report cancellations
      stockguard report cancellations --from 2026-03-01 --to 2026-03-14 --marketplace US \\
          --csv rate.csv --html rate.html --png rate.png --health
    """
    from rich.console import Console

    from stockguard.cancellations.chart import write_png
    from stockguard.cancellations.report import write_csv
    from stockguard.cancellations.report_html import chart_title, render_html
    from stockguard.cancellations.report_run import gather_reports
    from stockguard.cli.progress import step
    from stockguard.cli.report_view import print_report
    from stockguard.core.accounts import accounts
    from stockguard.core.clock import SystemClock
    from stockguard.core.errors import InputError
    from stockguard.core.store import open_store

    settings, clock = app.settings, SystemClock()
    console, status = Console(), 0
    db = open_store(settings.store.url)
    try:
        if health:
            status = _fetch_health_or_warn(db, settings, clock, console, account)
        with step(tr("reading orders")):
            reports = gather_reports(
                db,
                settings.cancellations,
                clock.now(),
                markets=markets,
                first=first.date() if first else None,
                last=last.date() if last else None,
                account=account,
            )
    finally:
        db.dispose()
    if not reports:
        console.print(tr("No seller-fulfilled orders in the store (run `stockguard orders pull`)."))
        return status
    print_report(console, reports)
    several = len(accounts(settings)) > 1  # the account is shown when there are some to tell apart
    target = csv_path
    try:
        if csv_path is not None:
            rows = write_csv(reports, csv_path, encoding, several=several)
            console.print(plain(tr("{rows} rows written to {path}", rows=rows, path=csv_path)))
        if html_path is not None:
            target = html_path
            page = render_html(reports, clock.now(), several=several)
            html_path.write_text(page, encoding="utf-8")
            console.print(plain(tr("HTML report written to {path}", path=html_path)))
        if png_path is not None:
            target = png_path
            charts = [(chart_title(r, several), r.days, r.target) for r in reports]
            write_png(charts, png_path)
            console.print(plain(tr("chart written to {path}", path=png_path)))
    except OSError as exc:
        raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return status


def _fetch_health_or_warn(
    db: Engine, settings: Settings, clock: Clock, console: Console, account: str | None
) -> int:
    """Fetch Amazon's figures through each account's own gateway (``account``: only its); on
    an Amazon failure say so and go on with the other accounts and the local figures (1)."""
    from stockguard.cancellations.report_run import fetch_health
    from stockguard.core.accounts import accounts, find_account
    from stockguard.core.amazon.gateway import AmazonGateway
    from stockguard.core.errors import AmazonError

    chosen = [find_account(settings, account)] if account else list(accounts(settings))
    status = 0
    for one in chosen:
        whose = "" if len(chosen) == 1 else f" ({one.name})"
        try:
            with AmazonGateway(one.amazon, one.secrets, clock) as gateway:
                figures = fetch_health(db, gateway, clock.now(), one.name)
        except AmazonError as exc:
            console.print(
                plain(f"warning: account-health report{whose} unavailable: {exc.message}")
            )
            status = 1
            continue
        console.print(
            plain(f"Amazon's account-health figures{whose}: {len(figures)} marketplace(s)")
        )
    return status


@click.group("intake")
def intake_group() -> None:
    """Read what Amazon sends outside the API (notification emails).

    \b
    Example:
      stockguard intake mail --mbox ~/Mail/amazon.mbox
    """


@intake_group.command("mail")
@click.option(
    "--eml",
    "eml_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An .eml file (repeat).",
)
@click.option("--mbox", "mbox_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--imap", "use_imap", is_flag=True, help="Read the [mail] IMAP folder (IMAPS).")
@click.option(
    "--imap-plain",
    is_flag=True,
    help="IMAP without TLS (only for a local test server or a local mail bridge).",
)
@click.pass_obj
def intake_mail_command(
    app: AppContext,
    eml_paths: tuple[Path, ...],
    mbox_path: Path | None,
    use_imap: bool,
    imap_plain: bool,
) -> int:
    """Buyer cancellation requests and return requests from Amazon's emails.

    "Order cancellation request from Amazon customer…" becomes an official buyer request,
    cross-checked with the order's API flag; "Return authorization request for order # …"
    becomes a return to decide (`stockguard returns list`). Other mail is ignored; a
    malformed look-alike is ignored with a warning. Each email is applied once (Message-ID).

    \b
    Example:
      stockguard intake mail --eml request.eml --mbox Amazon.mbox
      STOCKGUARD_IMAP_PASSWORD=… stockguard intake mail --imap
    """
    from stockguard.cancellations.imap import ImapConfig, ImapReader
    from stockguard.cancellations.intake import MailIntake, read_eml_files, read_mbox
    from stockguard.core.clock import SystemClock
    from stockguard.core.store import open_store
    from stockguard.core.store.orders import load_order

    if not (eml_paths or mbox_path or use_imap or imap_plain):
        raise click.UsageError("give --eml FILE, --mbox FILE or --imap")
    settings, clock = app.settings, SystemClock()
    db = open_store(settings.store.url)
    try:
        intake = MailIntake(db, lambda order_id: load_order(db, order_id), clock)
        intake.take_all(read_eml_files(eml_paths))
        if mbox_path is not None:
            intake.take_all(read_mbox(mbox_path))
        if use_imap or imap_plain:
            config = ImapConfig.from_settings(settings.mail, settings.secrets, tls=not imap_plain)
            ImapReader(config, intake, db, clock).run()
    finally:
        db.dispose()
    _print_intake(intake.summary)
    return 1 if intake.summary.malformed else 0


def _print_intake(summary: IntakeSummary) -> None:
    for event, check in summary.applied:
        what = "return request" if event.kind == "return-request" else "buyer cancellation request"
        note = f" (Orders API: {check})" if check else ""
        click.echo(f"{event.order_id}: {what}{note}  [{event.origin}]")
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{len(summary.applied)} applied, {len(summary.duplicates)} already applied, "
        f"{summary.ignored} ignored, {len(summary.malformed)} malformed"
    )


@click.group("returns")
def returns_group() -> None:
    """Return requests from Amazon's emails.

    \b
    Example:
      stockguard returns list
    """


@returns_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include returns no longer to decide.")
@click.pass_obj
def returns_list_command(app: AppContext, show_all: bool) -> int:
    """Returns to authorise or close in Seller Central, with the buyer's comment.

    \b
    Example:
      stockguard intake mail --mbox Amazon.mbox && stockguard returns list
    """
    from rich.console import Console
    from rich.table import Table

    from stockguard.cancellations.store.mail import list_returns
    from stockguard.core.domain import MARKETPLACES_BY_ID
    from stockguard.core.store import open_store

    db = open_store(app.settings.store.url)
    try:
        returns = list_returns(db, state=None if show_all else "to-decide")
    finally:
        db.dispose()
    console = Console()
    if not returns:
        console.print(tr("No return requests to decide."))
        return 0
    table = Table(title=tr("Return requests to decide"), show_lines=True)
    for column in ("Requested", "Order", "Market", "Item", "Qty", "Reason", "Buyer's comment"):
        table.add_column(tr(column), overflow="fold")
    for ret in returns:
        market = MARKETPLACES_BY_ID.get(ret.marketplace_id or "")
        cells = (
            when(ret.received_at),
            ret.order_id,
            market.code if market else "-",
            ret.item or ret.sku or "-",
            ret.quantity if ret.quantity is not None else "-",
            ret.reason or "-",
            ret.comment or "-",
        )
        table.add_row(*map(plain, cells))
    console.print(table)
    return 0


commands.extend([report_group, intake_group, returns_group])
