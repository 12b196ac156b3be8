"""`stockguard emulator` prints what points stockguard at it, and those lines work (issue 11).

Pointing the tool at the emulator once took three files to read; now the command prints the
``[amazon]`` lines and the environment to copy. The test copies them exactly as printed and
pushes a quantity through them to the running emulator.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
from pathlib import Path

import pytest

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from tests.engine.conftest import StockguardProcess


def copied_setup(printed: str) -> tuple[str, dict[str, str]]:
    """The TOML lines and the exported variables, as a user would copy them."""
    lines = printed.splitlines()
    start = lines.index("  [amazon]")
    toml = [line.strip() for line in lines[start:] if line.startswith("  ") and "=" in line]
    toml = ["[amazon]", *[line for line in toml if not line.startswith("export ")]]
    env = {}
    for line in lines:
        if line.strip().startswith("export "):
            name, _, value = line.strip().removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
    return "\n".join(toml) + "\n", env


def test_the_printed_setup_points_stockguard_at_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"listings": [{"sku": "EMU-1", "quantity": 4}]}), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LWA_", "SP_API_"))}
    emulator = StockguardProcess(("emulator", "--seed", str(seed)), env, tmp_path)
    try:
        emulator.wait_for_line("Press Ctrl-C to stop.")
        toml, exported = copied_setup("".join(emulator.stdout))
        config = tmp_path / "stockguard.toml"
        config.write_text(toml + 'marketplace = "US"\n', encoding="utf-8")
        for name, value in exported.items():
            monkeypatch.setenv(name, value)
        argv = ["stockguard", "--db", str(tmp_path / "sg.db"), "--config", str(config)]
        monkeypatch.setattr(sys, "argv", [*argv, "push", "--sku", "EMU-1", "--quantity", "0"])

        code = run_guarded(cli)
    finally:
        emulator.popen.send_signal(signal.SIGINT)
        emulator.finish()

    out = capsys.readouterr().out
    assert code == 0, out
    assert set(exported) == {"LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"}
    assert "EMU-1 [ATVPDKIKX0DER] quantity 0: ACCEPTED via patch, submission " in out
