"""`stockguard` commands for the cancellations area."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.cli.context import AppContext

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from cancellations.reasons import SellerFlag, SupplierVerdict
    from cancellations.service import Plan

commands: list[click.Command] = []


# --- orders pull, cancellations plan / apply (issue 4 parts 1-3) ------------------------------


def _parse_since(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not ISO 8601 (2026-03-02T09:00:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@click.group("orders")
def orders_group() -> None:
    """Seller-fulfilled orders from Amazon (stored with their status history).

    \b
    Example:
      stockguard orders pull
    """


@orders_group.command("pull")
@click.option(
    "--since",
    callback=_parse_since,
    metavar="ISO-TIME",
    help="Fetch orders updated after this time (default: the last pull's mark, "
    "or 30 days back on the first pull).",
)
@click.pass_obj
def orders_pull_command(app: AppContext, since: datetime | None) -> int:
    """Fetch new and updated seller-fulfilled orders and their items; keep status history.

    \b
    Example:
      stockguard orders pull
      stockguard orders pull --since 2026-03-01T00:00:00Z
    """
    from cancellations.pull import pull_orders
    from sync.amazon.gateway import AmazonGateway
    from sync.clock import SystemClock
    from sync.store import open_store

    settings, clock = app.settings, SystemClock()
    engine = open_store(settings.store.url)
    try:
        with AmazonGateway(settings.amazon, settings.secrets, clock) as gateway:
            result = pull_orders(engine, gateway, clock, since=since)
    finally:
        engine.dispose()
    mark = result.high_water.isoformat() if result.high_water else "-"
    click.echo(
        f"{result.fetched} order(s) updated after {result.updated_after.isoformat()}: "
        f"{result.new} new, {result.updated} updated, {result.status_changes} status change(s); "
        f"next pull from {mark}"
    )
    return 0


@click.group("cancellations")
def cancellations_group() -> None:
    """Plan, then apply, order cancellations with the right reason.

    \b
    Example:
      stockguard cancellations plan
      stockguard cancellations apply
    """


def _parse_flags(values: tuple[str, ...]) -> dict[str, frozenset[SellerFlag]]:
    from cancellations.reasons import SellerFlag

    found: dict[str, set[SellerFlag]] = {}
    known = ", ".join(f.value for f in SellerFlag)
    for value in values:
        order_id, _, name = value.partition("=")
        try:
            flag = SellerFlag(name.strip())
        except ValueError:
            raise click.BadParameter(f"{value!r}: use ORDER-ID=FLAG, FLAG one of {known}") from None
        found.setdefault(order_id.strip(), set()).add(flag)
    return {k: frozenset(v) for k, v in found.items()}


def _verdict_lookup(engine: Engine, path: Path | None) -> Callable[[str], SupplierVerdict | None]:
    """SKU -> verdict: the --verdicts file first, else the SKU's feed-source observations.

    (Page-source observations are not in the store yet; the scheduled service passes its own
    verdicts to ``run_cancellations``.)
    """
    from cancellations.verdicts import combine_sources, read_verdict_file
    from sync.domain import Observation, SourceKind
    from sync.store.feeds import latest_feed_observations
    from sync.store.listings import get_listing

    given = read_verdict_file(path) if path is not None else {}
    feeds: dict[str, dict[str, Observation]] = {}

    def lookup(sku: str) -> SupplierVerdict | None:
        if sku in given:
            return given[sku]
        listing = get_listing(engine, sku)
        if listing is None:
            return None
        latest: dict[str, Observation] = {}
        for source in listing.sources:
            if source.kind is SourceKind.FEED:
                if source.supplier not in feeds:
                    feeds[source.supplier] = latest_feed_observations(engine, source.supplier)
                if source.ref in feeds[source.supplier]:
                    latest[source.ref] = feeds[source.supplier][source.ref]
        return combine_sources(listing, latest)

    return lookup


@cancellations_group.command("plan")
@click.option(
    "--verdicts",
    "verdicts_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV of supplier checks: sku,availability,checked_at,evidence.",
)
@click.option(
    "--flag",
    "flags",
    multiple=True,
    metavar="ORDER-ID=FLAG",
    help="Seller knowledge: cancel-message, price-mistake, undeliverable-address.",
)
@click.option("--no-pull", is_flag=True, help="Use the stored orders; do not ask Amazon.")
@click.option("--no-zero", is_flag=True, help="Do not zero listings at risk (report only).")
@click.option(
    "--lang",
    type=click.Choice(["en", "ja"]),
    default="en",
    show_default=True,
    help="Language of the ready-to-paste buyer reply.",
)
@click.pass_obj
def cancellations_plan_command(
    app: AppContext,
    verdicts_path: Path | None,
    flags: tuple[str, ...],
    no_pull: bool,
    no_zero: bool,
    lang: str,
) -> int:
    """List each proposed cancellation (order, items, reason, evidence, route) and record it.

    Official buyer requests become BuyerCanceled, fresh supplier stock-outs NoInventory;
    anything else goes to you with advice. Nothing is sent to Amazon: see `apply`.

    \b
    Example:
      stockguard cancellations plan
      stockguard cancellations plan --verdicts checks.csv --flag 112-1234567-1234567=cancel-message
    """
    from cancellations.ports import outbox_zeroer
    from cancellations.pull import pull_orders
    from cancellations.service import plan_cancellations
    from sync.amazon.gateway import AmazonGateway
    from sync.clock import SystemClock
    from sync.pusher import push
    from sync.store import open_store

    settings, clock = app.settings, SystemClock()
    seller_flags = _parse_flags(flags)
    engine = open_store(settings.store.url)
    try:
        lookup = _verdict_lookup(engine, verdicts_path)
        with AmazonGateway(settings.amazon, settings.secrets, clock) as gateway:
            if not no_pull:
                pull_orders(engine, gateway, clock)
            zero = None if no_zero else outbox_zeroer(engine, clock, "order at risk")
            plan = plan_cancellations(engine, clock, lookup, seller_flags, zero=zero)
            pushed = push(engine, gateway, clock=clock) if plan.zeroed else None
    finally:
        engine.dispose()
    _print_plan(plan, lang)
    failed = bool(plan.errors) or (pushed is not None and not pushed.ok)
    return 1 if failed else 0


def _print_plan(plan: Plan, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not plan.entries:
        console.print("No order needs a cancellation.")
        return
    table = Table(title="Proposed cancellations", show_lines=True)
    for column in ("Order", "Items", "Route", "Reason", "Evidence", "State"):
        # Ids and reasons must stay whole (copyable); only the long columns fold.
        table.add_column(column, overflow="fold", no_wrap=column not in ("Items", "Evidence"))
    for entry in plan.entries:
        items = "\n".join(f"{i.order_item_id} {i.sku} x{i.quantity}" for i in entry.order.items)
        reason = entry.route.reason.value if entry.route.reason else "-"
        table.add_row(
            entry.order.order_id,
            items,
            entry.route.kind.value,
            reason,
            entry.route.evidence or "-",
            entry.state or "-",
        )
    console.print(table)
    for entry in plan.entries:
        if entry.route.kind.value == "auto-cancel" and not entry.route.reply:
            continue
        console.print(
            f"[bold]{entry.order.order_id}[/]: {entry.route.advice}", markup=True, highlight=False
        )
        if entry.route.reply is not None:
            console.print(entry.route.reply.text(lang), markup=False, highlight=False)
    for sku, cause in plan.zeroed:
        console.print(f"zeroed {sku} ({cause})", highlight=False)
    for error in plan.errors:
        console.print(f"error: {error}", markup=False, highlight=False)
    console.print(
        f"{len(plan.auto)} to cancel automatically ({plan.new_rows} newly planned); "
        "run `stockguard cancellations apply` to send them.",
        highlight=False,
    )


@cancellations_group.command("apply")
@click.option(
    "--retry-failed", is_flag=True, help="Send again the cancellations Amazon refused last time."
)
@click.pass_obj
def cancellations_apply_command(app: AppContext, retry_failed: bool) -> int:
    """Send every planned cancellation as one order-acknowledgement feed; read the report.

    Applying twice, or after a crash, never sends the same cancellation twice. After a
    BuyerCanceled cancellation the listing is set to 0 again (Amazon restocks the units).

    \b
    Example:
      stockguard cancellations plan && stockguard cancellations apply
    """
    from cancellations.ports import outbox_zeroer
    from cancellations.service import apply_cancellations
    from sync.amazon.gateway import AmazonGateway
    from sync.clock import SystemClock
    from sync.pusher import push
    from sync.store import open_store

    settings, clock = app.settings, SystemClock()
    engine = open_store(settings.store.url)
    try:
        with AmazonGateway(settings.amazon, settings.secrets, clock) as gateway:
            zero = outbox_zeroer(engine, clock, "restock after BuyerCanceled")
            result = apply_cancellations(
                engine, gateway, clock, zero=zero, retry_failed=retry_failed
            )
            pushed = push(engine, gateway, clock=clock) if result.zeroed else None
    finally:
        engine.dispose()
    for feed_id in result.resumed:
        click.echo(f"resumed feed {feed_id} from an earlier run")
    for order_id, how in result.done.items():
        click.echo(f"{order_id}: cancelled ({how})")
    for order_id, why in result.refused.items():
        click.echo(f"{order_id}: not sent: {why}")
    for order_id, error in result.failed.items():
        click.echo(f"{order_id}: FAILED, still open: {error}")
    for sku in result.zeroed:
        click.echo(f"{sku}: quantity 0 queued again (Amazon restocked it)")
    for error in result.errors:
        click.echo(f"error: {error}", err=True)
    sent = ", ".join(result.feed_ids) or "none"
    click.echo(
        f"{len(result.done)} done, {len(result.failed)} failed, "
        f"{len(result.refused)} refused; feed(s) sent: {sent}"
    )
    ok = result.ok and (pushed is None or pushed.ok)
    return 0 if ok else 1


commands.extend([orders_group, cancellations_group])


# --- report cancellations, intake mail, returns list (issue 4 parts 4-6) ----------------------


if TYPE_CHECKING:
    from rich.console import Console

    from cancellations.intake import IntakeSummary
    from sync.clock import Clock
    from sync.config import Settings


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
) -> int:
    """The rolling 7-day cancellation rate per marketplace and day, and the budget left.

    Days are the marketplace's local calendar days (default: the last 7). Amazon's own figure
    is shown beside the local one once fetched with --health.

    \b
    Example:
      stockguard report cancellations
      stockguard report cancellations --from 2026-03-01 --to 2026-03-14 --marketplace US \\
          --csv rate.csv --html rate.html --png rate.png --health
    """
    from rich.console import Console

    from cancellations.chart import write_png
    from cancellations.report import print_report, write_csv
    from cancellations.report_html import render_html
    from cancellations.report_run import gather_reports
    from sync.clock import SystemClock
    from sync.errors import InputError
    from sync.store import open_store

    settings, clock = app.settings, SystemClock()
    console, status = Console(), 0
    engine = open_store(settings.store.url)
    try:
        if health:
            status = _fetch_health_or_warn(engine, settings, clock, console)
        reports = gather_reports(
            engine,
            settings.cancellations,
            clock.now(),
            markets=markets,
            first=first.date() if first else None,
            last=last.date() if last else None,
        )
    finally:
        engine.dispose()
    if not reports:
        console.print("No seller-fulfilled orders in the store (run `stockguard orders pull`).")
        return status
    print_report(console, reports)
    target = csv_path
    try:
        if csv_path is not None:
            rows = write_csv(reports, csv_path)
            console.print(f"{rows} rows written to {csv_path}", highlight=False)
        if html_path is not None:
            target = html_path
            html_path.write_text(render_html(reports, clock.now()), encoding="utf-8")
            console.print(f"HTML report written to {html_path}", highlight=False)
        if png_path is not None:
            target = png_path
            charts = [(f"{r.marketplace.code} 7-day rate", r.days, r.target) for r in reports]
            write_png(charts, png_path)
            console.print(f"chart written to {png_path}", highlight=False)
    except OSError as exc:
        raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return status


def _fetch_health_or_warn(
    engine: Engine, settings: Settings, clock: Clock, console: Console
) -> int:
    """Fetch Amazon's figure; on an Amazon failure say so and go on with local figures (1)."""
    from cancellations.report_run import fetch_health
    from sync.amazon.gateway import AmazonGateway
    from sync.errors import AmazonError

    try:
        with AmazonGateway(settings.amazon, settings.secrets, clock) as gateway:
            figures = fetch_health(engine, gateway, clock.now())
    except AmazonError as exc:
        console.print(f"warning: account-health report unavailable: {exc.message}", highlight=False)
        return 1
    console.print(
        f"Amazon's account-health figures: {len(figures)} marketplace(s)", highlight=False
    )
    return 0


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
    from cancellations.imap import ImapConfig, ImapReader
    from cancellations.intake import MailIntake, read_eml_files, read_mbox
    from sync.clock import SystemClock
    from sync.store import open_store
    from sync.store.orders import load_order

    if not (eml_paths or mbox_path or use_imap or imap_plain):
        raise click.UsageError("give --eml FILE, --mbox FILE or --imap")
    settings, clock = app.settings, SystemClock()
    engine = open_store(settings.store.url)
    try:
        intake = MailIntake(engine, lambda order_id: load_order(engine, order_id), clock)
        intake.take_all(read_eml_files(eml_paths))
        if mbox_path is not None:
            intake.take_all(read_mbox(mbox_path))
        if use_imap or imap_plain:
            config = ImapConfig.from_settings(settings.mail, settings.secrets, tls=not imap_plain)
            ImapReader(config, intake, engine, clock).run()
    finally:
        engine.dispose()
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

    from sync.domain import MARKETPLACES_BY_ID
    from sync.store import open_store
    from sync.store.mail import list_returns

    engine = open_store(app.settings.store.url)
    try:
        returns = list_returns(engine, state=None if show_all else "to-decide")
    finally:
        engine.dispose()
    console = Console()
    if not returns:
        console.print("No return requests to decide.")
        return 0
    table = Table(title="Return requests to decide", show_lines=True)
    for column in ("Requested", "Order", "Market", "Item", "Qty", "Reason", "Buyer's comment"):
        table.add_column(column, overflow="fold")
    for ret in returns:
        market = MARKETPLACES_BY_ID.get(ret.marketplace_id or "")
        table.add_row(
            f"{ret.received_at:%Y-%m-%d %H:%M}" if ret.received_at else "-",
            ret.order_id,
            market.code if market else "-",
            ret.item or ret.sku or "-",
            str(ret.quantity) if ret.quantity is not None else "-",
            ret.reason or "-",
            ret.comment or "-",
        )
    console.print(table)
    return 0


commands.extend([report_group, intake_group, returns_group])
