"""No database URL is ever printed with its password (issue 11).

`check --sku NOPE --db postgresql+psycopg://postgres:SECRET@…` once printed the password in
its error; a port that is no number was a traceback. Every failing command here runs through
the real root (``run_guarded``) and SECRET must appear in neither stdout nor stderr.
"""

from __future__ import annotations

import logging
import sys

import pytest

from stockguard.cli import cli
from stockguard.cli.context import PasswordHidingFormatter, run_guarded
from stockguard.core.errors import hide_passwords

SECRET = "SECRET-pw"


def with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


def stockguard(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["stockguard", *args])
    code = run_guarded(cli)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.postgres
def test_check_of_an_unknown_sku_hides_the_password(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = stockguard(
        monkeypatch, capsys, "--db", with_password(postgres_url), "check", "--sku", "NOPE"
    )

    assert code == 2
    assert "no listing with SKU 'NOPE' in postgresql+psycopg://postgres:***@127.0.0.1" in output
    assert SECRET not in output


@pytest.mark.parametrize(
    ("url", "code", "said"),
    [
        (f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test", 1, "cannot open database"),
        (f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:port/test", 2, "not a usable"),
        (f"nosuch://postgres:{SECRET}@127.0.0.1/test", 2, "not a usable database URL"),
        (f"postgresql+psycopg://127.0.0.1:1/test?password={SECRET}", 1, "password=***"),
    ],
)
@pytest.mark.parametrize("command", [("status",), ("listings", "show"), ("why", "X")])
def test_a_database_that_cannot_be_opened_hides_the_password(
    url: str,
    code: int,
    said: str,
    command: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code, output = stockguard(monkeypatch, capsys, "--db", url, *command)

    assert exit_code == code, output
    assert said in output
    assert SECRET not in output
    assert "Traceback" not in output


def test_log_lines_and_tracebacks_hide_passwords() -> None:
    formatter = PasswordHidingFormatter("%(message)s")
    try:
        raise RuntimeError(f"lost postgresql://app:{SECRET}@db.internal/shop")
    except RuntimeError:
        record = logging.LogRecord(
            "stockguard", logging.ERROR, __file__, 1, "job failed on %s", ("sqlite:///x",),
            sys.exc_info(),
        )  # fmt: skip

    text = formatter.format(record)

    assert "postgresql://app:***@db.internal/shop" in text
    assert SECRET not in text


def test_hide_passwords_keeps_user_host_and_everything_else() -> None:
    assert hide_passwords("a postgresql://u:p@ss@h:5/d?sslmode=require b") == (
        "a postgresql://u:***@h:5/d?sslmode=require b"
    )
    assert hide_passwords("sqlite:///shop.db and https://user@host/a:b@c") == (
        "sqlite:///shop.db and https://user@host/a:b@c"
    )
