"""`stockguard feeds import|history` end to end, with exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stockguard.cli import cli
from stockguard.cli.context import run_guarded

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"

CONFIG = """
[feeds.tonya]
code_column = "商品コード"
quantity_column = "在庫数"
price_column = "卸価格"
lead_time_column = "入荷予定"
"""


def stockguard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    config = tmp_path / "stockguard.toml"
    config.write_text(CONFIG, encoding="utf-8")
    argv = ["stockguard", "--db", str(tmp_path / "sg.db"), "--config", str(config), *args]
    monkeypatch.setattr(sys, "argv", argv)
    return run_guarded(cli)


def write(path: Path, rows: list[str]) -> Path:
    path.write_text(
        "商品コード,在庫数,卸価格,入荷予定\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return path


def test_import_reports_bad_rows_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = stockguard(
        tmp_path, monkeypatch, "feeds", "import", "tonya", str(FEEDS / "tonya-cp932.csv")
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "tonya-cp932.csv:9: quantity of 'A-008' is blank" in err
    assert "tonya: applied 8 items from tonya-cp932.csv" in out
    assert "read as cp932" in out


def test_clean_import_exits_0_and_history_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = write(tmp_path / "ok.csv", [f"X{n},5,100," for n in range(3)])
    assert stockguard(tmp_path, monkeypatch, "feeds", "import", "tonya", str(feed)) == 0
    assert stockguard(tmp_path, monkeypatch, "feeds", "history", "tonya") == 0
    assert "applied ok.csv: 3 items, 0 out of stock, total 15" in capsys.readouterr().out


def test_drift_refusal_exits_2_and_accept_drift_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.csv", [f"X{n},5,100," for n in range(30)])
    broken = write(tmp_path / "broken.csv", [f"X{n},0,100," for n in range(30)])
    assert stockguard(tmp_path, monkeypatch, "feeds", "import", "tonya", str(good)) == 0
    assert stockguard(tmp_path, monkeypatch, "feeds", "import", "tonya", str(broken)) == 2
    err = capsys.readouterr().err
    assert "broken.csv: refused as suspicious, nothing applied" in err
    assert "--accept-drift" in err
    assert (
        stockguard(tmp_path, monkeypatch, "feeds", "import", "tonya", str(broken), "--accept-drift")
        == 0
    )


def test_missing_column_and_unknown_supplier_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = stockguard(
        tmp_path,
        monkeypatch,
        "feeds",
        "import",
        "tonya",
        str(FEEDS / "missing-quantity-column.csv"),
    )
    assert code == 2
    assert "required quantity column '在庫数' is missing" in capsys.readouterr().err
    code = stockguard(
        tmp_path, monkeypatch, "feeds", "import", "nobody", str(FEEDS / "tonya-cp932.csv")
    )
    assert code == 2
    assert "no [feeds.nobody] section in the config (configured: tonya)" in capsys.readouterr().err
