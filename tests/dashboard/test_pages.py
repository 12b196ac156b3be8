"""The dashboard over a real demo run, clicked through in Chromium, against the CLI's numbers.

Each page's figures are read from the browser and compared with what `stockguard status`,
`stockguard why` and `stockguard report cancellations` print for the same database. The
screenshots land in a temporary folder, or in docs/screenshots with
STOCKGUARD_SCREENSHOTS=docs/screenshots (how the docs' pictures are made).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette

from stockguard.cancellations.store.cancellation_plan import CancelState, rows_in
from stockguard.core.store import open_store
from tests.dashboard.conftest import (
    dashboard_app,
    demo_dashboard_settings,
    save_screenshot,
    stockguard_cli,
)
from tests.engine.test_cli_status_plan import figures

pytestmark = pytest.mark.slow  # a 5-second demo run, once per session

Serve = Callable[[Starlette], str]


@pytest.fixture
def dashboard(demo_store: Path, served: Serve) -> str:
    """The read-only dashboard over the demo's database; its URL."""
    return served(dashboard_app(demo_dashboard_settings(demo_store)))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield context.new_page()
    context.close()


def shot(page: Page, folder: Path, name: str) -> None:
    assert save_screenshot(page, folder, name).stat().st_size > 1000


def figure(page: Page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text().strip()


def test_get_root_answers_200_with_the_overview(dashboard: str) -> None:
    answer = httpx.get(dashboard)
    assert answer.status_code == 200
    assert "<h1>Overview" in answer.text


def test_the_overview_shows_the_numbers_status_prints(
    dashboard: str, demo_store: Path, page: Page, screenshots: Path
) -> None:
    shown = figures(stockguard_cli(demo_store, "status"))

    page.goto(dashboard)

    assert figure(page, "listings") == shown["listings"]
    assert figure(page, "amazon-live") == shown["on Amazon: live (>0)"]
    assert figure(page, "amazon-zero") == shown["on Amazon: at 0"]
    assert figure(page, "amazon-never-read") == shown["on Amazon: never read"]
    assert figure(page, "policy-live") == shown["policy wants: live"]
    assert figure(page, "policy-zero") == shown["policy wants: 0"]
    assert figure(page, "outbox-open") == shown["outbox rows not yet answered"]
    assert figure(page, "last-push") == shown["last push accepted"]  # both in the seller's zone
    reasons = {
        cell.get_attribute("data-reason"): cell.inner_text()
        for cell in page.locator("[data-reason]").all()
    }
    listed = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
    assert listed == shown["policy's reasons for 0"].replace("none", "")
    shot(page, screenshots, "overview")


def test_listings_filter_by_state_and_search_by_sku(
    dashboard: str, demo_store: Path, page: Page, screenshots: Path
) -> None:
    shown = figures(stockguard_cli(demo_store, "status"))
    page.goto(f"{dashboard}listings")
    assert page.locator("#listings tr[data-sku]").count() == int(shown["listings"])

    page.select_option("select[name=policy]", "at 0")
    with page.expect_navigation():  # read the page the click lands on
        page.click("button[type=submit]")

    assert figure(page, "matching") == f"{shown['policy wants: 0']} listings match"
    rows = page.locator("#listings tr[data-sku]")
    assert rows.count() == int(shown["policy wants: 0"])
    shot(page, screenshots, "listings")

    page.fill("input[name=q]", "-US")
    page.select_option("select[name=policy]", "")
    with page.expect_navigation():  # read the page the click lands on
        page.click("button[type=submit]")
    skus = [row.get_attribute("data-sku") or "" for row in rows.all()]
    assert skus
    assert all("-US" in sku for sku in skus)


def test_a_listing_page_is_why_in_the_browser(
    dashboard: str, demo_store: Path, page: Page, screenshots: Path
) -> None:
    page.goto(f"{dashboard}listings?policy=at+0")
    first = page.locator("#listings tr[data-sku] a").first
    sku = first.inner_text()

    with page.expect_navigation():  # read the page the click lands on
        first.click()

    said = stockguard_cli(demo_store, "why", sku)
    head = re.search(rf"{re.escape(sku)} \((\w+)\) -> (\d+) at ([\d\- :]+) UTC: (\S+)", said)
    assert head, said
    assert page.locator('[data-why="target"]').inner_text() == head.group(2)
    assert page.locator('[data-why="decided-at"]').inner_text() == f"{head.group(3)} UTC"
    assert page.locator('[data-why="reason"]').inner_text() == head.group(4)
    evidence = re.search(r"evidence: (.*)", said)
    assert evidence
    assert page.locator('[data-why="evidence"]').inner_text() == evidence.group(1)
    kinds = {row.get_attribute("data-kind") for row in page.locator("#timeline tr").all()}
    assert {"check", "decision", "push"} <= kinds
    assert page.get_by_text("Push a quantity").count() == 0  # read-only
    shot(page, screenshots, "listing")


def test_the_hosts_page_shows_each_supplier_host(
    dashboard: str, demo_store: Path, page: Page, screenshots: Path
) -> None:
    unreadable = figures(stockguard_cli(demo_store, "status"))[
        "unreadable checks by supplier host (24 h)"
    ]
    page.goto(dashboard)
    with page.expect_navigation():  # read the page the click lands on
        page.click("text=Supplier hosts")

    rows = page.locator("#hosts tr[data-host]")
    hosts = {row.get_attribute("data-host") for row in rows.all()}
    assert {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"} <= hosts
    for row in rows.all():
        assert int(row.locator('[data-col="checks"]').inner_text()) > 0
    unknown = {
        row.get_attribute("data-host"): row.locator('[data-col="unknown"]').inner_text()
        for row in rows.all()
        if row.locator('[data-col="unknown"]').inner_text() != "0"
    }
    assert ", ".join(f"{h}: {n}" for h, n in unknown.items()) == unreadable.replace("none", "")
    shot(page, screenshots, "hosts")


def test_the_feeds_page_shows_the_import_and_the_drift_refusal(
    dashboard: str, page: Page, screenshots: Path
) -> None:
    page.goto(dashboard)
    with page.expect_navigation():  # read the page the click lands on
        page.click("text=Feeds")

    rows = page.locator('table[data-supplier="tonya"] tr[data-import]')
    assert rows.count() == 2
    assert "refused by the drift guard" in rows.nth(0).inner_text()
    assert "applied" in rows.nth(1).inner_text()
    shot(page, screenshots, "feeds")


def test_the_cancellations_page_shows_the_plan_and_the_report_s_rate(
    dashboard: str, demo_store: Path, page: Page, screenshots: Path
) -> None:
    report = stockguard_cli(demo_store, "report", "cancellations")
    db = open_store(f"sqlite:///{demo_store}")
    try:
        planned = {row.order_id for row in rows_in(db, [CancelState.PLANNED])}
    finally:
        db.dispose()
    page.goto(dashboard)
    with page.expect_navigation():  # read the page the click lands on
        page.click("header >> text=Cancellations")

    shown = {row.get_attribute("data-order") for row in page.locator("#plan tr[data-order]").all()}
    assert shown == planned
    lines = re.findall(
        r"^(\w\w) [\d-]+: (\d+) seller cancellations in (\d+) orders \(([^)]+)\); "
        r"room for (\d+) more",
        report,
        re.MULTILINE,
    )
    assert lines, report
    for market, cancelled, orders, rate, room in lines:
        card = page.locator(f'.cards[data-market="{market}"]')
        assert card.locator('[data-col="cancellations"]').inner_text() == cancelled
        assert card.locator('[data-col="orders"]').inner_text() == orders
        assert card.locator('[data-col="rate"]').inner_text() == rate
        assert card.locator('[data-col="budget"]').inner_text() == room
        listed = page.locator(f'table[data-orders="{market}"] tr[data-order]').count()
        assert listed >= int(orders)  # the orders behind it (buyer self-cancels listed too)
    assert page.locator("svg").count() == len(lines)
    assert page.locator("#review-apply").count() == 0  # read-only
    shot(page, screenshots, "cancellations")


def test_actions_are_refused_by_default(dashboard: str, page: Page) -> None:
    page.goto(f"{dashboard}actions/apply-plan")
    assert "--allow-actions" in page.locator("#refused").inner_text()
    with httpx.Client(base_url=dashboard) as client:
        assert client.get("/actions/apply-plan").status_code == 403
        assert client.post("/actions/apply-plan").status_code == 403
        assert client.post("/actions/push", data={"sku": "X", "quantity": "1"}).status_code == 403
