"""`stockguard` commands for the suppliers area."""

from __future__ import annotations

import click

commands: list[click.Command] = []
