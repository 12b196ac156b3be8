"""The dashboard's actions against the SP-API emulator: confirmed, CSRF-guarded, one writer.

A small world: the emulator (sharing a ManualClock with the dashboard, so feed processing
needs no waiting), two orders pulled into a fresh store and a NoInventory cancellation
planned for one. Apply-plan and push-quantity go through the code `cancellations apply` and
`push` run, so the run lock decides as it does for the CLI.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser
from sqlalchemy import Engine, insert
from starlette.applications import Starlette

from stockguard.cancellations.pull import pull_orders
from stockguard.cancellations.reasons import SupplierCheck
from stockguard.cancellations.service import plan_cancellations
from stockguard.cancellations.store.cancellation_plan import CancelState, all_rows
from stockguard.cli import cli
from stockguard.cli.demo_run import demo_settings
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import Settings
from stockguard.core.domain import Availability
from stockguard.core.errors import ConfigError
from stockguard.core.store import open_store
from stockguard.core.store import outbox as ob
from stockguard.core.store.lock_tables import run_lock
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SELLER_ID
from stockguard.sync.runlock import LOCK_NAME
from tests.dashboard.conftest import dashboard_app, save_screenshot

Serve = Callable[[Starlette], str]
SEED = {
    "seller_id": EMULATOR_SELLER_ID,
    "listings": [{"sku": sku, "quantity": 2, "handling_days": 2} for sku in ("SKU-OUT", "SKU-OK")],
}


@dataclass
class World:
    emulator: Emulator
    clock: ManualClock
    db: Engine
    settings: Settings
    out_order: str
    fine_order: str


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    with Emulator(SEED, clock=clock) as emulator:
        settings = demo_settings(f"sqlite:///{tmp_path / 'shop.db'}", emulator.base_url)
        amazon = replace(settings.amazon, poll_initial_seconds=0.5)
        settings = replace(settings, amazon=amazon)
        db = open_store(settings.store.url)
        out = emulator.add_order("SKU-OUT").order_id
        fine = emulator.add_order("SKU-OK").order_id
        clock.advance(600)
        with AmazonGateway(amazon, settings.secrets, clock, rng=random.Random(3)) as gateway:
            pull_orders(db, gateway, clock)
        verdict = SupplierCheck(Availability.OUT_OF_STOCK, "#stock: 在庫切れ", clock.now())
        assert plan_cancellations(db, clock, {"SKU-OUT": verdict}).new_rows == 1
        try:
            yield World(emulator, clock, db, settings, out, fine)
        finally:
            db.dispose()


@pytest.fixture
def actions(world: World, served: Serve) -> str:
    """The dashboard with actions allowed, on the world's clock; its URL."""
    return served(dashboard_app(world.settings, allow_actions=True, clock=world.clock))


def sends(emulator: Emulator) -> int:
    ops = emulator.requests_by_operation()
    return sum(ops.get(op, 0) for op in ("patchListingsItem", "createFeed"))


def hold_the_lock(db: Engine, command: str) -> None:
    """Another live process on this host (our parent) holds the run lock as ``command``."""
    host, pid, now = socket.gethostname(), os.getppid(), datetime.now(UTC)
    with db.begin() as conn:
        conn.execute(
            insert(run_lock).values(
                name=LOCK_NAME,
                owner=f"{host}:{pid}:test:{command}",
                host=host,
                pid=pid,
                acquired_at=now,
                heartbeat_at=now,
            )
        )


