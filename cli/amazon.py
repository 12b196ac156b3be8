"""`stockguard` commands for the amazon area."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Engine

    from stockguard.core.clock import Clock
    from stockguard.core.config import Settings
    from stockguard.core.domain import QuantityUpdate
    from stockguard.sync.runlock import Holder

commands: list[click.Command] = []


@click.command("emulator")
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON seed file: seller id, listings, orders (see docs/emulator.md).",
)
@click.option("--port", type=int, default=0, show_default=True, help="TCP port (0: any free one).")
@click.option("--no-rate-limits", is_flag=True, help="Do not enforce Amazon's default rate limits.")
def emulator_command(seed_path: Path | None, port: int, no_rate_limits: bool) -> int:
    """Run a local Selling Partner API (and LWA) on 127.0.0.1 until Ctrl-C.

    \b
    Example:
      stockguard emulator --seed data/emulator-seed.json --port 8765
    """
    import threading

    from stockguard.doubles.emulator import Emulator
    from stockguard.doubles.emulator.seed import load_seed_file

    seed = load_seed_file(seed_path) if seed_path else None
    emu = Emulator(seed, rate_limits=not no_rate_limits, port=port)
    base_url = emu.start()
    click.echo(f"SP-API emulator listening on {base_url} (seller {emu.seller_id})")
    for line in emulator_instructions(base_url, emu.seller_id):
        click.echo(line)
    click.echo("Press Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


def emulator_instructions(base_url: str, seller: str) -> list[str]:
    """What to put in stockguard.toml and the environment to point stockguard at the emulator."""
    from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS

    # The emulator's own, published credentials (they open nothing else): printed to copy.
    env = {
        "LWA_APP_ID": EMULATOR_SECRETS.lwa_client_id,
        "LWA_CLIENT_SECRET": EMULATOR_SECRETS.lwa_client_secret,
        "SP_API_REFRESH_TOKEN": EMULATOR_SECRETS.refresh_token,
    }
    return [
        "To point stockguard at it, put this in stockguard.toml:",
        "  [amazon]",
        f'  seller_id = "{seller}"',
        f'  endpoint = "{base_url}"',
        f'  lwa_endpoint = "{base_url}"',
        "and set these in the environment:",
        *(f"  export {name}='{value}'" for name, value in env.items()),
    ]


commands.append(emulator_command)


@click.command("push")
@click.option("--sku", "skus", multiple=True, metavar="SKU", help="Seller SKU (repeatable).")
@click.option("--quantity", type=click.IntRange(min=0), help="The quantity to set on Amazon.")
@click.option(
    "--marketplace",
    "market",
    metavar="CODE",
    help="Marketplace for a SKU not in the catalogue (default: [amazon] marketplace).",
)
@click.option("--force", is_flag=True, help="Send even when Amazon already has this quantity.")
@click.pass_obj
def push_command(
    app: object, skus: tuple[str, ...], quantity: int | None, market: str | None, force: bool
) -> int:
    """Set listings' quantity on Amazon through the outbox, and print Amazon's answer.

    Without --sku, resumes whatever the outbox still holds (after a crash or a failed push),
    waiting for the feeds in flight to finish. While `stockguard run` holds the database the
    rows are only queued: the running service sends them within its push interval.

    \b
    Example:
      stockguard push --sku JP-MATCHA-001 --quantity 0
      stockguard push            # resume pending pushes
    """
    from stockguard.cli.context import AppContext
    from stockguard.core.clock import SystemClock

    if skus and quantity is None:
        raise click.UsageError("--quantity is required with --sku")
    if quantity is not None and not skus:
        raise click.UsageError("--sku is required with --quantity")
    assert isinstance(app, AppContext)
    lines, status = push_quantities(
        app.settings, SystemClock(), skus, quantity, market, force=force, on_wait=_waiting
    )
    for line in lines:
        click.echo(line)
    return status


def push_quantities(
    settings: Settings,
    clock: Clock,
    skus: Sequence[str],
    quantity: int | None,
    market: str | None,
    *,
    force: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[list[str], int]:
    """`push`'s work, shared with the dashboard: set ``skus`` to ``quantity`` (none: resume
    the outbox) under the one-writer rules; Amazon's answer as lines, and the exit status.
    Raises ``Refused`` when another sender holds the database."""
    from stockguard.cli.writer import sole_writer
    from stockguard.core.amazon.gateway import AmazonGateway
    from stockguard.core.store import open_store
    from stockguard.core.store.listings import quantity_updates
    from stockguard.sync.pusher import push

    db = open_store(settings.store.url)
    try:
        market = market or settings.amazon.marketplace
        targets = quantity_updates(db, skus, quantity or 0, market)
        with sole_writer(db, clock, "push", settings, hand_over=True) as service:
            if service is not None:
                every = settings.scheduler.push_every
                return _hand_over(db, targets, force, service, every, clock), 0
            with AmazonGateway(settings.amazon, settings.secrets, clock) as gateway:
                report = push(
                    db,
                    gateway,
                    targets if skus else None,
                    clock,
                    force=force,
                    wait=True,
                    on_wait=on_wait,
                )
    finally:
        db.dispose()
    return _report_lines(report), 0 if report.ok and not report.in_flight else 1


def _waiting(feed_id: str) -> None:
    click.echo(f"waiting for feed {feed_id} (Ctrl-C leaves it to the next push)...", err=True)


def _hand_over(
    db: Engine,
    targets: list[QuantityUpdate],
    force: bool,
    service: Holder,
    every: float,
    clock: Clock,
) -> list[str]:
    """`run` holds the database: queue the rows for its push job instead of sending them."""
    from stockguard.core.store import outbox
    from stockguard.core.store.outbox import Target

    who = f"stockguard run (pid {service.pid} on {service.host})"
    if not targets:
        return [f"{who} is running on this database and resumes the outbox every {every:.0f} s"]
    rows = [Target(t, "manual") for t in targets]
    with db.begin() as conn:
        result = outbox.enqueue(conn, rows, clock.now(), force=force)
    lines = [
        f"{sku}: Amazon already has this quantity; nothing queued (--force to send)"
        for sku in result.unchanged + result.duplicate
    ]
    for target in rows:
        if target.update.sku not in result.unchanged + result.duplicate:
            u = target.update
            lines.append(f"{u.sku} [{u.marketplace_id}] quantity {u.quantity}: queued")
    lines.append(
        f"{len(result.queued)} queued; {who} is running on this database and sends them "
        f"within {every:.0f} s"
    )
    return lines


commands.append(push_command)


def _report_lines(report: object) -> list[str]:
    """Amazon's answer per row pushed, then a summary."""
    from stockguard.core.store.outbox import State
    from stockguard.sync.pusher import PushReport

    assert isinstance(report, PushReport)
    out = [
        f"{sku}: Amazon already has this quantity; nothing sent (--force to send)"
        for sku in report.unchanged
    ]
    for o in report.outcomes.values():
        ref = _reference(o.submission_id, o.feed_id)
        answer = {State.ACCEPTED: "ACCEPTED", State.FAILED: "REFUSED"}.get(o.state, "LATER")
        detail = f" ({o.message})" if o.message else ""
        out.append(
            f"{o.sku} [{o.marketplace_id}] quantity {o.quantity}: {answer} via {o.via}{ref}{detail}"
        )
    resumed = f", {report.resumed} resumed from an earlier run" if report.resumed else ""
    out.append(
        f"{len(report.accepted)} accepted, {len(report.failed)} refused, "
        f"{len(report.deferred)} left for the next push, "
        f"{_in_feeds(len(report.in_flight))}{len(report.unchanged)} unchanged{resumed}"
    )
    return out


def _reference(submission_id: str | None, feed_id: str | None) -> str:
    """Amazon's id for the request, when it gave one (a refused patch has none)."""
    if submission_id:
        return f", submission {submission_id}"
    return f", feed {feed_id}" if feed_id else ""


def _in_feeds(count: int) -> str:
    return f"{count} in a feed still processing, " if count else ""
