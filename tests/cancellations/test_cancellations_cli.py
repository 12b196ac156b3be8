"""`orders pull`, `cancellations plan`, `cancellations apply` end to end against the emulator.

The CLI runs on the real clock; the emulator processes feeds at once and enforces no rate
limits, so nothing waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stockguard.cli import cli
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

ENV = {
    "LWA_APP_ID": EMULATOR_SECRETS.lwa_client_id,
    "LWA_CLIENT_SECRET": EMULATOR_SECRETS.lwa_client_secret,
    "SP_API_REFRESH_TOKEN": EMULATOR_SECRETS.refresh_token,
    "STOCKGUARD_CONFIG": "",
    "STOCKGUARD_DB": "",
}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    seed = {
        "seller_id": EMULATOR_SELLER_ID,
        "listings": [{"sku": s, "quantity": 1} for s in ("SKU-OUT", "SKU-MSG")],
    }
    with Emulator(seed, rate_limits=False, feed_processing_seconds=0.0) as emu:
        yield emu


def run(tmp_path: Path, emulator: Emulator, *args: str) -> Result:
    config = tmp_path / "stockguard.toml"
    config.write_text(
        f'[amazon]\nseller_id = "{EMULATOR_SELLER_ID}"\nendpoint = "{emulator.base_url}"\n'
        f'lwa_endpoint = "{emulator.base_url}"\npoll_initial_seconds = 0.01\n',
        encoding="utf-8",
    )
    base = ["--db", str(tmp_path / "shop.db"), "--config", str(config)]
    result = CliRunner().invoke(cli, [*base, *args], env=ENV, standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return result


def test_pull_plan_apply_and_apply_again(tmp_path: Path, emulator: Emulator) -> None:
    # Amazon's search shows orders updated more than two minutes ago.
    placed = datetime.now(UTC) - timedelta(minutes=10)
    out = emulator.add_order("SKU-OUT", purchased_at=placed).order_id
    message = emulator.add_order("SKU-MSG", purchased_at=placed).order_id
    checks = tmp_path / "checks.csv"
    now = datetime.now(UTC).isoformat()
    checks.write_text(
        f"sku,availability,checked_at,evidence\nSKU-OUT,OUT_OF_STOCK,{now},在庫切れ\n",
        encoding="utf-8",
    )

    pulled = run(tmp_path, emulator, "orders", "pull")
    assert pulled.return_value == 0
    assert "2 order(s) updated after" in pulled.output

    planned = run(
        tmp_path,
        emulator,
        "cancellations",
        "plan",
        "--no-pull",
        "--verdicts",
        str(checks),
        "--flag",
        f"{message}=cancel-message",
        "--lang",
        "ja",
    )
    assert planned.return_value == 0
    assert out in planned.output
    assert "NoInventory" in planned.output
    assert "注文のキャンセルをリクエスト" in planned.output  # the reply, ready to paste
    assert "zeroed SKU-OUT (out-of-stock)" in planned.output
    assert emulator.quantity("SKU-OUT") == 0

    applied = run(tmp_path, emulator, "cancellations", "apply")
    assert applied.return_value == 0, applied.output
    assert f"{out}: cancelled (NoInventory)" in applied.output
    assert emulator.order(out).status == "Canceled"
    assert emulator.order(message).status == "Unshipped"  # never auto-cancelled

    again = run(tmp_path, emulator, "cancellations", "apply")
    assert again.return_value == 0
    assert "0 done, 0 failed, 0 refused; feed(s) sent: none" in again.output


def test_a_bad_flag_is_a_usage_error(tmp_path: Path, emulator: Emulator) -> None:
    with pytest.raises(Exception, match="ORDER-ID=FLAG"):
        run(tmp_path, emulator, "cancellations", "plan", "--no-pull", "--flag", "x=nonsense")
