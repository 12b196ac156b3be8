"""`stockguard demo`: the whole loop on the embedded default (see cli/demo_run.py)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stockguard.cli.context import AppContext
from stockguard.cli.plain import plain

commands: list[click.Command] = []
console = Console()


@click.command("demo")
@click.option(
    "--seconds",
    type=click.FloatRange(min=5),
    default=60,
    show_default=True,
    help="How long the live part runs.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="The demo world's seed.")
@click.option(
    "--buyers-per-hour",
    type=float,
    default=40.0,
    show_default=True,
    help="Simulated buyer orders per live listing per hour.",
)
@click.option(
    "--dashboard",
    "with_dashboard",
    is_flag=True,
    help="Then serve the dashboard (read-only) on the demo's data until Ctrl-C.",
)
@click.option(
    "--dashboard-port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="The dashboard's port on 127.0.0.1 (0: any free one).",
)
@click.pass_obj
def demo_command(
    app: AppContext,
    seconds: float,
    seed: int,
    buyers_per_hour: float,
    with_dashboard: bool,
    dashboard_port: int,
) -> int:
    """Run stockguard end to end on this machine: no Amazon account needed.

    Starts a local SP-API emulator and a local demo shop, imports data/demo-listings.csv
    into a SQLite file (./stockguard-demo.db, or --db), and runs the real engine while
    products sell out and come back and simulated buyers order. Ends with a summary.

    \b
    Example:
      stockguard demo
      stockguard --db /tmp/demo.db demo --seconds 30
      stockguard demo --dashboard        # then browse http://127.0.0.1:8765/
    """
    from stockguard.cli.demo_loop import run_demo

    db_path = Path(app.db) if app.db and "://" not in app.db else Path("stockguard-demo.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="stockguard-demo-") as work:
        summary = run_demo(
            db_path, Path(work), seconds, seed, buyers_per_hour, console, monotonic=time.monotonic
        )
    table = Table(title="Demo summary")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in summary:
        table.add_row(plain(label), plain(value))
    console.print(table)
    where = f"Everything it did is in {db_path} (try: stockguard --db {db_path} status)."
    console.print(plain(where))
    if with_dashboard:
        _serve_dashboard(db_path, dashboard_port)
    return 0


def _serve_dashboard(db_path: Path, port: int) -> None:
    """The dashboard over the demo's database, read-only (the demo's emulator is gone)."""
    from stockguard.cli.dashboard.server import listen, make_app, serve_forever
    from stockguard.cli.demo_run import demo_settings

    settings = demo_settings(f"sqlite:///{db_path}", "http://127.0.0.1:1")
    web = make_app(settings, "127.0.0.1", allow_actions=False)
    listening = listen("127.0.0.1", port)
    where = f"Dashboard on the demo's data: {listening.url} (read-only; Ctrl-C stops it)"
    console.print(plain(where))
    serve_forever(web, listening)


commands.append(demo_command)
