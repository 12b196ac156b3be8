"""`status`, `plan` and `why` with two seller accounts: each listing shows its account,
`--account` narrows to one, and `why` of a SKU both accounts list asks which instead of
picking one. The two-emulator world of ``test_accounts_engine`` (real emulators, real store),
the commands through the real root (``run_guarded``) reading a config file with both
accounts."""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stockguard.cancellations.store.mail import health_by_account
from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.cli.jobs import pull_and_reconcile
from stockguard.core.domain import market_id
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from tests.engine.conftest import CATALOGUE
from tests.engine.test_accounts_engine import BOTH, FE, NA, NA_ONLY, TwoAccounts, two
from tests.engine.test_cli_engine import Result
from tests.engine.test_cli_status_plan import figures

__all__ = ["two"]  # the fixture, imported for pytest

Invoke = Callable[..., Result]


def config_text(world: TwoAccounts) -> str:
    lines = ["[store]", f'url = "{world.settings.store.url}"', "", "[amazon]", ""]
    for name, markets, emu in ((NA, '["US", "CA"]', world.na), (FE, '["JP"]', world.fe)):
        lines += [
            "[[amazon.accounts]]",
            f'name = "{name}"',
            f'seller_id = "{EMULATOR_SELLER_ID}"',
            f"marketplaces = {markets}",
            f'endpoint = "{emu.base_url}"',
            f'lwa_endpoint = "{emu.base_url}"',
            "",
        ]
    return "\n".join(lines)


@pytest.fixture
def stockguard(
    two: TwoAccounts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Invoke:
    """`stockguard --config TWO-ACCOUNTS ARGS` in this process."""
    config = tmp_path / "stockguard.toml"
    config.write_text(config_text(two), encoding="utf-8")
    for key in list(os.environ):
        if key.startswith("STOCKGUARD_"):
            monkeypatch.delenv(key)
    for name in (NA, FE):
        prefix = "STOCKGUARD_" + name.upper().replace("-", "_")
        monkeypatch.setenv(f"{prefix}_LWA_CLIENT_ID", EMULATOR_SECRETS.lwa_client_id)
        monkeypatch.setenv(f"{prefix}_LWA_CLIENT_SECRET", EMULATOR_SECRETS.lwa_client_secret)
        monkeypatch.setenv(f"{prefix}_REFRESH_TOKEN", EMULATOR_SECRETS.refresh_token)
    monkeypatch.setenv("COLUMNS", "220")

    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["stockguard", "--config", str(config), *args])
        code = run_guarded(cli)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def zero_both(two: TwoAccounts) -> None:
    """A pass that learns Amazon's quantities, then the shared page sells out: both zeroed."""
    two.wired.engine.sync_once()
    two.shop.set_stock(CATALOGUE[BOTH][0], False)
    two.next_pass()


def test_status_counts_each_account_and_narrows_to_one(
    two: TwoAccounts, stockguard: Invoke
) -> None:
    zero_both(two)

    every = stockguard("status")
    na = stockguard("status", "--account", NA)

    assert every.code == 0, every.out + every.err
    shown = figures(every.out)
    assert shown["listings"] == "4"
    assert (shown[f"account {NA}"], shown[f"account {FE}"]) == ("3", "1")
    assert na.code == 0, na.out + na.err
    mine = figures(na.out)
    assert mine["seller account"] == NA
    assert mine["listings"] == "3"  # JP-WHISK in US and CA, JP-KYUSU in US
    assert mine["policy wants: 0"] == "2"  # the whisk's pool, both marketplaces
    assert f"account {FE}" not in mine


def test_status_refuses_an_unknown_account(stockguard: Invoke) -> None:
    result = stockguard("status", "--account", "export-eu")

    assert result.code == 2
    assert "unknown seller account 'export-eu'" in result.err


def plan_rows(out: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│") and "JP-" in line
    ]


