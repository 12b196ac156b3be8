"""The `--encoding` option of every command that writes a CSV a seller opens in Excel (the
writing itself: core/excel_csv.py, shared with the cancellation report)."""

from __future__ import annotations

import click

from stockguard.core.excel_csv import ENCODINGS

encoding_option = click.option(
    "--encoding",
    type=click.Choice(ENCODINGS),
    default="utf-8-sig",
    show_default=True,
    help="CSV encoding: UTF-8 with BOM (Excel), plain UTF-8, or CP932 (Shift_JIS).",
)
