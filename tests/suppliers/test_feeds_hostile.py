"""One bad value refuses its row, never the feed: on SQLite and PostgreSQL alike (issue 11).

Each hostile cell once crashed the whole import (OverflowError on SQLite, ``integer out of
range`` / ``numeric field overflow`` / a NUL ``DataError`` on PostgreSQL, ``field larger than
field limit`` in the csv module) and applied nothing, real stock-outs included.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.clock import ManualClock
from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, UnknownReason
from stockguard.core.store.feeds import SqlFeedStore, latest_feed_observations
from stockguard.suppliers.feeds import ImportReport, import_feed

SETTINGS = FeedSettings(price_column="卸価格", lead_time_column="入荷予定")
HEADER = "商品コード,在庫数,卸価格,入荷予定"
CONFIG = """
[feeds.tonya]
code_column = "商品コード"
quantity_column = "在庫数"
price_column = "卸価格"
lead_time_column = "入荷予定"
"""


def feed(path: Path, middle: str) -> Path:
    """A good in-stock row, the hostile row on line 3, a good stock-out row."""
    text = f"{HEADER}\nGOOD-1,5,1980,\n{middle}\nGOOD-0,0,1980,\n"
    path.write_text(text, encoding="utf-8")
    return path


def run(db: Engine, path: Path, clock: ManualClock) -> ImportReport:
    return import_feed(path, "tonya", SETTINGS, SqlFeedStore(db), clock)


HOSTILE = {
    "huge quantity": ("BAD,9999999999999999999999999,1980,", "quantity of 25 digits"),
    "quantity past INTEGER": ("BAD,2147483648,1980,", "quantity 2147483648 is outside"),
    "endless lead time": ("BAD,5,1980,1～9999999999999999日", "(days) 9999999999999999 is out"),
    "34-digit price": ("BAD,5," + "9" * 34 + ",", "price has 34 digits"),
    "NUL in the quantity": ("BAD,5\x00,1980,", "quantity '5\\x00' is not a number"),
    "NUL in the code": ("B\x00D,5,1980,", "item code 'B\\x00D' contains a NUL character"),
    "code longer than its column": ("C" * 201 + ",5,1980,", "item code is 201 characters long"),
    "cell over 128 KB": ("BAD," + "7" * 200_000 + ",1980,", "quantity of 200000 digits"),
    # Found by tests/test_importers_fuzz.py: int() refuses strings past 4,300 digits, and
    # str.isdigit() takes digits int() cannot read; both were tracebacks.
    "lead time past 4,300 digits": ("BAD,5,1980," + "9" * 5000, "(days) of 5000 digits"),
    "a digit int() cannot read": ("BAD,5,1980,\U00010a40日", "is not a number of days"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_cell_refuses_its_row_and_the_rest_is_applied(
    name: str, db: Engine, tmp_path: Path, clock: ManualClock
) -> None:
    row, message = HOSTILE[name]

    report = run(db, feed(tmp_path / "tonya.csv", row), clock)

    assert report.applied
    assert [(p.line, message in p.message) for p in report.problems] == [(3, True)], [
        str(p) for p in report.problems
    ]
    assert len(str(report.problems[0])) < 300  # a 200 KB cell is not echoed whole
    stored = latest_feed_observations(db, "tonya")
    assert stored["GOOD-1"].availability is Availability.IN_STOCK
    assert stored["GOOD-0"].availability is Availability.OUT_OF_STOCK  # the real stock-out


def test_a_refused_row_says_so_rather_than_absent_from_the_feed(
    db: Engine, tmp_path: Path, clock: ManualClock
) -> None:
    run(db, feed(tmp_path / "day1.csv", "BAD,5,1980,"), clock)
    assert latest_feed_observations(db, "tonya")["BAD"].availability is Availability.IN_STOCK

    report = run(db, feed(tmp_path / "day2.csv", "BAD,9999999999999999999999999,1980,"), clock)

    assert report.applied
    assert report.missing == 0  # the row was there
    bad = latest_feed_observations(db, "tonya")["BAD"]
    assert bad.availability is Availability.UNKNOWN  # not readable: 0 on Amazon, as unknown
    assert bad.reason is UnknownReason.ERROR
    assert "absent" not in bad.evidence
    assert bad.evidence.startswith("feed day2.csv line 3: row refused: item 'BAD': quantity")


def test_a_total_past_integer_is_kept_as_the_largest(
    db: Engine, tmp_path: Path, clock: ManualClock
) -> None:
    # Each row fits an INTEGER; their sum (the drift guard's total) does not.
    report = run(db, feed(tmp_path / "tonya.csv", "BIG,2147483647,1980,"), clock)
    more = run(db, feed(tmp_path / "again.csv", "BIG,2147483647,1980,"), clock)

    assert report.applied
    assert more.applied
    assert report.summary.total_quantity == 2**31 - 1
    assert more.drift == []


def test_a_feed_whose_every_row_is_refused_names_each_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found by tests/test_importers_fuzz.py: "no usable rows" hid which rows and why.
    path = tmp_path / "tonya.csv"
    path.write_text(f"{HEADER}\nBAD,9999999999999999999999999,1980,\n", encoding="utf-8")
    config = tmp_path / "stockguard.toml"
    config.write_text(CONFIG, encoding="utf-8")
    argv = ["stockguard", "--db", str(tmp_path / "sg.db"), "--config", str(config)]
    monkeypatch.setattr(sys, "argv", [*argv, "feeds", "import", "tonya", str(path)])

    code = run_guarded(cli)

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        "tonya.csv:2: item 'BAD': quantity of 25 digits is outside 0..2,147,483,647 "
        "(code unstorable)",
        "error: tonya.csv: no usable rows (1 refused): nothing applied",
    ]
