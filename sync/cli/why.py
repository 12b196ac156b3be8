"""`stockguard why SKU [--at TIME]`: the decision in force, its evidence, and what was sent."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.console import Console

from sync.cli.context import AppContext, iso_time
from sync.cli.plain import plain, styled

commands: list[click.Command] = []
console = Console()


@click.command("why")
@click.argument("sku")
@click.option("--at", "at", callback=iso_time, metavar="ISO-TIME", help="Moment to explain (UTC).")
@click.pass_obj
def why_command(app: AppContext, sku: str, at: datetime | None) -> int:
    """Why does SKU show what it shows: the decision, the page and phrase, the push.

    \b
    Example:
      stockguard why JP-MATCHA-WHISK-US
      stockguard why JP-MATCHA-WHISK-US --at 2026-11-28T12:03:00Z
    """
    from sync.store import open_store, outbox
    from sync.store.observations import decision_at

    db = open_store(app.settings.store.url)
    try:
        moment = at or datetime.now(UTC)
        record = decision_at(db, sku, moment)
        with db.connect() as conn:
            pushes = [
                r
                for r in outbox.history(conn, sku)
                if r.created_at is None or r.created_at <= moment
            ]
    finally:
        db.dispose()
    if record is None:
        console.print(plain(f"no decision recorded for {sku} before {moment:%Y-%m-%d %H:%M:%S}"))
        return 1
    d, seen = record.decision, record.observation
    console.print(
        styled(
            (sku, "bold"),
            f" ({d.marketplace}) -> {d.target_quantity} at "
            f"{d.decided_at:%Y-%m-%d %H:%M:%S} UTC: {d.reason}",
        )
    )
    console.print(plain(f"  evidence: {d.evidence}"))
    if seen is not None:
        console.print(
            plain(
                f"  source:   {seen.url or seen.source_ref} (HTTP {seen.http_status}, "
                f"checked {seen.checked_at:%H:%M:%S}, adapter {seen.adapter or '-'})"
            )
        )
    for row in pushes[-3:]:
        via = f"feed {row.feed_id}" if row.feed_id else f"submission {row.submission_id or '-'}"
        console.print(
            plain(
                f"  push:     quantity {row.quantity} [{row.state}] via {row.kind}, {via}"
                f"{' - ' + row.last_error if row.last_error else ''}"
            )
        )
    return 0


commands.append(why_command)
