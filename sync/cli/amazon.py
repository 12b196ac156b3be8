"""`stockguard` commands for the amazon area."""

from __future__ import annotations

import click

commands: list[click.Command] = []
