"""Hostile input to the three importers, as properties on SQLite and PostgreSQL (issue 11).

The catalogue (`listings import`), a supplier feed (`feeds import`) and the mail intake
(`intake mail --mbox`) get files in several encodings whose rows carry NUL characters, numbers
past any column, 34-digit prices, cells over 128 KB and arbitrary Unicode (console markup
included) in the columns stockguard ignores; and plain random bytes. Through the real root
(``run_guarded``), for every input: no traceback, the exit code the README gives (0 clean, 1
rows refused, 2 file refused), every good row stored, every bad row named by its line (mails:
by ``mbox#n``).
"""

from __future__ import annotations

import csv
import io
import itertools
import mailbox
import sys
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from stockguard.cancellations.store.mail import list_returns
from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.store.feeds import latest_feed_observations
from stockguard.core.store.listings import find_listings

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RUN = itertools.count(1)  # examples share one database: their keys are made unique
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp932")
BIG = 140_000  # characters: past the csv module's 128 KB field limit


class Cli:
    """`stockguard ARGS` in this process: (exit code, stdout, stderr)."""

    def __init__(self, mp: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.mp, self.capsys = mp, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.mp.setattr(sys, "argv", ["stockguard", *args])
        code = run_guarded(cli)  # an unexpected exception fails the example: no traceback
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def stockguard(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


# Anything at all, for the columns no importer reads: markup, NUL, newlines, quotes, CJK.
anything = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["[/x] 在庫切れ", "[bold]", ":smile:", '"', "\r", "a\x00b", ""]),
    st.integers(BIG, BIG + 10).map(lambda n: "長" * n),
)


