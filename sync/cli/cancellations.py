"""`stockguard` commands for the cancellations area."""

from __future__ import annotations

import click

commands: list[click.Command] = []
