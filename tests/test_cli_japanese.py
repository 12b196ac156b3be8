"""The remaining commands in Japanese through the real CLI, the Excel CSV of `listings show`,
and the shared progress display (shown on a terminal only, never in pipes or tests)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.cli.progress import step, tracked
from stockguard.core import i18n

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "fixtures" / "suppliers" / "generic"
CATALOGUE = (
    "sku,marketplace,asin,handling_days,default_quantity,source\n"
    "茶筅-01,JP,B0TEST0001,3,2,https://www.yodobashi.com/product/100000001002797862/\n"
    "WHISK-{odd},US,B0TEST0002,4,1,https://www.yodobashi.com/product/100000001002797863/\n"
)


@pytest.fixture(autouse=True)
def _plain_display() -> Iterator[None]:
    yield
    i18n.configure("en", "UTC")  # the commands ran in this process: leave English behind


def japanese(tmp_path: Path, extra: str = "") -> list[str]:
    config = tmp_path / "stockguard.toml"
    config.write_text(f'[display]\nlocale = "ja"\n{extra}', encoding="utf-8")
    return ["--config", str(config), "--db", str(tmp_path / "sg.db")]


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, standalone_mode=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return int(result.return_value or 0), result.output


def imported(tmp_path: Path, odd: str = "A") -> list[str]:
    base = japanese(tmp_path)
    path = tmp_path / "catalogue.csv"
    path.write_text(CATALOGUE.replace("{odd}", odd), encoding="utf-8")
    code, output = invoke([*base, "listings", "import", str(path)])
    assert code == 0, output
    return base


def test_listings_show_writes_a_csv_japanese_excel_opens(tmp_path: Path) -> None:
    base = imported(tmp_path)
    bom, sjis = tmp_path / "bom.csv", tmp_path / "sjis.csv"
    code, output = invoke([*base, "listings", "show", "--csv", str(bom)])
    assert code == 0, output
    assert "出品一覧" in output
    assert "2 行を" in output
    raw = bom.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("sku,marketplace,asin")  # English

    code, output = invoke([*base, "listings", "show", "--csv", str(sjis), "--encoding", "cp932"])
    assert code == 0, output
    text = sjis.read_bytes().decode("cp932")  # what Japanese Excel assumes without a BOM
    assert "茶筅-01,JP,B0TEST0001,2,3," in text


def test_a_character_cp932_cannot_hold_is_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = imported(tmp_path, odd="Ü€™é")
    capsys.readouterr()
    target = tmp_path / "out.csv"
    show = ["listings", "show", "--csv", str(target), "--encoding", "cp932"]
    monkeypatch.setattr(sys, "argv", ["stockguard", *base, *show])
    code = run_guarded(cli)
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1
    assert str(target) in err
    assert "cp932" in err
    assert not target.exists()  # nothing half written


def test_check_and_feeds_speak_japanese(tmp_path: Path) -> None:
    page = next(PAGES.glob("*.html"))
    url = "https://shop.example/products/tea"
    code, output = invoke([*japanese(tmp_path), "check", url, "--html", str(page)])
    assert "  根拠: " in output  # the labels translated; the verdict word stays as it is

    feeds = '[feeds.tonya]\ncode_column = "商品コード"\nquantity_column = "在庫数"\n'
    base = japanese(tmp_path, feeds)
    feed = tmp_path / "在庫表.csv"
    feed.write_text("商品コード,在庫数\nA-1,3\nA-2,0\n", encoding="utf-8")
    code, output = invoke([*base, "feeds", "import", "tonya", str(feed)])
    assert code == 0, output
    assert "tonya: 在庫表.csv から 2 件を反映 (在庫切れ 1 件" in output
    code, output = invoke([*base, "feeds", "history", "tonya"])
    assert "反映" in output
    assert "在庫切れ 1 件" in output
    assert " UTC" in output  # the time labelled with its zone


def test_the_progress_display_is_shown_on_a_terminal_only() -> None:
    shown = io.StringIO()
    terminal = Console(file=shown, force_terminal=True, width=80)
    assert list(tracked([1, 2, 3], "reading [bold]x.csv", terminal)) == [1, 2, 3]
    assert "reading [bold]x.csv" in shown.getvalue()  # a label is data, never markup

    piped = io.StringIO()
    with step("fetching", console=Console(file=piped, force_terminal=False)) as advance:
        advance()
    assert piped.getvalue() == ""