def test_plan_shows_each_rows_account_and_narrows_to_one(
    two: TwoAccounts, stockguard: Invoke
) -> None:
    two.wired.engine.sync_once()

    every = stockguard("plan", "--all")
    fe = stockguard("plan", "--all", "--account", FE)

    assert every.code == 0, every.out + every.err
    rows = {(r[0], r[1], r[2]) for r in plan_rows(every.out)}
    assert rows == {
        (NA, BOTH, "US"),
        (NA, BOTH, "CA"),
        (FE, BOTH, "JP"),
        (NA, NA_ONLY, "US"),
    }
    assert fe.code == 0, fe.out + fe.err
    assert [(r[0], r[1]) for r in plan_rows(fe.out)] == [(BOTH, "JP")]  # one: no column
    assert "1 listing(s) shown of 1" in fe.out


def test_why_of_a_sku_in_two_accounts_asks_which(two: TwoAccounts, stockguard: Invoke) -> None:
    zero_both(two)

    asked = stockguard("why", BOTH)
    na = stockguard("why", BOTH, "--account", NA)
    only = stockguard("why", NA_ONLY)

    assert asked.code == 2
    assert f"listed by 2 seller accounts ({FE}, {NA})" in asked.err
    assert "--account" in asked.err
    assert na.code == 0, na.out + na.err
    assert re.search(rf"{BOTH} \({NA}, (US|CA)\) -> 0", na.out)
    assert "JP" not in na.out.split("\n")[0].split("->")[0].replace(BOTH, "")
    assert only.code == 0, only.out + only.err  # one account lists it: no question
    assert f"{NA_ONLY} ({NA}, US)" in only.out


def reports_at_once(two: TwoAccounts) -> None:
    """The emulators run on the test's manual clock, the command's gateway waits on the real
    one: each report is done as soon as it is asked for."""
    two.na.ctx.feed_processing_seconds = two.fe.ctx.feed_processing_seconds = 0.0


def test_the_report_names_each_account_and_health_is_fetched_per_account(
    two: TwoAccounts, stockguard: Invoke, tmp_path: Path
) -> None:
    reports_at_once(two)
    two.wired.engine.sync_once()
    two.na.add_order(NA_ONLY, marketplace="US", order_id="111-0000001-0000001")
    two.fe.add_order(BOTH, marketplace="JP", order_id="503-0000002-0000002")
    two.clock.advance(60)
    pull_and_reconcile(two.wired, two.clock)
    csv_path, html_path, png_path = (tmp_path / f"rate.{ext}" for ext in ("csv", "html", "png"))

    result = stockguard(
        "report", "cancellations", "--health",
        "--csv", str(csv_path), "--html", str(html_path), "--png", str(png_path),
    )  # fmt: skip

    assert result.code == 0, result.out + result.err
    for emulator in (two.na, two.fe):  # each account's figure through its own gateway
        assert emulator.requests_by_operation().get("createReport") == 1
    stored = health_by_account(two.db)
    assert {name: sorted(found) for name, found in stored.items()} == {
        NA: [market_id("US")],
        FE: [market_id("JP")],
    }
    assert stored[FE][market_id("JP")].order_count == 1
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert {(r["account"], r["marketplace"]) for r in rows} == {(NA, "US"), (FE, "JP")}
    page = html_path.read_text(encoding="utf-8")
    assert f"{NA} US: 7-day cancellation rate" in page
    assert f"{FE} JP: 7-day cancellation rate" in page
    assert png_path.stat().st_size > 0


def test_the_report_of_one_account_fetches_only_its_health(
    two: TwoAccounts, stockguard: Invoke, tmp_path: Path
) -> None:
    reports_at_once(two)
    two.fe.add_order(BOTH, marketplace="JP", order_id="503-0000002-0000002")
    two.clock.advance(60)
    pull_and_reconcile(two.wired, two.clock)
    csv_path = tmp_path / "fe.csv"

    result = stockguard(
        "report", "cancellations", "--health", "--account", FE, "--csv", str(csv_path)
    )

    assert result.code == 0, result.out + result.err
    assert two.na.requests_by_operation().get("createReport") is None
    assert set(health_by_account(two.db)) == {FE}
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert {(r["account"], r["marketplace"]) for r in rows} == {(FE, "JP")}