def csv_file(header: list[str], rows: list[list[str]], encoding: str) -> tuple[bytes, list[int]]:
    """The file in ``encoding`` (UTF-8 when it cannot hold the text) and each row's line."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    lines = []
    for row in rows:
        lines.append(len(io.StringIO(text.getvalue(), newline="").readlines()) + 1)
        writer.writerow(row)
    try:
        return text.getvalue().encode(encoding), lines
    except UnicodeEncodeError:
        return text.getvalue().encode("utf-8"), lines


def named(err: str, file: Path, lines: list[int], bad: list[bool]) -> None:
    """Every bad row's line is named on stderr, and no good row's."""
    for line, is_bad in zip(lines, bad, strict=True):
        assert (f"{file}:{line}: " in err or f"{file.name}:{line}: " in err) == is_bad, (
            line,
            err[:2000],
        )


# --- the catalogue ---------------------------------------------------------------------------

CATALOGUE = ["sku", "marketplace", "asin", "handling_days", "default_quantity", "max_cost"]
CATALOGUE += ["currency", "title", "source"]
BAD_CATALOGUE: dict[str, Callable[[list[str]], None]] = {
    "NUL in the SKU": lambda row: row.__setitem__(0, row[0] + "\x00"),
    "huge quantity": lambda row: row.__setitem__(4, "9" * 5000),
    "NUL in the quantity": lambda row: row.__setitem__(4, "1\x002"),
    "34-digit max_cost": lambda row: row.__setitem__(5, "9" * 34),
    "source over 128 KB": lambda row: row.__setitem__(8, "https://s.example/" + "x" * BIG),
    "NUL in the source": lambda row: row.__setitem__(8, row[8] + "\x00"),
}
catalogue_rows = st.lists(
    st.tuples(st.sampled_from([None, *BAD_CATALOGUE]), st.integers(0, 1000), anything),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(rows=catalogue_rows, encoding=st.sampled_from(ENCODINGS))
def test_catalogue_keeps_every_good_row_and_names_every_bad_one(
    db_url: str,
    db: Engine,
    tmp_path: Path,
    stockguard: Cli,
    rows: list[tuple[str | None, int, str]],
    encoding: str,
) -> None:
    run = next(RUN)
    cells, good = [], []
    for n, (fault, quantity, title) in enumerate(rows):
        sku = f"F{run}-{n}"
        row = [sku, "US", "", "2", str(quantity), "1980", "JPY", title, f"https://s.example/{n}"]
        if fault is None:
            good.append(sku)
        else:
            BAD_CATALOGUE[fault](row)
        cells.append(row)
    data, lines = csv_file(CATALOGUE, cells, encoding)
    path = tmp_path / f"catalogue-{run}.csv"
    path.write_bytes(data)

    code, _, err = stockguard("--db", db_url, "listings", "import", str(path))

    assert code == (1 if len(good) < len(rows) else 0), err[:2000]
    named(err, path, lines, [fault is not None for fault, _, _ in rows])
    stored = {item.sku for item in find_listings(db) if item.sku.startswith(f"F{run}-")}
    assert stored == set(good)


# --- a supplier feed -------------------------------------------------------------------------

FEED = ["商品コード", "在庫数", "卸価格", "入荷予定", "備考"]
FEED_CONFIG = """
[feeds.{name}]
code_column = "商品コード"
quantity_column = "在庫数"
price_column = "卸価格"
lead_time_column = "入荷予定"
"""
BAD_FEED: dict[str, Callable[[list[str]], None]] = {
    "huge quantity": lambda row: row.__setitem__(1, "9999999999999999999999999"),
    "endless lead time": lambda row: row.__setitem__(3, "1～9999999999999999日"),
    "34-digit price": lambda row: row.__setitem__(2, "9" * 34),
    "NUL in the code": lambda row: row.__setitem__(0, row[0][:2] + "\x00" + row[0][2:]),
    "NUL in the quantity": lambda row: row.__setitem__(1, row[1] + "\x00"),
    "code over 128 KB": lambda row: row.__setitem__(0, "C" * BIG),
    "quantity over 128 KB": lambda row: row.__setitem__(1, "7" * BIG),
    "lead time past 4,300 digits": lambda row: row.__setitem__(3, "9" * 5000),
    "a digit int() cannot read": lambda row: row.__setitem__(3, "\U00010a40"),
}
feed_rows = st.lists(
    st.tuples(st.sampled_from([None, *BAD_FEED]), st.integers(0, 10**6), anything),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(rows=feed_rows, encoding=st.sampled_from(ENCODINGS))
def test_feed_keeps_every_good_row_and_names_every_bad_one(
    db_url: str,
    db: Engine,
    tmp_path: Path,
    stockguard: Cli,
    rows: list[tuple[str | None, int, str]],
    encoding: str,
) -> None:
    run = next(RUN)
    supplier = f"fuzz{run}"  # a new supplier: no earlier feed for the drift guard
    config = tmp_path / f"feeds-{run}.toml"
    config.write_text(FEED_CONFIG.format(name=supplier), encoding="utf-8")
    cells, good = [], {}
    for n, (fault, quantity, note) in enumerate(rows):
        row = [f"C{run}-{n}", str(quantity), "1,980", "2～3日", note]
        if fault is None:
            good[row[0]] = quantity
        else:
            BAD_FEED[fault](row)
        cells.append(row)
    data, lines = csv_file(FEED, cells, encoding)
    path = tmp_path / f"feed-{run}.csv"
    path.write_bytes(data)

    code, _, err = stockguard(
        "--db", db_url, "--config", str(config), "feeds", "import", supplier, str(path)
    )

    if not good:  # no usable row: the file is refused, nothing applied
        assert code == 2, err[:2000]
        assert "no usable rows" in err
    else:
        assert code == (1 if len(good) < len(rows) else 0), err[:2000]
    named(err, path, lines, [fault is not None for fault, _, _ in rows])
    stored = latest_feed_observations(db, supplier)
    assert {code: stored[code].quantity for code in good} == good


# --- the mail intake -------------------------------------------------------------------------

BAD_MAIL = ("NUL in the comment", "NUL in the subject", "huge quantity", "long SKU")
QUANTITIES = ("1", "３", "\U00010a40", "x", "")  # good: a digit int() cannot read is no quantity
comments = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=":：#"),
    max_size=300,
) | st.sampled_from(["[/b]", ":smile:", "[bold]red[/bold]", "返品したい"])


def return_mail(run: int, n: int, comment: str, fault: str | None) -> bytes:
    order_id = f"204-{run:07d}-{n:07d}"
    subject = f"Return authorization request for order # {order_id}"
    quantity, sku = QUANTITIES[(run + n) % len(QUANTITIES)], f"SKU-{n}"
    if fault == "NUL in the comment":
        comment += "\x00"
    elif fault == "huge quantity":
        quantity = "9" * (30 if n % 2 else 5000)
    elif fault == "long SKU":
        sku = "S" * 201
    message = EmailMessage()
    message["From"] = "seller-notification@amazon.co.uk"
    message["Subject"] = subject
    message["Message-ID"] = f"<fuzz-{run}-{n}@amazonses.com>"
    message.set_content(
        f"Order ID: # {order_id}\nItem: Furoshiki\nSKU: {sku}\nQuantity: {quantity}\n"
        f"Return reason: Item defective\nCustomer comments: {comment}\n",
        charset="utf-8",
    )
    data = bytes(message)
    if fault == "NUL in the subject":
        data = data.replace(b"Subject: Return", b"Subject: \x00Return", 1)
    return data


@FUZZ
@given(mails=st.lists(st.tuples(st.sampled_from([None, *BAD_MAIL]), comments), max_size=5))
def test_mail_intake_applies_every_good_email_and_names_every_bad_one(
    db_url: str,
    db: Engine,
    tmp_path: Path,
    stockguard: Cli,
    mails: list[tuple[str | None, str]],
) -> None:
    run = next(RUN)
    path = tmp_path / f"amazon-{run}.mbox"
    box = mailbox.mbox(path)
    for n, (fault, comment) in enumerate(mails):
        box.add(return_mail(run, n, comment, fault))
    box.close()

    code, out, err = stockguard("--db", db_url, "intake", "mail", "--mbox", str(path))

    bad = [n for n, (fault, _) in enumerate(mails, start=1) if fault is not None]
    assert code == (1 if bad else 0), out + err
    for n in range(1, len(mails) + 1):
        assert (f"{path}#{n}: ignored" in err) == (n in bad), err
    good = {f"204-{run:07d}-{n:07d}" for n, (fault, _) in enumerate(mails) if fault is None}
    stored = {r.order_id for r in list_returns(db) if r.order_id.startswith(f"204-{run:07d}")}
    assert stored == good


# --- random bytes ----------------------------------------------------------------------------


@FUZZ
@given(junk=st.binary(max_size=600), at=st.integers(0, 10**6))
def test_random_bytes_give_an_exit_code_never_a_traceback(
    db_url: str, tmp_path: Path, stockguard: Cli, junk: bytes, at: int
) -> None:
    run = next(RUN)
    config = tmp_path / f"junk-{run}.toml"
    config.write_text(FEED_CONFIG.format(name="junk"), encoding="utf-8")
    catalogue, _ = csv_file(CATALOGUE, [[f"J{run}", "US", "", "2", "1", "", "", "", "x"]], "utf-8")
    feed, _ = csv_file(FEED, [[f"J{run}", "1", "", "", ""]], "utf-8")
    for name, good in (("catalogue", catalogue), ("feed", feed), ("mail", b"")):
        for variant, data in (("whole", junk), ("spliced", good[: at % (len(good) + 1)] + junk)):
            path = tmp_path / f"{name}-{variant}-{run}.bin"
            path.write_bytes(data)
            args = {
                "catalogue": ("listings", "import", str(path)),
                "feed": ("feeds", "import", "junk", str(path)),
                "mail": ("intake", "mail", "--eml", str(path)),
            }[name]
            code, _, err = stockguard("--db", db_url, "--config", str(config), *args)
            assert code in (0, 1, 2), err
            assert "Traceback" not in err
