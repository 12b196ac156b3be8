"""kill -9 in the middle of `stockguard push`, then a restart: nothing lost, nothing doubled.

The emulator runs here on the real clock with Amazon's rate limits and a slow feed, so the push
is caught with patches half sent and a feed submitted but not yet read. The restarted
`stockguard push` (no arguments: resume) must poll that feed rather than resubmit it, re-send
at most the one patch whose answer was lost, and finish every listing at its target.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stockguard.core.store import open_store
from stockguard.core.store.outbox_tables import outbox
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from tests.store.conftest import HANDLING_DAYS, seed

SKUS = [f"KILL-{n:02d}" for n in range(40)]
BURST = 20  # 20 zeroings by patch (≈3 s at 5 rps), 20 in one feed


def stockguard(db: str, config: Path, *args: str) -> list[str]:
    runner = "import sys; from stockguard.cli import main; sys.argv[0] = 'stockguard'; main()"
    return [sys.executable, "-c", runner, "--db", db, "--config", str(config), *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LWA_APP_ID=EMULATOR_SECRETS.lwa_client_id,
        LWA_CLIENT_SECRET=EMULATOR_SECRETS.lwa_client_secret,
        SP_API_REFRESH_TOKEN=EMULATOR_SECRETS.refresh_token,
    )
    return env


def wait_until(condition: object, seconds: float = 30.0) -> None:
    """Poll ``condition()`` (synchronisation with another process, not a timing assumption)."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("the push never reached the point to kill it at")
        pause.wait(0.01)


@pytest.mark.slow
def test_kill_9_mid_push_then_restart_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stockguard.db'}"
    with Emulator(seed(SKUS), feed_processing_seconds=4.0) as emu:
        config = tmp_path / "stockguard.toml"
        config.write_text(
            f'[amazon]\nseller_id = "{EMULATOR_SELLER_ID}"\nendpoint = "{emu.base_url}"\n'
            f'lwa_endpoint = "{emu.base_url}"\npatch_burst_max = {BURST}\n'
        )
        engine = open_store(db)

        def mid_push() -> bool:
            patches = emu.requests_by_operation().get("patchListingsItem", 0)
            with engine.connect() as conn:
                sent = conn.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.state == "sent")
                )
            return bool(sent) and 8 <= patches < BURST

        args = [a for sku in SKUS for a in ("--sku", sku)] + ["--quantity", "0"]
        with (tmp_path / "first.log").open("w") as log:
            first = subprocess.Popen(
                stockguard(db, config, "push", *args),
                env=environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until(mid_push)
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
        assert first.returncode == -signal.SIGKILL
        assert any(emu.quantity(sku) != 0 for sku in SKUS)  # really caught mid-push

        second = subprocess.run(
            stockguard(db, config, "push"),
            env=environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        engine.dispose()
        assert second.returncode == 0, second.stdout + second.stderr
        assert "resumed from an earlier run" in second.stdout

        assert [sku for sku in SKUS if emu.quantity(sku) != 0] == []
        assert all(emu.handling_days(sku) == HANDLING_DAYS for sku in SKUS)
        assert emu.requests_by_operation()["createFeed"] == 1  # polled, never resubmitted
        sets = {
            sku: [q for _, q, c in emu.quantity_history(sku) if c in ("patch", "feed")]
            for sku in SKUS
        }
        assert all(values and set(values) == {0} for values in sets.values())
        assert sum(len(values) - 1 for values in sets.values()) <= 1  # the one patch in flight
