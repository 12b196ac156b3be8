"""`stockguard` commands for the cancellations area."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stockguard.cli.context import AppContext, iso_time
from stockguard.cli.progress import step
from stockguard.core.i18n import tr

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from stockguard.cancellations.reasons import SellerFlag, SupplierCheck
    from stockguard.cancellations.service import Plan
    from stockguard.core.clock import Clock
    from stockguard.core.config import Settings
    from stockguard.core.domain import ListingKey

commands: list[click.Command] = []


# --- orders pull, cancellations plan / apply (issue 4 parts 1-3) ------------------------------


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
    callback=iso_time,
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
    from stockguard.cancellations.pull import pull_orders
    from stockguard.core.amazon.gateway import AmazonGateway
    from stockguard.core.clock import SystemClock
    from stockguard.core.store import open_store

    settings, clock = app.settings, SystemClock()
    db = open_store(settings.store.url)
    try:
        with (
            AmazonGateway(settings.amazon, settings.secrets, clock) as gateway,
            step(tr("fetching orders from Amazon")),
        ):
            result = pull_orders(db, gateway, clock, since=since)
    finally:
        db.dispose()
    mark = result.high_water.isoformat() if result.high_water else "-"
    pulled = ", ".join(m.code for m in result.markets.pulled) if result.markets else "-"
    click.echo(
        f"{result.fetched} order(s) updated after {result.updated_after.isoformat()} "
        f"(marketplaces {pulled}): "
        f"{result.new} new, {result.updated} updated, {result.status_changes} status change(s); "
        f"next pull from {mark}"
    )
    if result.skipped_note():
        click.echo(f"warning: {result.skipped_note()}", err=True)
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
    from stockguard.cancellations.reasons import SellerFlag

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


def _verdict_lookup(db: Engine, path: Path | None) -> Callable[[ListingKey], SupplierCheck | None]:
    """Listing -> verdict: the --verdicts file first (by SKU), else the listing's feed-source
    observations (any listing of the SKU when the order's marketplace is not catalogued:
    the SKU's listings share their sources).

    (Page-source observations are not in the store yet; the scheduled service passes its own
    verdicts to ``run_cancellations``.)
    """
    from stockguard.cancellations.verdicts import combine_sources, read_verdict_file
    from stockguard.core.domain import Observation, SourceKind
    from stockguard.core.store.feeds import latest_feed_observations
    from stockguard.core.store.listings import find_listings, get_listing

    given = read_verdict_file(path) if path is not None else {}
    feeds: dict[str, dict[str, Observation]] = {}

    def lookup(key: ListingKey) -> SupplierCheck | None:
        if key.sku in given:
            return given[key.sku]
        listing = get_listing(db, key) or next(iter(find_listings(db, sku=key.sku)), None)
        if listing is None:
            return None
        latest: dict[str, Observation] = {}
        for source in listing.sources:
            if source.kind is SourceKind.FEED:
                if source.supplier not in feeds:
                    feeds[source.supplier] = latest_feed_observations(db, source.supplier)
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
    from stockguard.cancellations.ports import outbox_zeroer
    from stockguard.cancellations.pull import pull_orders
    from stockguard.cancellations.service import plan_cancellations
    from stockguard.cli.writer import sole_writer
    from stockguard.core.amazon.gateway import AmazonGateway
    from stockguard.core.clock import SystemClock
    from stockguard.core.store import open_store
    from stockguard.sync.pusher import push

    settings, clock = app.settings, SystemClock()
    seller_flags = _parse_flags(flags)
    db = open_store(settings.store.url)
    try:
        lookup = _verdict_lookup(db, verdicts_path)
        # Beside `stockguard run` the zeroings are only queued: the service sends them.
        with (
            sole_writer(db, clock, "cancellations", settings, hand_over=True) as service,
            AmazonGateway(settings.amazon, settings.secrets, clock) as gateway,
        ):
            if not no_pull:
                pull_orders(db, gateway, clock)
            zero = None if no_zero else outbox_zeroer(db, clock, "order at risk")
            plan = plan_cancellations(db, clock, lookup, seller_flags, zero=zero)
            send = plan.zeroed and service is None
            pushed = push(db, gateway, clock=clock) if send else None
    finally:
        db.dispose()
    _print_plan(plan, lang)
    failed = bool(plan.errors) or (pushed is not None and not pushed.ok)
    return 1 if failed else 0


PLAN_COLUMNS = ("Order", "Items", "Route", "Reason", "Evidence", "State")


def _print_plan(plan: Plan, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from stockguard.cli.plain import plain, styled

    console = Console()
    if not plan.entries:
        console.print(plain(tr("No order needs a cancellation.")))
        return
    table = Table(title=tr("Proposed cancellations"), show_lines=True)
    for column in PLAN_COLUMNS:
        # Ids and reasons must stay whole (copyable); only the long columns fold.
        table.add_column(tr(column), overflow="fold", no_wrap=column not in ("Items", "Evidence"))
    for entry in plan.entries:
        items = "\n".join(f"{i.order_item_id} {i.sku} x{i.quantity}" for i in entry.order.items)
        reason = entry.route.reason.value if entry.route.reason else "-"
        cells = (entry.order.order_id, items, entry.route.kind.value, reason)
        table.add_row(*map(plain, (*cells, entry.route.evidence or "-", entry.state or "-")))
    console.print(table)
    for entry in plan.entries:
        if entry.route.kind.value == "auto-cancel" and not entry.route.reply:
            continue
        console.print(styled((entry.order.order_id, "bold"), f": {entry.route.advice}"))
        if entry.route.reply is not None:
            console.print(plain(entry.route.reply.text(lang)))
    for sku, cause in plan.zeroed:
        console.print(plain(tr("zeroed {sku} ({cause})", sku=sku, cause=cause)))
    for error in plan.errors:
        console.print(plain(tr("error: {message}", message=error)))
    line = tr(
        "{count} to cancel automatically ({new} newly planned); "
        "run `stockguard cancellations apply` to send them.",
        count=len(plan.auto),
        new=plan.new_rows,
    )
    console.print(plain(line))


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
    from stockguard.core.clock import SystemClock

    out, err, status = apply_planned(app.settings, SystemClock(), retry_failed=retry_failed)
    for line in out:
        click.echo(line)
    for line in err:
        click.echo(line, err=True)
    return status


def apply_planned(
    settings: Settings, clock: Clock, *, retry_failed: bool = False
) -> tuple[list[str], list[str], int]:
    """`cancellations apply`'s work, shared with the dashboard, under the one-writer rules:
    (lines for stdout, error lines, exit status). Raises ``Refused`` when it may not send."""
    from stockguard.cancellations.ports import outbox_zeroer
    from stockguard.cancellations.service import apply_cancellations
    from stockguard.cli.writer import Refused, sole_writer
    from stockguard.core.amazon.gateway import AmazonGateway
    from stockguard.core.store import open_store
    from stockguard.sync.pusher import push

    db = open_store(settings.store.url)
    try:
        # Beside `stockguard run`: refused when the service applies cancellations itself;
        # otherwise the feed goes out here and the re-zeroings are left to the service.
        with (
            sole_writer(db, clock, "cancellations", settings, hand_over=True) as service,
            AmazonGateway(settings.amazon, settings.secrets, clock) as gateway,
        ):
            if service is not None and settings.cancellations.auto_apply:
                raise Refused(
                    f"stockguard run (pid {service.pid} on {service.host}) applies "
                    "cancellations itself on this database ([cancellations] auto_apply); "
                    "use `stockguard cancellations plan` to see them"
                )
            zero = outbox_zeroer(db, clock, "restock after BuyerCanceled")
            result = apply_cancellations(db, gateway, clock, zero=zero, retry_failed=retry_failed)
            send = result.zeroed and service is None
            pushed = push(db, gateway, clock=clock) if send else None
    finally:
        db.dispose()
    out = [tr("resumed feed {feed} from an earlier run", feed=f) for f in result.resumed]
    out += [tr("{order}: cancelled ({how})", order=o, how=h) for o, h in result.done.items()]
    out += [tr("{order}: not sent: {why}", order=o, why=w) for o, w in result.refused.items()]
    out += [
        tr("{order}: FAILED, still open: {error}", order=o, error=e)
        for o, e in result.failed.items()
    ]
    restocked = "{sku}: quantity 0 queued again (Amazon restocked it)"
    out += [tr(restocked, sku=s) for s in result.zeroed]
    out.append(
        tr(
            "{done} done, {failed} failed, {refused} refused; feed(s) sent: {sent}",
            done=len(result.done),
            failed=len(result.failed),
            refused=len(result.refused),
            sent=", ".join(result.feed_ids) or tr("none"),
        )
    )
    ok = result.ok and (pushed is None or pushed.ok)
    errors = [tr("error: {message}", message=e) for e in result.errors]
    return out, errors, 0 if ok else 1


commands.extend([orders_group, cancellations_group])