def test_apply_the_plan_after_confirming_it(
    world: World, actions: str, browser: Browser, screenshots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    page.goto(f"{actions}cancellations")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#review-apply")
    assert page.locator("#plan tr[data-order]").count() == 1
    save_screenshot(page, screenshots, "confirm_apply")
    assert sends(world.emulator) == 0  # nothing sent before the confirmation

    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")

    result = page.locator("#result").inner_text()
    assert f"{world.out_order}: cancelled (NoInventory)" in result
    assert "1 done, 0 failed, 0 refused" in result
    assert world.emulator.order(world.out_order).status == "Canceled"
    assert world.emulator.order(world.fine_order).status != "Canceled"
    assert [r.state for r in all_rows(world.db)] == [CancelState.DONE]
    page.close()


def test_push_a_quantity_after_confirming_it(world: World, actions: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{actions}actions/push?sku=SKU-OK&marketplace=US&quantity=5")
    assert "Set SKU-OK to 5 on Amazon?" in page.locator("h1").inner_text()
    assert world.emulator.quantity("SKU-OK") == 1  # 2, less the order

    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")

    assert "SKU-OK [ATVPDKIKX0DER] quantity 5: ACCEPTED" in page.locator("#result").inner_text()
    assert world.emulator.quantity("SKU-OK") == 5
    page.close()


def test_a_post_without_the_confirmation_s_csrf_token_is_refused(
    world: World, actions: str, browser: Browser
) -> None:
    push = {"sku": "SKU-OK", "marketplace": "US", "quantity": "0"}
    with httpx.Client(base_url=actions) as client:
        bare = client.post("/actions/push", data=push)
        client.get("/actions/push", params=push)  # sets the nonce cookie
        forged = client.post("/actions/push", data={**push, "csrf_token": "0" * 64})
        elsewhere = client.post(
            "/actions/apply-plan", data={}, headers={"Origin": "http://evil.example"}
        )
    assert [bare.status_code, forged.status_code, elsewhere.status_code] == [403, 403, 403]
    assert "no CSRF token" in bare.text
    assert "does not match" in forged.text
    assert "another site" in elsewhere.text

    page = browser.new_page()  # a confirmation page whose token was tampered with
    page.goto(f"{actions}actions/apply-plan")
    page.eval_on_selector("input[name=csrf_token]", "e => e.value = 'x' + e.value.slice(1)")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")
    assert "does not match" in page.locator("#refused").inner_text()
    page.close()
    assert sends(world.emulator) == 0
    assert world.emulator.quantity("SKU-OK") == 1


def test_beside_run_a_push_is_handed_over_and_beside_a_sender_apply_is_refused(
    world: World, actions: str, browser: Browser
) -> None:
    hold_the_lock(world.db, "run")
    page = browser.new_page()
    page.goto(f"{actions}actions/push?sku=SKU-OK&marketplace=US&quantity=0")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")
    result = page.locator("#result").inner_text()
    assert "SKU-OK [ATVPDKIKX0DER] quantity 0: queued" in result
    assert "is running on this database and sends them within" in result
    with world.db.connect() as conn:
        [queued] = [r for r in ob.history(conn, "SKU-OK") if r.reason == "manual"]
    assert queued.state is ob.State.PENDING
    assert sends(world.emulator) == 0  # the service sends it, not the dashboard

    with world.db.begin() as conn:
        conn.execute(run_lock.delete())
    hold_the_lock(world.db, "push")
    page.goto(f"{actions}actions/apply-plan")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")
    refused = page.locator("#refused").inner_text()
    assert refused.startswith(f"stockguard push (pid {os.getppid()} on ")
    assert refused.endswith("is sending on this database; try again when it ends")
    assert [r.state for r in all_rows(world.db)] == [CancelState.PLANNED]
    page.close()


def test_beyond_loopback_it_needs_a_password(
    world: World, served: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="STOCKGUARD_DASHBOARD_PASSWORD"):
        dashboard_app_on(world.settings, "0.0.0.0")
    monkeypatch.delenv("STOCKGUARD_DASHBOARD_PASSWORD", raising=False)
    said = CliRunner().invoke(
        cli, ["--db", world.settings.store.url, "dashboard", "--host", "0.0.0.0"]
    )
    assert said.exit_code != 0
    assert isinstance(said.exception, ConfigError)

    secret = replace(world.settings.secrets, dashboard_password="s3cret")
    url = served(dashboard_app_on(replace(world.settings, secrets=secret), "0.0.0.0"))
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, auth=("seller", "wrong")).status_code == 401
    assert httpx.get(url, auth=("seller", "s3cret")).status_code == 200


def dashboard_app_on(settings: Settings, host: str) -> Starlette:
    from stockguard.cli.dashboard.server import make_app

    return make_app(settings, host, allow_actions=False)
