"""`stockguard` commands for the engine area."""

from __future__ import annotations

import click

commands: list[click.Command] = []
