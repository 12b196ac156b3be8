"""The pusher against the SP-API emulator, through the real gateway and a real store.

Time is a ManualClock shared by the emulator and the gateway: rate-limit waits, backoff and
feed processing move it instantly, so these tests never sleep.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.core.clock import Interrupted, ManualClock, SystemClock
from stockguard.core.config import Secrets
from stockguard.core.domain import QuantityUpdate
from stockguard.core.errors import AmazonAuthError
from stockguard.core.store import outbox as ob
from stockguard.core.store.outbox import State, Target
from stockguard.doubles.emulator import Emulator
from stockguard.sync.pusher import push, verify
from tests.store.conftest import HANDLING_DAYS, START_QUANTITY, GatewayFactory

US = "ATVPDKIKX0DER"


def updates(*skus: str, quantity: int = 0) -> list[QuantityUpdate]:
    return [QuantityUpdate(sku, quantity, US) for sku in skus]


def changes(emu: Emulator, sku: str) -> list[int]:
    """The quantities stockguard set on Amazon for ``sku`` (seed and orders left out)."""
    return [qty for _, qty, cause in emu.quantity_history(sku) if cause in ("patch", "feed")]


def states(db: Engine, sku: str) -> list[str]:
    with db.connect() as conn:
        return [row.state.value for row in ob.history(conn, sku)]


def test_few_updates_go_by_patch_and_only_changes_are_sent(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with gateway_for(emu, burst=3) as gw:
        report = push(db, gw, updates("SKU-00", "SKU-01"), clock)
        again = push(db, gw, updates("SKU-00", "SKU-01"), clock)
    assert [(o.sku, o.state, o.via) for o in report.outcomes.values()] == [
        ("SKU-00", State.ACCEPTED, "patch"),
        ("SKU-01", State.ACCEPTED, "patch"),
    ]
    assert all(o.submission_id for o in report.accepted)
    assert report.ok
    assert again.unchanged == ["SKU-00", "SKU-01"]
    assert again.outcomes == {}
    assert emu.requests_by_operation()["patchListingsItem"] == 2
    assert (emu.quantity("SKU-00"), emu.handling_days("SKU-00")) == (0, HANDLING_DAYS)


def test_a_burst_sends_zeroings_first_by_patch_and_the_rest_as_one_feed(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    restores = updates("SKU-00", "SKU-01", quantity=7)
    zeroings = updates("SKU-02", "SKU-03", "SKU-04", "SKU-05", "SKU-06")
    with gateway_for(emu, burst=3) as gw:
        report = push(db, gw, restores + zeroings, clock, wait=True)
    via = {o.sku: o.via for o in report.outcomes.values()}
    assert [sku for sku, path in via.items() if path == "patch"] == ["SKU-02", "SKU-03", "SKU-04"]
    assert len(report.feed_ids) == 1
    assert len(report.accepted) == 7
    assert emu.requests_by_operation()["createFeed"] == 1
    for update in restores + zeroings:
        assert emu.quantity(update.sku) == update.quantity
        assert emu.handling_days(update.sku) == HANDLING_DAYS  # merge, not replace
        assert changes(emu, update.sku) == [update.quantity]


def test_feed_errors_are_retried_once_then_reported(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    emu.faults.feed_errors({"SKU-05"})
    batch = updates("SKU-00", "SKU-01", "SKU-04", "SKU-05", "NO-SUCH-SKU")
    with gateway_for(emu, burst=2) as gw:
        report = push(db, gw, batch, clock, wait=True)
    assert emu.quantity("SKU-05") == 0  # the retry went by patch and was applied
    assert [o.sku for o in report.failed] == ["NO-SUCH-SKU"]
    assert "NO-SUCH-SKU" in report.failed[0].message or report.failed[0].message
    assert len(report.accepted) == 4
    with db.connect() as conn:
        attempts = {r.sku: r.attempts for r in ob.rows_in(conn, *State)}
    assert attempts == {"SKU-00": 1, "SKU-01": 1, "SKU-04": 1, "SKU-05": 2, "NO-SUCH-SKU": 2}


def test_a_patch_left_sending_by_a_crash_is_sent_again(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with db.begin() as conn:
        (row_id,) = ob.enqueue(conn, [Target(updates("SKU-03")[0])], clock.now()).queued
        ob.mark_sending(conn, [row_id], "patch", clock.now())  # then: kill -9
    with gateway_for(emu) as gw:
        report = push(db, gw, None, clock)
    assert report.resumed == 1
    assert [o.sku for o in report.accepted] == ["SKU-03"]
    assert changes(emu, "SKU-03") == [0]
    assert states(db, "SKU-03") == ["accepted"]


def test_a_submitted_feed_is_polled_after_a_restart_not_resubmitted(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    batch = updates("SKU-06", "SKU-07", "SKU-08")
    with db.begin() as conn:
        ids = ob.enqueue(conn, [Target(u) for u in batch], clock.now()).queued
        ob.mark_sending(conn, ids, "feed", clock.now())
    emu.faults.feed_errors({"SKU-07"})
    with gateway_for(emu) as first_process:
        feed_id = first_process.submit_quantity_feed(batch)
    with db.begin() as conn:
        ob.mark_sent(conn, ids, feed_id)  # then: kill -9, before the feed was read
    with gateway_for(emu) as second_process:
        report = push(db, second_process, None, clock, wait=True)
    assert report.resumed == 3
    assert emu.requests_by_operation()["createFeed"] == 1
    assert [changes(emu, sku) for sku in ("SKU-06", "SKU-07", "SKU-08")] == [[0], [0], [0]]
    assert states(db, "SKU-07") == ["accepted"]  # its feed error was retried by patch


def test_a_newer_target_supersedes_an_unsent_one(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    with db.begin() as conn:
        ob.enqueue(conn, [Target(updates("SKU-09")[0], "out-of-stock")], clock.now())
    with gateway_for(emu) as gw:
        report = push(db, gw, updates("SKU-09", quantity=2), clock, reason="in-stock")
    assert [(o.sku, o.quantity) for o in report.accepted] == [("SKU-09", 2)]
    assert changes(emu, "SKU-09") == [2]
    assert states(db, "SKU-09") == ["superseded", "accepted"]


def test_verify_requeues_what_amazon_accepted_but_did_not_apply(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    emu.faults.drop_patches(["SKU-01"])
    with gateway_for(emu) as gw:
        first = push(db, gw, updates("SKU-00", "SKU-01"), clock)
        assert len(first.accepted) == 2
        assert emu.quantity("SKU-01") == START_QUANTITY
        checked = verify(db, gw, clock=clock)
        assert checked.applied == ["SKU-00"]
        assert checked.requeued == [("SKU-01", START_QUANTITY)]
        second = push(db, gw, None, clock)
        assert [o.sku for o in second.accepted] == ["SKU-01"]
        assert verify(db, gw, clock=clock).applied == ["SKU-01"]
    assert emu.quantity("SKU-01") == 0
    assert states(db, "SKU-01") == ["applied"]


def test_429_storms_and_500s_lose_nothing(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    emu.faults.throttle("patchListingsItem", 3)
    emu.faults.fail("patchListingsItem", 2, 500)
    with gateway_for(emu) as gw:
        report = push(db, gw, updates("SKU-00", "SKU-01", "SKU-02"), clock)
    assert report.ok
    assert len(report.accepted) == 3
    assert [emu.quantity(s) for s in ("SKU-00", "SKU-01", "SKU-02")] == [0, 0, 0]
    assert emu.throttled_by_operation().get("patchListingsItem", 0) == 3  # only the storm


def test_amazon_down_leaves_rows_for_the_next_push(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    emu.faults.fail("patchListingsItem", 1000, 503)
    with gateway_for(emu) as gw:
        down = push(db, gw, updates("SKU-00", "SKU-01"), clock)
        assert not down.ok
        assert [o.sku for o in down.deferred] == ["SKU-00", "SKU-01"]
        assert states(db, "SKU-00") == ["pending"]
        emu.faults.clear()
        back = push(db, gw, None, clock)
    assert back.ok
    assert [o.sku for o in back.accepted] == ["SKU-00", "SKU-01"]
    assert changes(emu, "SKU-00") == [0]


def test_refused_credentials_stop_the_push_and_keep_the_row(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    wrong = Secrets(
        lwa_client_id="amzn1.application-oa2-client.nobody",
        lwa_client_secret="very-secret-value-123",
        refresh_token="Atzr|not-a-real-token",
    )
    with gateway_for(emu, secrets=wrong) as gw, pytest.raises(AmazonAuthError) as info:
        push(db, gw, updates("SKU-00"), clock)
    assert "very-secret-value-123" not in str(info.value)
    assert states(db, "SKU-00") == ["pending"]
    assert emu.quantity("SKU-00") == START_QUANTITY


def test_cli_push_prints_amazons_answer_and_listings_show_the_quantity(
    tmp_path: Path,
    emu: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from stockguard.cli import cli
    from stockguard.cli.context import run_guarded
    from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

    config = tmp_path / "stockguard.toml"
    config.write_text(
        f'[amazon]\nseller_id = "{EMULATOR_SELLER_ID}"\n'
        f'endpoint = "{emu.base_url}"\nlwa_endpoint = "{emu.base_url}"\n'
    )
    monkeypatch.setenv("LWA_APP_ID", EMULATOR_SECRETS.lwa_client_id)
    monkeypatch.setenv("LWA_CLIENT_SECRET", EMULATOR_SECRETS.lwa_client_secret)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", EMULATOR_SECRETS.refresh_token)
    base = ["stockguard", "--db", str(tmp_path / "s.db"), "--config", str(config)]
    monkeypatch.setattr("sys.argv", [*base, "push", "--sku", "SKU-04", "--quantity", "0"])
    assert run_guarded(cli) == 0
    out, _ = capsys.readouterr()
    assert "SKU-04 [ATVPDKIKX0DER] quantity 0: ACCEPTED via patch, submission " in out
    assert emu.quantity("SKU-04") == 0
    monkeypatch.setattr("sys.argv", [*base, "push", "--sku", "SKU-04", "--quantity", "0"])
    assert run_guarded(cli) == 0
    assert "Amazon already has this quantity" in capsys.readouterr().out


def test_a_stop_during_a_wait_on_amazon_leaves_the_row_to_be_sent_once_on_restart(
    db: Engine, emu: Emulator, gateway_for: GatewayFactory, clock: ManualClock
) -> None:
    stopping = threading.Event()
    stopping.set()  # SIGTERM arrived: the gateway's next wait ends at once
    emu.faults.throttle("patchListingsItem", 1)  # a 429: the gateway would back off
    with gateway_for(emu, on=SystemClock(interrupt=stopping)) as gw, pytest.raises(Interrupted):
        push(db, gw, updates("SKU-02"), clock)
    assert states(db, "SKU-02") == ["sending"]
    with gateway_for(emu) as gw:  # the next start
        report = push(db, gw, None, clock)
    assert report.resumed == 1
    assert changes(emu, "SKU-02") == [0]
    assert states(db, "SKU-02") == ["accepted"]
