"""The dashboard's third action: accept a feed the drift guard refused, from the kept copy.

The world of test_actions (a fresh store, the dashboard on a ManualClock) plus the demo's
wholesaler (``tonya``): 12 items in stock applied, then a file saying all 12 sold out,
refused. Accepting goes through ``accept_kept_feed`` (`stockguard feeds accept`).
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import httpx
from playwright.sync_api import Browser

from stockguard.cli.demo_loop import TONYA
from stockguard.core.config import Settings
from stockguard.core.domain import Availability
from stockguard.core.store.feeds import SqlFeedStore, latest_feed_observations
from stockguard.suppliers.feeds import import_feed
from tests.dashboard import test_actions
from tests.dashboard.conftest import dashboard_app, save_screenshot
from tests.dashboard.test_actions import Serve, World, hold_the_lock

world = test_actions.world  # the same fixture: a fresh store beside the SP-API emulator

CODES = [f"49012345{n:05d}" for n in range(12)]


def refuse_a_drifted_feed(world: World, work: Path) -> int:
    """Apply a feed with every item in stock, then refuse one with all of them sold out."""
    store = SqlFeedStore(world.db)
    for name, stock in (("good.csv", 5), ("all-zero.csv", 0)):
        feed = work / name
        with feed.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["JANコード", "在庫数", "卸価格"])
            writer.writerows([code, stock, 1200] for code in CODES)
        report = import_feed(feed, "tonya", TONYA, store, world.clock)
        world.clock.advance(60)
    assert not report.applied
    assert report.import_id is not None
    return report.import_id


def with_tonya(world: World) -> Settings:
    """The world's settings with the demo wholesaler's [feeds.tonya]."""
    return replace(world.settings, feeds={"tonya": TONYA})


def tonya_stock(world: World) -> set[Availability]:
    return {obs.availability for obs in latest_feed_observations(world.db, "tonya").values()}


def test_accept_a_drifted_feed_after_confirming_it(
    world: World, served: Serve, browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    refused = refuse_a_drifted_feed(world, tmp_path)
    (tmp_path / "all-zero.csv").unlink()  # the store's copy is what is accepted
    actions = served(dashboard_app(with_tonya(world), allow_actions=True, clock=world.clock))
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    page.goto(f"{actions}feeds")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#review-accept-tonya")
    assert "Apply tonya's feed all-zero.csv despite the drift guard?" in page.inner_text("h1")
    figures = page.locator("#figures").inner_text()
    assert "last applied feed #1 (good.csv)\t12\t0\t60" in figures
    assert f"refused feed #{refused} (all-zero.csv)\t12\t12\t0" in figures
    assert "out-of-stock share rose from 0% to 100%" in page.locator("#drift").inner_text()
    save_screenshot(page, screenshots, "confirm_accept")
    assert tonya_stock(world) == {Availability.IN_STOCK}  # nothing applied before confirming

    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")

    result = page.locator("#result").inner_text()
    assert "tonya: applied 12 items from all-zero.csv (12 out of stock" in result
    assert "(drift accepted: out-of-stock share rose from 0% to 100%" in result
    assert tonya_stock(world) == {Availability.OUT_OF_STOCK}
    page.go_back()  # the same confirmation posted again: already accepted, not imported twice
    page.reload()
    assert "No refused feed of tonya is waiting" in page.locator("#refused").inner_text()
    [latest, *_] = SqlFeedStore(world.db).imports("tonya")
    assert (latest.status, latest.accepted_drift, latest.id) == ("applied", True, refused + 1)
    page.goto(f"{actions}feeds")
    assert page.locator("#review-accept-tonya").count() == 0
    page.close()


def test_read_only_shows_the_command_and_the_post_needs_the_csrf_token(
    world: World, served: Serve, browser: Browser, tmp_path: Path
) -> None:
    refused = refuse_a_drifted_feed(world, tmp_path)
    read_only = served(dashboard_app(with_tonya(world), clock=world.clock))
    page = browser.new_page()
    page.goto(f"{read_only}feeds")
    assert page.locator("#review-accept-tonya").count() == 0
    assert "stockguard feeds accept tonya" in page.locator("[data-waiting]").inner_text()
    page.close()
    form = {"supplier": "tonya", "import_id": str(refused)}
    with httpx.Client(base_url=read_only) as client:
        assert client.get("/actions/accept-feed", params={"supplier": "tonya"}).status_code == 403
        assert client.post("/actions/accept-feed", data=form).status_code == 403

    actions = served(dashboard_app(with_tonya(world), allow_actions=True, clock=world.clock))
    with httpx.Client(base_url=actions) as client:
        bare = client.post("/actions/accept-feed", data=form)
        client.get("/actions/accept-feed", params={"supplier": "tonya"})  # the nonce cookie
        forged = client.post("/actions/accept-feed", data={**form, "csrf_token": "0" * 64})
    assert [bare.status_code, forged.status_code] == [403, 403]
    assert "no CSRF token" in bare.text
    assert "does not match" in forged.text
    assert tonya_stock(world) == {Availability.IN_STOCK}


def test_beside_a_sender_accepting_is_refused(
    world: World, served: Serve, browser: Browser, tmp_path: Path
) -> None:
    refuse_a_drifted_feed(world, tmp_path)
    actions = served(dashboard_app(with_tonya(world), allow_actions=True, clock=world.clock))
    hold_the_lock(world.db, "push")
    page = browser.new_page()
    page.goto(f"{actions}actions/accept-feed?supplier=tonya")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")
    assert "is sending on this database" in page.locator("#refused").inner_text()
    assert tonya_stock(world) == {Availability.IN_STOCK}
    page.close()
