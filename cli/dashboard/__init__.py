"""`stockguard dashboard`: a local web app over the store (docs/dashboard.md).

Pages: overview, listings (with `why` per listing), supplier hosts, feeds, cancellations.
Read-only unless started with ``--allow-actions``; on 127.0.0.1 unless told otherwise, and
never beyond loopback without STOCKGUARD_DASHBOARD_PASSWORD.
"""

from __future__ import annotations

import click

from stockguard.cli.context import AppContext

commands: list[click.Command] = []


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="TCP port (0: any free one).",
)
@click.option(
    "--allow-actions",
    is_flag=True,
    help="Allow applying the cancellation plan and pushing quantities (each confirmed).",
)
@click.pass_obj
def dashboard_command(app: AppContext, host: str, port: int, allow_actions: bool) -> int:
    """Serve the dashboard in the browser until Ctrl-C (read-only by default).

    Beyond loopback (e.g. --host 0.0.0.0) it needs STOCKGUARD_DASHBOARD_PASSWORD and asks
    for it with HTTP basic auth.

    \b
    Example:
      stockguard --db shop.db dashboard --port 8765
      STOCKGUARD_DASHBOARD_PASSWORD=… stockguard dashboard --host 0.0.0.0 --allow-actions
    """
    from stockguard.cli.dashboard.server import listen, make_app, serve_forever

    web = make_app(app.settings, host, allow_actions=allow_actions)
    try:
        listening = listen(host, port)
    except OSError as exc:
        web.state.dashboard.db.dispose()
        raise click.ClickException(f"dashboard: cannot listen on {host}:{port}: {exc}") from None
    mode = "actions allowed" if allow_actions else "read-only"
    click.echo(f"stockguard dashboard at {listening.url} ({mode}); Ctrl-C stops it")
    serve_forever(web, listening)
    return 0


commands.append(dashboard_command)
