"""The ``stockguard`` command: a thin click layer over the library.

Each area keeps its commands in its own module here (listings, amazon, suppliers,
cancellations, engine, demo); this root wires them in, loads settings once, and turns every
known error into one clear line and an exit code: 0 ok, 1 partial failure or operational
error, 2 usage or config error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stockguard.cli import (
    amazon,
    cancellations,
    dashboard,
    demo,
    engine,
    listings,
    reports,
    suppliers,
    why,
    workers,
)
from stockguard.cli.context import AppContext, run_guarded
from stockguard.core import i18n

COMMAND_MODULES = (
    listings,
    amazon,
    suppliers,
    cancellations,
    reports,
    engine,
    demo,
    why,
    dashboard,
    workers,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL|FILE",
    help="Database: a SQLite file or SQLAlchemy URL (default ./stockguard.db or $STOCKGUARD_DB).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file (default $STOCKGUARD_CONFIG or ./stockguard.toml).",
)
@click.version_option(package_name="stockguard")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config_path: Path | None) -> None:
    """Keep dropship Amazon listings at 0 before a buyer can order a sold-out product.

    \b
    Example:
      stockguard demo
      stockguard --db shop.db listings import catalogue.csv
    """
    i18n.configure("en", "UTC")  # each command starts plain; its settings say otherwise
    ctx.obj = AppContext(db=db, config_path=config_path)


for _module in COMMAND_MODULES:
    for _command in _module.commands:
        cli.add_command(_command)


def main() -> None:
    """Console entry point."""
    sys.exit(run_guarded(cli))
