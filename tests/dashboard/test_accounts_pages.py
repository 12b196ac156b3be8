"""The dashboard with two seller accounts: each listing row names its account, the account
filter narrows to one, and a SKU both accounts list asks which before it explains. The
two-emulator world of ``tests/engine/test_accounts_engine`` in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser
from starlette.applications import Starlette

from tests.dashboard.conftest import dashboard_app
from tests.engine.conftest import shop
from tests.engine.test_accounts_cli import zero_both
from tests.engine.test_accounts_engine import BOTH, FE, NA, NA_ONLY, TwoAccounts, two

__all__ = ["shop", "two"]  # fixtures, imported for pytest


def test_the_dashboard_shows_each_rows_account_and_asks_which_for_a_shared_sku(
    two: TwoAccounts, served: Callable[[Starlette], str], browser: Browser
) -> None:
    zero_both(two)
    url = served(dashboard_app(two.settings, clock=two.clock))
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()

    page.goto(f"{url}listings")
    rows = page.locator("#listings tr[data-sku]")
    shown = {(r.get_attribute("data-account"), r.get_attribute("data-sku")) for r in rows.all()}
    page.select_option("select[name=account]", FE)
    with page.expect_navigation():  # read the page the click lands on
        page.click("button[type=submit]")
    only_fe = {r.get_attribute("data-account") for r in rows.all()}
    page.goto(f"{url}listings/{BOTH}")
    asked = page.locator('[data-why="accounts"]').count()
    choices = page.locator("main li a, body li a").all_inner_texts()
    with page.expect_navigation():  # read the page the click lands on
        page.get_by_role("link", name=NA, exact=True).click()

    assert shown == {(NA, BOTH), (FE, BOTH), (NA, NA_ONLY)}
    assert only_fe == {FE}
    assert asked == 1
    assert {FE, NA} <= set(choices)
    assert page.locator('[data-why="target"]').inner_text() == "0"
    assert NA in page.locator("h1").inner_text()


def test_a_push_from_a_shared_skus_page_goes_to_that_accounts_amazon(
    two: TwoAccounts, served: Callable[[Starlette], str], browser: Browser
) -> None:
    zero_both(two)
    url = served(dashboard_app(two.settings, clock=two.clock, allow_actions=True))
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()

    page.goto(f"{url}listings/{BOTH}?account={FE}")
    page.fill("input[name=quantity]", "4")
    with page.expect_navigation():  # read the page the click lands on
        page.click("text=Review the push")
    with page.expect_navigation():  # read the page the click lands on
        page.click("#confirm")

    assert (two.fe.quantity(BOTH), two.na.quantity(BOTH)) == (4, 0)
