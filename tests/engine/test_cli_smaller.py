"""The smaller faults of issue 11, each through the real root on the live world.

`check not-a-url` fetched for seconds before failing; `sync --once` without credentials checked
every supplier and then listed the variables twice; a refused zeroing was pushed (and printed)
twice in one pass; a refused patch said "feed None"; `--budget` above ``checks_per_hour`` was
capped silently.
"""

from __future__ import annotations

import pytest

from stockguard.core.amazon.translate import CREDENTIAL_ENV
from stockguard.core.store.observation_tables import observations
from tests.engine import test_cli_engine
from tests.engine.conftest import LiveWorld
from tests.engine.test_cli_engine import Invoke, count
from tests.engine.test_cli_status_plan import hashi_as_shoes

stockguard = test_cli_engine.stockguard


def shop_requests(live: LiveWorld) -> int:
    return sum(host.requests for host in live.shop.stats().values())


@pytest.mark.parametrize("url", ["not-a-url", "ftp://shop.example/x", "http://:80/x"])
def test_check_of_something_not_a_page_url_is_a_usage_error(
    live: LiveWorld, stockguard: Invoke, url: str
) -> None:
    result = stockguard("check", url)

    assert result.code == 2
    assert "is not a page URL (expected http(s)://host/path)" in result.err
    assert result.out == ""


@pytest.mark.parametrize("absent", [CREDENTIAL_ENV, CREDENTIAL_ENV[1:2]])
def test_sync_without_credentials_fails_before_checking_anything(
    live: LiveWorld,
    stockguard: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    absent: tuple[str, ...],
) -> None:
    for name in absent:
        monkeypatch.delenv(name)

    result = stockguard("sync", "--once")

    assert result.code == 2
    assert result.err.startswith(f"error: Amazon credentials missing: set {', '.join(absent)} ")
    for name in CREDENTIAL_ENV:
        assert result.err.count(name) == 1, result.err
    assert shop_requests(live) == 0
    assert count(live, observations) == 0


def test_a_refused_zeroing_is_pushed_and_printed_once(live: LiveWorld, stockguard: Invoke) -> None:
    hashi_as_shoes(live, stockguard)  # Amazon refuses a 0 under the wrong product type
    live.shop.set_stock(live.product("JP-HASHI"), False)

    result = stockguard("sync", "--once")  # Amazon's quantity is learnt after the push

    assert result.code == 1
    assert result.out.count("refused: JP-HASHI: INVALID") == 1, result.out
    # A first refusal is sent once more by design (the pusher's second attempt), not twice more.
    assert live.emulator.requests_by_operation()["patchListingsItem"] == 2


def test_a_refused_patch_names_no_feed(live: LiveWorld, stockguard: Invoke) -> None:
    result = stockguard("push", "--sku", "NO-SUCH-SKU", "--quantity", "0", "--marketplace", "US")

    assert result.code == 1
    assert "NO-SUCH-SKU [ATVPDKIKX0DER] quantity 0: REFUSED via patch (patchListingsItem" in (
        result.out
    )
    assert "None" not in result.out


def test_a_budget_above_the_hourly_budget_is_warned(live: LiveWorld, stockguard: Invoke) -> None:
    hourly = live.sections["planner"]["checks_per_hour"]

    result = stockguard("sync", "--once", "--budget", str(hourly + 1))
    within = stockguard("sync", "--once", "--budget", str(hourly))

    assert result.code == 0, result.out + result.err
    assert (
        f"warning: --budget {hourly + 1} is above [planner] checks_per_hour = {hourly}"
    ) in result.err
    assert "warning" not in within.err
