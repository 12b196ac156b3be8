"""`stockguard` commands for the suppliers area."""

from __future__ import annotations

import click

commands: list[click.Command] = []


# --- feeds (CSV supplier feeds) ---------------------------------------------------------------

from pathlib import Path  # noqa: E402 - this block is appended by the feeds area

from stockguard.cli.context import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, AppContext  # noqa: E402
from stockguard.cli.feed_import import FeedOutcome  # noqa: E402
from stockguard.cli.progress import step, tracked  # noqa: E402
from stockguard.core.clock import SystemClock  # noqa: E402
from stockguard.core.errors import ConfigError, hide_passwords  # noqa: E402
from stockguard.core.i18n import tr, when  # noqa: E402


@click.group("feeds")
def feeds_group() -> None:
    """Supplier CSV feeds: import a wholesaler's stock file, see past imports.

    \b
    Example:
      stockguard feeds import tonya 在庫表.csv
      stockguard feeds history tonya
    """


@feeds_group.command("import")
@click.argument("supplier")
@click.argument("feed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--accept-drift",
    is_flag=True,
    help="Apply a feed the drift guard finds suspicious (a real mass stock-out).",
)
@click.pass_obj
def feeds_import_command(
    app: AppContext, supplier: str, feed_file: Path, accept_drift: bool
) -> int:
    """Import SUPPLIER's stock feed FEED_FILE using its [feeds.SUPPLIER] column map.

    Encodings UTF-8 (with or without BOM), CP932/Shift_JIS, UTF-16 and EUC-JP; comma or tab.
    Bad rows are reported as FILE:LINE: message (code X) and skipped (exit 1). A file that
    cannot be used, or that the drift guard refuses, changes nothing (exit 2).

    \b
    Example:
      stockguard feeds import tonya 在庫表.csv
      stockguard feeds import tonya zaiko.tsv --accept-drift
    """
    from stockguard.cli.feed_import import run_feed_import

    try:
        data = feed_file.read_bytes()
    except OSError as exc:
        click.echo(f"error: {feed_file}: cannot be read: {exc.strerror or exc}", err=True)
        return EXIT_USAGE
    with step(tr("importing {file}", file=feed_file.name)):
        done = run_feed_import(
            app.settings, SystemClock(), supplier, feed_file.name, data, accept_drift=accept_drift
        )
    return _said(done)


def _said(done: FeedOutcome) -> int:
    for line in done.errors:
        click.echo(line, err=True)
    for line in done.lines:
        click.echo(line)
    return done.status


@feeds_group.command("accept")
@click.argument("supplier")
@click.pass_obj
def feeds_accept_command(app: AppContext, supplier: str) -> int:
    """Apply SUPPLIER's feed that the drift guard refused, from the copy the store kept.

    The same import as `feeds import SUPPLIER FILE --accept-drift`, on the newest refused file
    (kept when it is under 50 MB). A file already accepted is not imported again (exit 0).

    \b
    Example:
      stockguard feeds accept tonya
    """
    from stockguard.cli.feed_import import accept_kept_feed

    with step(tr("accepting {supplier}'s refused feed", supplier=supplier)):
        done = accept_kept_feed(app.settings, SystemClock(), supplier)
    return _said(done)


@feeds_group.command("history")
@click.argument("supplier")
@click.option("--limit", type=int, default=20, show_default=True, help="Imports to show.")
@click.pass_obj
def feeds_history_command(app: AppContext, supplier: str, limit: int) -> int:
    """Show SUPPLIER's latest feed imports, applied and refused.

    \b
    Example:
      stockguard feeds history tonya
    """
    from stockguard.core.store import open_store
    from stockguard.core.store.feeds import SqlFeedStore

    db = open_store(app.settings.store.url)
    try:
        rows = SqlFeedStore(db).imports(supplier, limit)
    finally:
        db.dispose()
    for row in rows:
        flag = tr(" drift-accepted") if row.accepted_drift else ""
        line = tr(
            "#{id} {time} {status}{flag} {file}: {items} items, {out} out of stock, "
            "total {total}, {refused} rows refused",
            id=row.id,
            time=when(row.imported_at),
            status=tr(row.status),
            flag=flag,
            file=row.file_name,
            items=row.items,
            out=row.out_of_stock,
            total=row.total_quantity,
            refused=row.rows_refused,
        )
        click.echo(f"{line} {row.message}".rstrip())
    if not rows:
        click.echo(tr("no feed imports for {supplier}", supplier=supplier))
    return EXIT_OK


commands.append(feeds_group)


# --- supplier page checks (page adapters) -------------------------------------------------------

import json as _json  # noqa: E402 - this block is appended by the page-adapter area
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from stockguard.core.domain import Availability, Observation, SourceKind  # noqa: E402

_ACCEPT_CHOICES = ("new", "used", "other-sellers", "cannot-ship")


