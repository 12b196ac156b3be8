"""The engine's commands on the live world: `sync --once`, `plan`, `status`, and bad config.

Commands run in this process through the real root (``run_guarded``: the exit code and the
one-line error are what a user sees); the shop and the emulator are real servers on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.store.observation_tables import decisions
from stockguard.core.store.outbox_tables import outbox
from tests.engine.conftest import HOST_B, SECRET_ENV, LiveWorld, StockguardProcess


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Invoke = Callable[..., Result]


@pytest.fixture
def stockguard(
    live: LiveWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run `stockguard --config LIVE ARGS` in this process; return code, stdout, stderr."""
    for key in list(os.environ):
        if key.startswith("STOCKGUARD_"):
            monkeypatch.delenv(key)
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: keep SKUs and reasons whole
    monkeypatch.chdir(live.work)

    def invoke(*args: str, config: Path | None = None) -> Result:
        argv = ["stockguard", "--config", str(config or live.config), *args]
        monkeypatch.setattr(sys, "argv", argv)
        code = run_guarded(cli)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def count(live: LiveWorld, table: object) -> int:
    with live.db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def sends(live: LiveWorld) -> int:
    ops = live.emulator.requests_by_operation()
    return sum(ops.get(op, 0) for op in ("patchListingsItem", "createFeed"))


# --- sync --once ---------------------------------------------------------------------------


def test_sync_once_zeroes_a_stock_out_and_reports_it(live: LiveWorld, stockguard: Invoke) -> None:
    live.shop.set_stock(live.product("JP-WHISK"), False)

    result = stockguard("sync", "--once")

    assert result.code == 0, result.out + result.err
    assert live.emulator.quantity("JP-WHISK") == 0
    assert "checked: IN_STOCK 3, OUT_OF_STOCK 1" in result.out
    # Amazon's quantity is read only after the zeroing went out (a read never delays it).
    assert re.search(r"JP-WHISK\s*│\s*US\s*│\s*\?\s*│\s*0\s*│\s*out-of-stock", result.out)
    assert "pushed: 1 accepted, 0 refused, 0 left for the next push" in result.out
    assert "read back: 1 applied, 0 re-queued" in result.out

    again = stockguard("sync", "--once")  # nothing new: nothing sent

    assert again.code == 0
    assert sends(live) == 1


def test_sync_once_names_an_unreadable_host_and_exits_1(
    live: LiveWorld, stockguard: Invoke
) -> None:
    live.shop.set_fault(HOST_B, "captcha")

    result = stockguard("sync", "--once")

    assert result.code == 1
    assert f"could not read (listings zeroed): {HOST_B} 2" in result.out
    assert live.emulator.quantity("JP-FUROSHIKI") == 0
    assert live.emulator.quantity("JP-HASHI") == 0
    assert live.emulator.quantity("JP-WHISK") == 3


# --- plan -------------------------------------------------------------------------------------


def test_plan_prints_changes_with_reasons_and_sends_nothing(
    live: LiveWorld, stockguard: Invoke
) -> None:
    assert stockguard("sync", "--once").code == 0
    # The seller edits the catalogue: more units for the teapot, a cost ceiling for the hashi.
    edited = live.work / "edited.csv"
    text = (live.work / "catalogue.csv").read_text(encoding="utf-8").splitlines()
    rows = [text[0] + ",max_cost,currency"]
    for line in text[1:]:
        if line.startswith("JP-KYUSU,"):
            line = line.replace(",PRODUCT,4,3,", ",PRODUCT,4,5,")
        rows.append(line + (",1000,JPY" if line.startswith("JP-HASHI,") else ",,"))
    edited.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert stockguard("listings", "import", str(edited)).code == 0
    requests = live.emulator.requests_by_operation()
    stored = (count(live, outbox), count(live, decisions))

    result = stockguard("plan")

    assert result.code == 0, result.out + result.err
    assert "Planned changes (nothing sent)" in result.out
    assert re.search(r"JP-KYUSU\s*│\s*US\s*│\s*3\s*│\s*5\s*│\s*in-stock", result.out)
    assert re.search(r"JP-HASHI\s*│\s*US\s*│\s*3\s*│\s*0\s*│\s*over-max-cost", result.out)
    assert "JP-WHISK" not in result.out
    assert "2 listing(s) shown of 4" in result.out
    assert live.emulator.requests_by_operation() == requests  # not one request
    assert (count(live, outbox), count(live, decisions)) == stored  # nothing recorded
    assert live.emulator.quantity("JP-KYUSU") == 3

    everything = stockguard("plan", "--all")

    assert "4 listing(s) shown of 4" in everything.out
    assert "JP-WHISK" in everything.out


