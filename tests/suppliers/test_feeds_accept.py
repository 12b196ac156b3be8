"""`stockguard feeds accept SUPPLIER`: the refused feed the store kept, applied once.

On SQLite and PostgreSQL (``db_url``), through the CLI as a seller runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.domain import Availability
from stockguard.core.store import open_store
from stockguard.core.store.feed_tables import refused_feed_files
from stockguard.core.store.feeds import SqlFeedStore, latest_feed_observations
from stockguard.core.store.refused_feeds import MAX_KEPT_BYTES, kept_feed
from tests.suppliers.test_feeds_cli import CONFIG, write


def stockguard(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    config = tmp_path / "stockguard.toml"
    config.write_text(CONFIG, encoding="utf-8")
    argv = ["stockguard", "--db", db_url, "--config", str(config), *args]
    monkeypatch.setattr(sys, "argv", argv)
    return run_guarded(cli)


@pytest.fixture
def refused(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """30 items in stock applied, then a file saying all 30 sold out, refused as drift."""
    good = write(tmp_path / "good.csv", [f"X{n},5,100," for n in range(30)])
    broken = write(tmp_path / "broken.csv", [f"X{n},0,100," for n in range(30)])
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(good)) == 0
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(broken)) == 2
    return broken


def test_accept_applies_the_kept_file_once(
    db_url: str,
    refused: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused.unlink()  # the seller no longer has the file: the store's copy is used
    capsys.readouterr()

    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 0
    out = capsys.readouterr().out
    assert "tonya: applied 30 items from broken.csv (30 out of stock" in out
    assert "(drift accepted: out-of-stock share rose from 0% to 100%" in out

    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 0
    again = capsys.readouterr().out
    assert "broken.csv was already accepted (import #3); nothing imported" in again

    db = open_store(db_url)
    try:
        imports = SqlFeedStore(db).imports("tonya")
        observations = latest_feed_observations(db, "tonya")
        assert kept_feed(db, "tonya") is None
    finally:
        db.dispose()
    assert [(row.status, row.accepted_drift) for row in imports] == [
        ("applied", True),
        ("refused", False),
        ("applied", False),
    ]
    assert {obs.availability for obs in observations.values()} == {Availability.OUT_OF_STOCK}


def test_the_same_as_accept_drift_and_a_newer_import_supersedes_the_kept_file(
    db_url: str,
    refused: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("feeds", "import", "tonya", str(refused), "--accept-drift")
    assert stockguard(db_url, tmp_path, monkeypatch, *args) == 0
    capsys.readouterr()
    # accepted by the CLI already: the hash says so, nothing is imported twice
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 0
    assert "broken.csv was already accepted (import #3)" in capsys.readouterr().out

    fresh = write(tmp_path / "fresh.csv", [f"X{n},0,100," for n in range(29)])
    other = write(tmp_path / "other.csv", [f"X{n},9,100," for n in range(10)])  # truncated
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(fresh)) == 0
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(other)) == 2
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(fresh)) == 0
    capsys.readouterr()
    # other.csv was refused, then a newer applied import made it stale: not accepted
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 2
    assert "other.csv is not kept" in capsys.readouterr().err


def test_only_the_newest_refused_file_is_kept_and_not_over_the_limit(
    db_url: str,
    refused: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    half = write(tmp_path / "half.csv", [f"X{n},5,100," for n in range(10)])
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(half)) == 2
    db = open_store(db_url)
    try:
        with db.connect() as conn:
            names = list(conn.scalars(select(refused_feed_files.c.name)))
        kept = kept_feed(db, "tonya")
    finally:
        db.dispose()
    assert names == ["half.csv"]
    assert kept is not None
    assert kept[1] == half.read_bytes()

    padding = "X0,0,100," + " " * MAX_KEPT_BYTES  # one cell, the file over the limit
    huge = write(tmp_path / "huge.csv", [padding, *(f"X{n},0,100," for n in range(1, 30))])
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "import", "tonya", str(huge)) == 2
    capsys.readouterr()
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 2
    err = capsys.readouterr().err
    assert "huge.csv is not kept" in err
    assert "stockguard feeds import tonya FILE --accept-drift" in err


def test_nothing_to_accept_and_an_unknown_supplier_exit_2(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "tonya") == 2
    assert "tonya has no refused feed to accept" in capsys.readouterr().err
    assert stockguard(db_url, tmp_path, monkeypatch, "feeds", "accept", "nobody") == 2
    assert "no [feeds.nobody] section" in capsys.readouterr().err
