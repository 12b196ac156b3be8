"""`listings import` of a hostile catalogue: a bad value refuses its row, named by line and SKU;
the good rows are imported, on SQLite and PostgreSQL alike (issue 11).

Before: a cell over 128 KB stopped the file (``_csv.Error: field larger than field limit``)
and a NUL in a SKU was a ``DataError`` on PostgreSQL that imported none of the good rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.store.listings import find_listings

HEADER = "sku,marketplace,asin,handling_days,default_quantity,max_cost,currency,title,source"
GOOD_1 = "GOOD-1,US,,2,1,1980,JPY,tea,https://shop.example/1"
GOOD_2 = "GOOD-2,US,,2,1,,,kettle,feed:tonya:4901234567894"
BIG = "x" * 200_000

HOSTILE = {
    "NUL in the SKU": ("B\x00D,US,,2,1,,,,https://shop.example/b", "SKU 'B\\x00D' contains a NUL"),
    "NUL in a source URL": ("BAD,US,,2,1,,,,https://shop.example/\x00", "contains a NUL"),
    "NUL in a feed code": ("BAD,US,,2,1,,,,feed:tonya:49\x0001", "contains a NUL"),
    "34-digit max_cost": (f"BAD,US,,2,1,{'9' * 34},JPY,,https://s.example/b", "34 digits"),
    "source over 128 KB": (f"BAD,US,,2,1,,,,https://s.example/{BIG}", "source is 200,018 char"),
    "quantity over 128 KB": (f"BAD,US,,2,{'7' * 200_000},,,,https://s.example/b", "200,000 char"),
}


def import_file(
    path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    argv = ["stockguard", "--db", db_url, "listings", "import", str(path)]
    monkeypatch.setattr(sys, "argv", argv)
    code = run_guarded(cli)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_row_is_refused_by_line_and_the_good_rows_imported(
    name: str,
    db_url: str,
    db: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    row, message = HOSTILE[name]
    path = tmp_path / "catalogue.csv"
    path.write_text("\n".join([HEADER, GOOD_1, row, GOOD_2]) + "\n", encoding="utf-8")

    code, out, err = import_file(path, db_url, monkeypatch, capsys)

    assert code == 1, out + err
    assert err.startswith(f"{path}:3: "), err[:500]
    assert message in err
    assert len(err) < 500  # one clear line, not the 200 KB cell
    assert sorted(item.sku for item in find_listings(db)) == ["GOOD-1", "GOOD-2"]


def test_a_long_cell_in_an_ignored_column_keeps_its_row(
    db_url: str,
    db: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "catalogue.csv"
    row = f"LONG-TITLE,US,,2,1,,,{BIG}\x00,https://shop.example/t"
    path.write_text("\n".join([HEADER, GOOD_1, row]) + "\n", encoding="utf-8")

    code, out, err = import_file(path, db_url, monkeypatch, capsys)

    assert code == 0, out + err
    assert sorted(item.sku for item in find_listings(db)) == ["GOOD-1", "LONG-TITLE"]
