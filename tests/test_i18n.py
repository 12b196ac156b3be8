"""Japanese: the catalogue covers every message, times print in the seller's zone (labelled),
the report's PNG renders Japanese without a missing glyph, and CSV exports open in Excel."""

from __future__ import annotations

import ast
import csv
import io
import re
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from stockguard.cancellations.chart import japanese_font, write_png
from stockguard.cancellations.report import build_report
from stockguard.cli import cli
from stockguard.cli.cancellations import PLAN_COLUMNS
from stockguard.cli.engine import CHANGE_COLUMNS
from stockguard.cli.report_view import DAY_COLUMNS
from stockguard.core import i18n
from stockguard.core.store.orders import upsert_orders
from stockguard.sync.notify.events import TOPIC_TITLES
from stockguard.sync.status import Status
from stockguard.sync.status_query import (
    NOT_DECIDED,
    NOT_READ,
    NOT_SENT,
    QUEUED,
    REFUSED,
    RETRYING,
    SENT,
)
from tests.cancellations.rate_orders import US
from tests.cancellations.test_rate import _us_history
from tests.cancellations.test_report import NOW, SETTINGS

ROOT = Path(__file__).resolve().parents[1]
MAIL = ROOT / "tests" / "fixtures" / "mail"
JA = tomllib.loads((ROOT / "core" / "locales" / "ja.toml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _plain_display() -> Iterator[None]:
    i18n.configure("en", "UTC")  # a command run before (in ja) must not leak in either
    yield
    i18n.configure("en", "UTC")  # commands reset it too; direct calls here must not leak


def literal_messages() -> set[str]:
    found = set()
    for package in ("core", "sync", "suppliers", "cancellations", "doubles", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr":
                    first = node.args[0] if node.args else None
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        found.add(first.value)
    return found


def dynamic_messages() -> set[str]:
    """Messages passed to tr() through a variable: table labels and titles."""
    shown = [*Status().rows(), *Status(account="export-na").rows()]
    status = {label for label, _ in shown if not label.startswith("  ")}
    states = {NOT_DECIDED, NOT_READ, NOT_SENT, QUEUED, REFUSED, RETRYING, SENT}
    columns = {"Account", "Amazon now", "target", "reason", "evidence", "delivery", "market"}
    columns |= {"Requested", "Order", "Market", "Item", "Reason", "Buyer's comment"}
    columns |= {"Day", "Window", "Orders", "Seller cancellations", "Rate", "Target", "Budget"}
    columns |= {"Purchase day", "Counted as", "Planned changes (nothing sent)"}
    columns |= {*CHANGE_COLUMNS, *PLAN_COLUMNS, *DAY_COLUMNS, "applied", "refused"}
    columns |= {"price", "quantity", "ships within days", "http status", "final url"}
    columns |= {"content sha256", "evidence"}
    return status | states | columns | set(TOPIC_TITLES.values())


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_japanese_catalogue_has_every_message_with_the_same_placeholders() -> None:
    wanted = literal_messages() | dynamic_messages()
    missing = sorted(wanted - set(JA))
    assert missing == []
    assert {k for k, v in JA.items() if fields(k) != fields(v)} == set()


def test_times_print_in_the_sellers_zone_with_its_name() -> None:
    from datetime import UTC, datetime

    i18n.configure("ja_JP.UTF-8", "Asia/Tokyo")
    assert i18n.when(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) == "2026-12-07 11:00 JST"
    i18n.configure("en", "UTC")
    assert i18n.when(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) == "2026-12-07 02:00 UTC"


def test_a_bad_display_setting_names_the_key() -> None:
    from stockguard.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[display\] timezone: unknown time zone 'Mars/Base'"):
        i18n.configure("ja", "Mars/Base")


def test_the_png_renders_japanese_labels_without_a_missing_glyph(tmp_path: Path) -> None:
    # The suite runs with warnings as errors: matplotlib's "Glyph … missing from font(s)"
    # warning would fail this test.
    assert japanese_font() is not None
    i18n.configure("ja", "Asia/Tokyo")
    report = build_report(_us_history(), US, now=NOW, settings=SETTINGS)
    path = tmp_path / "rate.png"
    write_png(
        [
            (
                i18n.tr(
                    "{market}: 7-day cancellation rate ({zone})",
                    market="US",
                    zone="America/Los_Angeles",
                ),
                report.days,
                report.target,
            )
        ],
        path,
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def ja_config(tmp_path: Path) -> Path:
    path = tmp_path / "stockguard.toml"
    path.write_text('[display]\nlocale = "ja"\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    return path


def test_the_report_in_japanese_csv_with_bom_or_cp932_html_with_the_orders(
    db: Engine, db_url: str, tmp_path: Path
) -> None:
    upsert_orders(db, _us_history(), NOW)
    out = tmp_path / "rate"
    base = ["--config", str(ja_config(tmp_path)), "--db", db_url, "report", "cancellations"]
    period = ["--from", "2026-03-09", "--to", "2026-03-11", "--marketplace", "us"]
    args = [*base, *period, "--csv", f"{out}.csv", "--html", f"{out}.html", "--png", f"{out}.png"]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, standalone_mode=False)
    assert result.return_value == 0, result.output
    assert "HTMLレポートを" in result.output
    assert "US キャンセル率 (7日間, America/Los_Angeles)" in result.output  # the terminal table
    assert "出品者キャンセル" in result.output
    assert "の見込み: " in result.output  # the summary lines

    raw = Path(f"{out}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["date"] == "2026-03-09"
    html = Path(f"{out}.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in html
    assert "この期間に数えられたキャンセル" in html
    assert re.search(r"作成 \d{4}-\d\d-\d\d \d\d:\d\d JST", html)
    assert "<td>o-first</td>" in html  # the order behind a counted cancellation
    assert "3/121</text>" in html  # the counts over each point, as in the PNG

    cp932 = [*base, *period, "--csv", f"{out}-sjis.csv", "--encoding", "cp932"]
    result = CliRunner().invoke(cli, cp932, standalone_mode=False)
    assert result.return_value == 0, result.output
    text = Path(f"{out}-sjis.csv").read_bytes().decode("cp932")
    assert text.startswith("date,marketplace")


def test_returns_list_in_japanese_shows_the_mail_time_in_tokyo(db_url: str, tmp_path: Path) -> None:
    config = ja_config(tmp_path)
    runner = CliRunner()
    taken = runner.invoke(
        cli,
        [
            "--config",
            str(config),
            "--db",
            db_url,
            "intake",
            "mail",
            "--eml",
            str(MAIL / "return_request_uk.eml"),
        ],
        standalone_mode=False,
    )
    assert taken.return_value == 0, taken.output
    shown = runner.invoke(
        cli, ["--config", str(config), "--db", db_url, "returns", "list"], env={"COLUMNS": "200"}
    )
    assert "対応が必要な返品リクエスト" in shown.output
    assert "依頼日時" in shown.output
    assert "2026-03-11 17:05 JST" in shown.output  # sent 08:05 UTC
