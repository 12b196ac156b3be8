"""`stockguard listings import|show`: load the seller's catalogue CSV, and look at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from stockguard.cli.api_codes import Resolution, resolve_rakuten_codes, unresolved
from stockguard.cli.catalogue.importer import ImportReport, import_listings_file
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.cli.context import EXIT_OK, EXIT_PARTIAL, AppContext
from stockguard.cli.excel_csv import encoding_option
from stockguard.cli.plain import plain
from stockguard.cli.progress import step
from stockguard.core.clock import SystemClock
from stockguard.core.domain import Listing, PoolKey, SourceKind, marketplace
from stockguard.core.excel_csv import write_excel_csv
from stockguard.core.i18n import tr
from stockguard.core.store import open_store
from stockguard.core.store.listings import count_listings, find_listings
from stockguard.core.store.outbox import last_known_pools

commands: list[click.Command] = []


@click.group("listings")
def listings_group() -> None:
    """The seller's catalogue: SKUs, marketplaces, handling times and supplier sources.

    \b
    Example:
      stockguard listings import data/demo-listings.csv
      stockguard listings show --marketplace US
    """


@listings_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; save nothing.")
@click.pass_obj
def import_command(app: AppContext, csv_file: Path, dry_run: bool) -> int:
    """Import (insert or update) listings from a CSV file (UTF-8, UTF-8 BOM or Shift_JIS).

    Bad rows are reported as FILE:LINE: message and left out; the good rows are saved.
    Exit status 1 when any row was refused, 2 when the whole file was (missing columns,
    not text). Columns (English or Japanese names): see docs/store.md.

    \b
    Example:
      stockguard listings import catalogue.csv
      stockguard --db shop.db listings import --dry-run 出品リスト.csv
    """
    db = open_store(app.settings.store.url)
    try:
        with step(tr("reading {file}", file=csv_file.name)) as advance:
            report = import_listings_file(
                db,
                csv_file,
                SystemClock().now(),
                dry_run=dry_run,
                rules=SourceRules.of(app.settings),
                on_row=advance,
            )
        resolution = None if dry_run else _resolve_codes(app, db, report)
    finally:
        db.dispose()
    for message in report.errors:
        click.echo(message, err=True)
    for message in report.warnings:
        click.echo(message, err=True)
    for message in resolution.warnings if resolution else []:
        click.echo(message, err=True)
    if dry_run:
        click.echo(
            f"{csv_file}: {report.good} good rows, {len(report.errors)} refused "
            f"(read as {report.encoding}; nothing saved)"
        )
    else:
        click.echo(
            f"imported {report.good} listings from {csv_file} ({report.saved.inserted} new, "
            f"{report.saved.updated} updated; read as {report.encoding}); "
            f"refused {len(report.errors)} rows"
        )
    if resolution is not None and (resolution.resolved or resolution.warnings):
        click.echo(
            f"Rakuten item codes: {resolution.resolved} resolved, {resolution.known} already "
            f"known, {len(resolution.warnings)} not resolved (read as pages)"
        )
    return EXIT_PARTIAL if report.errors else EXIT_OK


def _resolve_codes(app: AppContext, db: Engine, report: ImportReport) -> Resolution | None:
    """Rakuten page URLs resolved to their item codes when ``[apis.rakuten]`` is configured:
    one call a second, so a long catalogue shows its progress."""
    pending = unresolved(db, report.rakuten_pages) if report.rakuten_pages else []
    if not pending:
        return None
    with step(tr("resolving Rakuten item codes"), len(pending)) as advance:
        return resolve_rakuten_codes(app.settings, db, pending, SystemClock(), advance)


@listings_group.command("show")
@click.option("--marketplace", "market", metavar="CODE", help="Only this marketplace (US, UK...).")
@click.option("--sku", help="Only this SKU.")
@click.option("--limit", type=int, default=200, show_default=True, help="Rows to print (0: all).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every matching listing to this CSV (for Excel; --limit does not apply).",
)
@encoding_option
@click.pass_obj
def show_command(
    app: AppContext,
    market: str | None,
    sku: str | None,
    limit: int,
    csv_path: Path | None,
    encoding: str,
) -> int:
    """Print the catalogue as a table, with the quantity Amazon last accepted.

    \b
    Example:
      stockguard listings show --marketplace UK --limit 20
      stockguard listings show --csv 出品.csv --encoding cp932
    """
    code = None
    if market:
        try:
            code = marketplace(market).code
        except KeyError:
            raise click.BadParameter(
                f"unknown marketplace {market!r}", param_hint="--marketplace"
            ) from None
    db = open_store(app.settings.store.url)
    try:
        found = find_listings(db, sku=sku, marketplace=code)
        total = count_listings(db)
        with db.connect() as conn:
            known = last_known_pools(conn, [item.sku for item in found])
    finally:
        db.dispose()
    shown = found if limit <= 0 else found[:limit]
    console = Console()
    console.print(_table(shown, known))
    more = (
        tr(" (first {count} shown; --limit 0 for all)", count=len(shown))
        if len(shown) < len(found)
        else ""
    )
    console.print(plain(tr("{found} of {total} listings", found=len(found), total=total) + more))
    if csv_path is not None:
        rows = write_excel_csv(csv_path, CSV_COLUMNS, _csv_rows(found, known), encoding)
        console.print(plain(tr("{rows} rows written to {path}", rows=rows, path=csv_path)))
    return EXIT_OK


CSV_COLUMNS = ("sku", "marketplace", "asin", "quantity", "handling_days", "sources", "amazon")


def _csv_rows(items: list[Listing], known: dict[PoolKey, int]) -> Iterator[tuple[object, ...]]:
    for item in items:
        amazon = known.get(item.key.pool)
        sources = " ".join(_source_label(s.kind, s.ref, s.supplier) for s in item.sources)
        yield (
            item.sku,
            item.marketplace,
            item.asin,
            item.default_quantity,
            item.handling_days,
            sources,
            "" if amazon is None else amazon,
        )


def _table(items: list[Listing], known: dict[PoolKey, int]) -> Table:
    table = Table(title=tr("Listings"))
    table.add_column(tr("SKU"), no_wrap=True)
    table.add_column(tr("Mkt"), no_wrap=True)
    table.add_column("ASIN", no_wrap=True)
    table.add_column(tr("Qty"), justify="right", no_wrap=True)  # quantity shown while in stock
    table.add_column(tr("Handling"), justify="right", no_wrap=True)
    table.add_column(tr("Sources"), overflow="fold")
    table.add_column("Amazon", justify="right", no_wrap=True)  # last accepted quantity
    for item in items:
        amazon = known.get(item.key.pool)
        cells = (
            item.sku,
            item.marketplace,
            item.asin,
            item.default_quantity,
            f"{item.handling_days} d",
            "\n".join(_source_label(s.kind, s.ref, s.supplier) for s in item.sources),
            "—" if amazon is None else amazon,
        )
        table.add_row(*map(plain, cells))
    return table


def _source_label(kind: SourceKind, ref: str, supplier: str) -> str:
    return f"feed {supplier}:{ref}" if kind is SourceKind.FEED else ref


commands.append(listings_group)