@click.command("check")
@click.argument("url", required=False)
@click.option(
    "--html",
    "html_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Parse this saved page as if it had been fetched from URL (no network).",
)
@click.option("--sku", help="Check every page source of this listing (from the store).")
@click.option("--json", "as_json", is_flag=True, help="Print the Observation as JSON.")
@click.option("--variant", help="The variant to read (size/colour, SKU or variant id).")
@click.option(
    "--accept",
    multiple=True,
    type=click.Choice(_ACCEPT_CHOICES),
    help="Offer kinds that count as in stock (default: new). Repeatable.",
)
@click.option("--adapter", help="Use this adapter instead of choosing by host/page.")
@click.option(
    "--status", type=int, default=200, show_default=True, help="HTTP status to assume with --html."
)
@click.pass_obj
def check_command(
    app: AppContext,
    url: str | None,
    html_file: Path | None,
    sku: str | None,
    as_json: bool,
    variant: str | None,
    accept: tuple[str, ...],
    adapter: str | None,
    status: int,
) -> int:
    """Check one supplier page and show the verdict with the evidence that decided it.

    Exit 0 when every check gave IN_STOCK or OUT_OF_STOCK, 1 when any was UNKNOWN.

    \b
    Example:
      stockguard check https://www.amazon.co.jp/dp/B0XXXXXXXX
      stockguard check https://www.yodobashi.com/product/100000001002797862/ --html saved.html
      stockguard check https://shop.example/products/tee --variant "M / Blue" --json
      stockguard check --sku MUG-01
    """
    from stockguard.suppliers.base import OfferKind, ParseOptions
    from stockguard.suppliers.seller_phrases import for_url, validate

    kinds = frozenset(OfferKind(a) for a in accept) or frozenset({OfferKind.NEW})
    validate(app.settings.suppliers.phrases)
    seller = for_url(url or "", app.settings.suppliers.phrases)
    options = ParseOptions(variant=variant, accept=kinds, seller_phrases=seller)
    if sku:
        observations = _check_sku(app, sku, options, adapter)
    elif url is None:
        raise click.UsageError("give a URL (optionally with --html FILE) or --sku SKU")
    elif not _is_page_url(url):  # refused at once: nothing is fetched for it
        raise click.BadParameter(
            f"{url!r} is not a page URL (expected http(s)://host/path)", param_hint="URL"
        )
    elif html_file is not None:
        observations = [_parse_saved(url, html_file, status, options, adapter)]
    else:
        observations = [_fetch_and_parse(app, url, options, adapter)]
    _show(observations, as_json)
    unknown = any(o.availability is Availability.UNKNOWN for o in observations)
    return EXIT_PARTIAL if unknown else EXIT_OK


def _is_page_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a port that is no number, a bad IPv6 literal
        return False


def _parse_saved(
    url: str, html_file: Path, status: int, options: Any, adapter: str | None
) -> Observation:
    from stockguard.suppliers.registry import parse_page

    return parse_page(
        html_file.read_bytes(),
        url,
        fetched_at=datetime.now(UTC),
        status=status,
        options=options,
        adapter=adapter,
    )


def _fetch_and_parse(app: AppContext, url: str, options: Any, adapter: str | None) -> Observation:
    from stockguard.suppliers.check import check_fetched
    from stockguard.suppliers.fetch import Fetcher

    with Fetcher(app.settings.suppliers, SystemClock()) as fetcher:
        return check_fetched(fetcher.fetch(url), options=options, adapter=adapter)


def _check_sku(app: AppContext, sku: str, options: Any, adapter: str | None) -> list[Observation]:
    from dataclasses import replace

    from stockguard.core.store import open_store
    from stockguard.core.store.listings import find_listings
    from stockguard.suppliers.check import check_fetched
    from stockguard.suppliers.fetch import Fetcher
    from stockguard.suppliers.seller_phrases import for_url

    db = open_store(app.settings.store.url)
    try:
        # A SKU's listings share their sources (the catalogue refuses otherwise): any will do.
        listed = find_listings(db, sku=sku)
    finally:
        db.dispose()
    listing = listed[0] if listed else None
    if listing is None:
        where = hide_passwords(app.settings.store.url)
        raise ConfigError(f"no listing with SKU {sku!r} in {where}")
    pages = [s for s in listing.sources if s.kind is SourceKind.PAGE]
    if not pages:
        raise ConfigError(f"listing {sku!r} has no page sources (feed sources: feeds import)")
    found: list[Observation] = []
    with Fetcher(app.settings.suppliers, SystemClock()) as fetcher:
        for source in tracked(pages, tr("checking {sku}'s sources", sku=sku)):
            chosen = adapter or source.supplier or None
            source_options = replace(
                options,
                variant=options.variant or source.variant,
                seller_phrases=for_url(source.ref, app.settings.suppliers.phrases),
            )
            found.append(
                check_fetched(fetcher.fetch(source.ref), options=source_options, adapter=chosen)
            )
    return found


def _show(observations: list[Observation], as_json: bool) -> None:
    from stockguard.suppliers.check import observation_dict, observation_lines

    if as_json:
        rows = [observation_dict(o) for o in observations]
        click.echo(_json.dumps(rows[0] if len(rows) == 1 else rows, ensure_ascii=False, indent=2))
        return
    for observation in observations:
        for line in observation_lines(observation):
            click.echo(line)


@click.group("suppliers")
def suppliers_group() -> None:
    """Supplier page adapters.

    \b
    Example:
      stockguard suppliers list
    """


@suppliers_group.command("list")
def suppliers_list_command() -> int:
    """Show the page adapters and the hosts each one serves.

    \b
    Example:
      stockguard suppliers list
    """
    from stockguard.suppliers.registry import describe

    for info in describe():
        if info.hosts:
            serves = ", ".join(info.hosts)
        elif info.recognised_from_page:
            serves = "any host (recognised from the page)"
        else:
            serves = "any other host (fallback)"
        if info.hosts and info.recognised_from_page:
            serves += "; other hosts recognised from the page"
        click.echo(f"{info.name:12} {serves}")
    return EXIT_OK


commands.extend([check_command, suppliers_group])
