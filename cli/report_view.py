"""The cancellation-rate report in the terminal: a daily table per marketplace, then its lines.

Every figure and line goes out through ``plain`` (order ids, SKUs and warnings are data).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from stockguard.cancellations.chart import percent
from stockguard.cancellations.report import MarketplaceReport
from stockguard.cancellations.report_lines import summary_lines
from stockguard.cli.plain import plain, styled
from stockguard.core.i18n import tr

DAY_COLUMNS = ("day", "orders", "seller cxl", "rate", "target", "budget")


def print_report(console: Console, reports: Sequence[MarketplaceReport]) -> None:
    """The terminal view: a daily table per marketplace, then budget, outlook and warnings."""
    for report in reports:
        console.print(_day_table(report))
        for line in summary_lines(report):
            console.print(plain(line))
        for warning in report.warnings:
            console.print(styled((tr("warning:"), "bold red"), f" {warning}"))
        console.print()


def _day_table(report: MarketplaceReport) -> Table:
    market = report.marketplace
    title = tr(
        "{market} cancellation rate (7-day windows, {zone})",
        market=market.code,
        zone=market.timezone,
    )
    table = Table(title=title)
    for name in DAY_COLUMNS:
        table.add_column(tr(name), justify="left" if name == "day" else "right")
    table.add_column("Amazon", justify="right")
    health = report.health
    for day in report.days:
        style = "bold red" if day.at_or_over_target else None
        amazon = ""
        if health is not None and health.date_to.date() == day.day:
            amazon = f"{percent(health.rate)} ({health.cancellation_count}/{health.order_count})"
        cells = (day.day, day.orders, day.cancellations, percent(day.rate))
        rest = (percent(report.target), day.budget, amazon)
        table.add_row(*map(plain, (*cells, *rest)), style=style)
    return table
