"""`stockguard why SKU [--at TIME]`: the decision in force, its evidence, and what was sent."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.console import Console

from stockguard.cli.context import AppContext, iso_time
from stockguard.cli.plain import plain, styled
from stockguard.core.domain import DEFAULT_ACCOUNT
from stockguard.core.i18n import tr, when

commands: list[click.Command] = []
console = Console()


@click.command("why")
@click.argument("sku")
@click.option("--at", "at", callback=iso_time, metavar="ISO-TIME", help="Moment to explain (UTC).")
@click.option("--account", metavar="NAME", help="The seller account (when two list the SKU).")
@click.pass_obj
def why_command(app: AppContext, sku: str, at: datetime | None, account: str | None) -> int:
    """Why does SKU show what it shows: the decision, the page and phrase, the push.

    \b
    Example:
      stockguard why JP-MATCHA-WHISK-US
      stockguard why JP-MATCHA-WHISK-US --at 2026-11-28T12:03:00Z
      stockguard why JP-WHISK --account export-na
    """
    from stockguard.core.accounts import find_account
    from stockguard.core.store import open_store, outbox
    from stockguard.core.store.observations import decision_at, sku_accounts

    if account is not None:
        find_account(app.settings, account)  # a misspelt name is refused, not "no decision"
    db = open_store(app.settings.store.url)
    try:
        account = account or _only_account(sku, sku_accounts(db, sku))
        moment = at or datetime.now(UTC)
        record = decision_at(db, sku, moment, account)
        with db.connect() as conn:
            pushes = [
                r
                for r in outbox.history(conn, sku, account)
                if r.created_at is None or r.created_at <= moment
            ]
    finally:
        db.dispose()
    if record is None:
        console.print(
            plain(
                tr(
                    "no decision recorded for {sku} before {time}",
                    sku=sku,
                    time=when(moment, seconds=True),
                )
            )
        )
        return 1
    d, seen = record.decision, record.observation
    whose = "" if d.account == DEFAULT_ACCOUNT else f"{d.account}, "
    console.print(
        styled(
            (sku, "bold"),
            f" ({whose}{d.marketplace}) -> {d.target_quantity} "
            f"{tr('at')} {when(d.decided_at, seconds=True)}: {d.reason}",
        )
    )
    console.print(plain(f"  {tr('evidence')}: {d.evidence}"))
    if seen is not None:
        console.print(
            plain(
                f"  {tr('source')}:   {seen.url or seen.source_ref} (HTTP {seen.http_status}, "
                f"{tr('checked')} {when(seen.checked_at, seconds=True)}, "
                f"adapter {seen.adapter or '-'})"
            )
        )
    for row in pushes[-3:]:
        via = f"feed {row.feed_id}" if row.feed_id else f"submission {row.submission_id or '-'}"
        console.print(
            plain(
                f"  {tr('push')}:     {tr('quantity')} {row.quantity} [{row.state}] "
                f"via {row.kind}, {via}"
                f"{' - ' + row.last_error if row.last_error else ''}"
            )
        )
    return 0


def _only_account(sku: str, found: list[str]) -> str | None:
    """The one account holding ``sku`` (None: any); two or more must be chosen, never guessed."""
    if len(found) <= 1:
        return None
    raise click.UsageError(
        f"{sku} is listed by {len(found)} seller accounts ({', '.join(found)}): "
        f"name one with --account (e.g. --account {found[0]})"
    )


commands.append(why_command)
