"""The report's outputs (CSV, HTML, PNG, terminal) and the `report cancellations` command."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import Engine

from stockguard.cancellations.chart import write_png
from stockguard.cancellations.report import CSV_COLUMNS, build_report, csv_rows
from stockguard.cancellations.report_html import render_html
from stockguard.cancellations.store.mail import HealthFigure, save_health
from stockguard.cli import cli
from stockguard.cli.report_view import print_report
from stockguard.core.config import CancellationSettings
from stockguard.core.domain import Party
from stockguard.core.store.orders import upsert_orders
from tests.cancellations.rate_orders import JP, US, order, plain
from tests.cancellations.test_rate import _us_history

NOW = datetime(2026, 3, 11, 20, 0, tzinfo=UTC)  # 13:00 PDT on 03-11 in Los Angeles
SETTINGS = CancellationSettings()


def amazon_figure(target: str = "0.025") -> HealthFigure:
    return HealthFigure(
        marketplace_id=US,
        metric_key="preFulfillmentCancellationRate",
        date_from=datetime(2026, 3, 4, tzinfo=UTC),
        date_to=datetime(2026, 3, 10, 23, 59, tzinfo=UTC),
        order_count=119,
        cancellation_count=2,
        rate=Decimal("0.0168"),
        target=Decimal(target),
        target_condition="LESS_THAN",
        status="GOOD",
    )


def test_default_period_is_the_last_seven_local_days() -> None:
    report = build_report(_us_history(), US, now=NOW, settings=SETTINGS)
    assert [d.day for d in report.days][0::6] == [date(2026, 3, 5), date(2026, 3, 11)]
    assert (report.target, report.target_source) == (Fraction(1, 40), "config")


def test_amazons_target_replaces_the_configured_one() -> None:
    report = build_report(
        _us_history(), US, now=NOW, settings=SETTINGS, health=amazon_figure("0.01")
    )
    # target 1%: 03-11 window 121 orders -> ceil(1.21) - 1 = 1 allowed, 2 counted -> budget 0
    assert (report.target, report.target_source, report.current.budget) == (
        Fraction(1, 100),
        "amazon",
        0,
    )


def test_csv_has_one_row_per_marketplace_and_day_with_amazons_figure_on_its_day() -> None:
    history = [*_us_history(), *plain(3, "2026-03-09T03:00Z", market=JP, prefix="jp")]
    reports = [
        build_report(
            history,
            US,
            now=NOW,
            settings=SETTINGS,
            first=date(2026, 3, 9),
            last=date(2026, 3, 11),
            health=amazon_figure(),
        ),
        build_report(
            history, JP, now=NOW, settings=SETTINGS, first=date(2026, 3, 9), last=date(2026, 3, 10)
        ),
    ]
    rows = csv_rows(reports)
    assert [(r["marketplace"], r["date"]) for r in rows] == [
        ("US", "2026-03-09"),
        ("US", "2026-03-10"),
        ("US", "2026-03-11"),
        ("JP", "2026-03-09"),
        ("JP", "2026-03-10"),
    ]
    assert rows[1] == {
        "date": "2026-03-10",
        "marketplace": "US",
        "marketplace_id": US,
        "window_start": "2026-03-04",
        "window_end": "2026-03-10",
        "window_orders": "121",
        "window_seller_cancellations": "3",
        "rate": "0.024793",  # 3/121 = 0.0247933…
        "target": "0.025000",
        "remaining_budget": "0",
        "at_or_over_target": "no",
        "amazon_orders": "119",
        "amazon_cancellations": "2",
        "amazon_rate": "0.0168",
        "amazon_target": "0.025",
        "amazon_period": "2026-03-04T00:00Z/2026-03-10T23:59Z",
    }
    assert rows[0]["amazon_rate"] == ""
    assert rows[2]["amazon_rate"] == ""
    # JP 03-09: 3 orders at 12:00 JST; 03-08T18:00Z (03-09 03:00 JST) cancellation is o-jp
    assert (rows[3]["window_orders"], rows[3]["window_seller_cancellations"]) == ("4", "1")
    assert list(rows[0]) == list(CSV_COLUMNS)


def test_empty_window_is_blank_in_csv_and_na_on_screen() -> None:
    report = build_report([], US, now=NOW, settings=SETTINGS, first=date(2026, 3, 11))
    (row,) = csv_rows([report])
    assert (row["window_orders"], row["rate"], row["remaining_budget"]) == ("0", "", "0")
    console = Console(record=True, width=140)
    print_report(console, [report])
    assert "n/a" in console.export_text()


def test_html_is_self_contained_escaped_and_charts_each_marketplace() -> None:
    history = [
        *_us_history(),
        order("j1", "2026-03-10T01:00Z", market=JP, sku="<b>SKU</b>", cancelled_by=Party.MERCHANT),
    ]
    reports = [build_report(history, m, now=NOW, settings=SETTINGS) for m in (US, JP)]
    page = render_html(reports, NOW)
    assert page.count("<svg") == 2
    assert not re.search(r"<script|<link|src=|@import|url\(", page)
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * 2
    assert "&lt;b&gt;SKU&lt;/b&gt;" in page
    assert "<b>SKU</b>" not in page
    assert 'class="target"' in page
    assert "o-wrong" in page


def test_png_is_an_image(tmp_path: Path) -> None:
    report = build_report(_us_history(), US, now=NOW, settings=SETTINGS)
    path = tmp_path / "rate.png"
    write_png([("US", report.days, report.target)], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_writes_csv_html_png_and_shows_amazons_figure(
    db: Engine, db_url: str, tmp_path: Path
) -> None:
    upsert_orders(db, _us_history(), NOW)
    save_health(db, [amazon_figure()], NOW)
    out = tmp_path / "rate"
    args = [
        "--db",
        db_url,
        "report",
        "cancellations",
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-11",
        "--marketplace",
        "us",
        "--csv",
        f"{out}.csv",
        "--html",
        f"{out}.html",
        "--png",
        f"{out}.png",
    ]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, standalone_mode=False)
    assert result.return_value == 0, result.output
    assert "1.68% (2/119)" in result.output  # Amazon's figure beside the local one
    assert "o-wrong (wrong-reason) leaves the window on 2026-03-14" in result.output
    with open(f"{out}.csv", encoding="utf-8-sig", newline="") as handle:  # BOM: for Excel
        rows = list(csv.DictReader(handle))
    assert [
        (r["date"], r["window_orders"], r["window_seller_cancellations"], r["remaining_budget"])
        for r in rows
    ] == [
        ("2026-03-09", "121", "3", "0"),
        ("2026-03-10", "121", "3", "0"),
        ("2026-03-11", "121", "2", "1"),
    ]
    assert Path(f"{out}.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert Path(f"{out}.png").stat().st_size > 1000


def test_command_refuses_an_unknown_marketplace(db_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["--db", db_url, "report", "cancellations", "--marketplace", "XX"]
    )
    assert result.exit_code != 0
    assert "--marketplace XX: unknown marketplace" in str(result.exception)
