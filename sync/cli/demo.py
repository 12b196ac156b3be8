"""`stockguard` commands for the demo area."""

from __future__ import annotations

import click

commands: list[click.Command] = []