# --- status -----------------------------------------------------------------------------------


def test_status_shows_the_figures(live: LiveWorld, stockguard: Invoke) -> None:
    live.shop.set_stock(live.product("JP-WHISK"), False)
    assert stockguard("sync", "--once").code == 0
    live.shop.set_fault(HOST_B, "503")
    assert stockguard("sync", "--once").code == 1

    result = stockguard("status")

    assert result.code == 0
    figures = {
        label.strip(): value.strip()
        for label, value in re.findall(r"│ ([^│]+?)\s*│ ([^│]+?)\s*│", result.out)
    }
    assert figures["listings"] == "4"
    assert figures["on Amazon: live (>0)"] == "1"
    assert figures["on Amazon: at 0"] == "3"
    assert figures["policy's reasons for 0"] == "out-of-stock 1, unknown 2"
    assert figures["supplier checks in the last hour"] == "8"
    assert figures["last push accepted"] != "never"
    assert figures["outbox rows not yet answered"] == "0"
    assert figures["unreadable checks by supplier host (24 h)"] == f"{HOST_B}: 2"


def test_status_does_not_count_read_backs_as_pushes(live: LiveWorld, stockguard: Invoke) -> None:
    assert stockguard("sync", "--once").code == 0  # reads Amazon's quantities, sends nothing
    assert sends(live) == 0

    result = stockguard("status")

    assert re.search(r"│ last push accepted\s*│ never\s*│", result.out), result.out


def test_status_of_a_new_database(stockguard: Invoke, tmp_path: Path) -> None:
    result = stockguard("--db", str(tmp_path / "new.db"), "status")

    assert result.code == 0
    assert re.search(r"│ listings\s*│ 0\s*│", result.out)
    assert re.search(r"│ last push accepted\s*│ never\s*│", result.out)


# --- bad config -------------------------------------------------------------------------------

BAD_CONFIGS = [
    ("[planner]\nchecks_per_hours = 5\n", "[planner]: unknown key 'checks_per_hours'"),
    ("[plnner]\nchecks_per_hour = 5\n", "unknown key 'plnner'"),
    ('[suppliers]\nmin_gap_seconds = "fast"\n', "[suppliers] min_gap_seconds: expected a number"),
    ('[cancellations]\nauto_apply = "yes"\n', "[cancellations] auto_apply: expected true or false"),
    ("[scheduler]\ncheck_every = true\n", "[scheduler] check_every: expected a number"),
    ('[feeds.tonya]\ncode_colum = "JAN"\n', "[feeds.tonya]: unknown key 'code_colum'"),
    ("[store]\nurl = 5\n", "[store] url: expected a string"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_a_bad_config_is_refused_naming_the_key(
    stockguard: Invoke, tmp_path: Path, text: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")

    result = stockguard("status", config=bad)

    assert result.code == 2
    assert result.err.startswith(f"error: {bad}: ")
    assert message in result.err
    assert result.err.count("\n") == 1  # one line, no traceback
    assert result.out == ""


def test_a_bad_config_is_refused_by_the_real_command(live: LiveWorld, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[planner]\nchecks_per_hour = 5\nbudget = 3\n", encoding="utf-8")
    env = live.env()
    process = StockguardProcess(("--config", str(bad), "status"), env, tmp_path)

    assert process.finish() == 2
    [line] = process.stderr
    assert line.startswith(f"error: {bad}: [planner]: unknown key 'budget' (known: ")
    assert "checks_per_hour" in line
    assert process.stdout == []


def test_sync_once_in_japanese_labels_the_pass(
    live: LiveWorld, stockguard: Invoke, tmp_path: Path
) -> None:
    config = tmp_path / "ja.toml"
    text = live.config.read_text(encoding="utf-8")
    config.write_text(text + '\n[display]\nlocale = "ja"\n', encoding="utf-8")
    live.shop.set_stock(live.product("JP-WHISK"), False)

    result = stockguard("sync", "--once", config=config)

    assert result.code == 0, result.out + result.err
    assert "確認: IN_STOCK 3, OUT_OF_STOCK 1" in result.out
    assert "Amazonに送った変更" in result.out
    assert "送信: 受理 1 件, 拒否 0 件" in result.out
    assert "読み戻し: 反映 1 件" in result.out
    assert "checking supplier pages" not in result.err + result.out  # no progress off a tty
    assert "仕入れ先ページを確認中" not in result.err + result.out
