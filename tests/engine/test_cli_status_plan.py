"""`status` and `plan` on the live world: what Amazon shows, what the policy wants, and why
they differ, checked against the emulator's own quantities.

The world: four listings live at 3 on Amazon that stockguard never set. After a first pass,
JP-WHISK sells out (zeroed), JP-KYUSU sells out and comes back (a restore pending: one
IN_STOCK check of the two needed), and JP-HASHI sells out but its catalogue product type does
not match Amazon's, so Amazon refuses the 0 (it stays live).
"""

from __future__ import annotations

import re

from stockguard.core.store.observation_tables import decisions
from stockguard.core.store.outbox_tables import outbox
from tests.engine import test_cli_engine
from tests.engine.conftest import LiveWorld
from tests.engine.test_cli_engine import Invoke, count, sends

stockguard = test_cli_engine.stockguard  # the same fixture: `stockguard ARGS` in this process

SKUS = ("JP-WHISK", "JP-KYUSU", "JP-FUROSHIKI", "JP-HASHI")


def figures(out: str) -> dict[str, str]:
    """The status table as label -> value."""
    return {
        label.strip(): value.strip()
        for label, value in re.findall(r"│ ([^│]+?)\s*│ ([^│]+?)\s*│", out)
    }


def on_amazon(live: LiveWorld) -> tuple[int, int]:
    """(live, at 0) as the emulator holds them."""
    quantities = [live.emulator.quantity(sku) or 0 for sku in SKUS]
    return sum(1 for q in quantities if q > 0), sum(1 for q in quantities if q == 0)


def hashi_as_shoes(live: LiveWorld, stockguard: Invoke) -> None:
    """Re-import the catalogue with JP-HASHI under a product type Amazon does not have."""
    path = live.work / "catalogue.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = [
        line.replace(",PRODUCT,", ",SHOES,") if line.startswith("JP-HASHI,") else line
        for line in lines
    ]
    shoes = live.work / "shoes.csv"
    shoes.write_text("\n".join(edited) + "\n", encoding="utf-8")
    assert stockguard("listings", "import", str(shoes)).code == 0


def build_scenario(live: LiveWorld, stockguard: Invoke) -> None:
    """Whisk zeroed, kyusu restore pending, hashi's 0 refused, furoshiki live."""
    assert stockguard("sync", "--once").code == 0  # learns Amazon's quantities
    hashi_as_shoes(live, stockguard)
    for sku in ("JP-WHISK", "JP-KYUSU", "JP-HASHI"):
        live.shop.set_stock(live.product(sku), False)
    stockguard("sync", "--once")  # exit 1: Amazon refused a change
    live.shop.set_stock(live.product("JP-KYUSU"), True)
    stockguard("sync", "--once")


def test_status_of_a_fresh_import_says_amazon_is_not_read_yet(
    live: LiveWorld, stockguard: Invoke
) -> None:
    result = stockguard("status")

    assert result.code == 0, result.out + result.err
    shown = figures(result.out)
    assert shown["listings"] == "4"
    assert shown["on Amazon: never read"] == "4"
    assert shown["on Amazon: live (>0)"] == "0"
    assert shown["policy: not decided yet"] == "4"
    assert shown["differs: not yet decided"] == "4"


def test_status_after_a_pass_matches_the_emulator(live: LiveWorld, stockguard: Invoke) -> None:
    assert stockguard("sync", "--once").code == 0
    assert sends(live) == 0  # live listings that stockguard never set: nothing sent

    shown = figures(stockguard("status").out)

    assert on_amazon(live) == (4, 0)
    assert shown["on Amazon: live (>0)"] == "4"
    assert shown["on Amazon: never read"] == "0"
    assert shown["policy wants: live"] == "4"
    assert shown["Amazon differs from the policy"] == "0"


def test_status_separates_amazon_policy_and_why_they_differ(
    live: LiveWorld, stockguard: Invoke
) -> None:
    build_scenario(live, stockguard)

    result = stockguard("status")

    assert result.code == 0, result.out + result.err
    shown = figures(result.out)
    live_now, zero_now = on_amazon(live)
    assert (live_now, zero_now) == (2, 2)  # furoshiki, and hashi whose 0 was refused
    assert shown["on Amazon: live (>0)"] == str(live_now)
    assert shown["on Amazon: at 0"] == str(zero_now)
    assert shown["on Amazon: never read"] == "0"
    assert shown["policy wants: live"] == "1"
    assert shown["policy wants: 0"] == "3"
    assert shown["policy's reasons for 0"] == "out-of-stock 2, restore-pending 1"
    assert shown["Amazon differs from the policy"] == "1"
    assert shown["differs: refused by Amazon"] == "1"
    assert shown["live on Amazon while the policy wants 0"] == "1"
    assert shown["outbox rows not yet answered"] == "0"


def test_plan_shows_amazon_now_the_target_and_the_delivery(
    live: LiveWorld, stockguard: Invoke
) -> None:
    build_scenario(live, stockguard)
    requests = live.emulator.requests_by_operation()
    stored = (count(live, outbox), count(live, decisions))

    result = stockguard("plan")

    assert result.code == 0, result.out + result.err
    # The refused 0 is what the next sync sends again; the pending restore is not a change.
    assert re.search(
        r"JP-HASHI\s*│\s*US\s*│\s*3\s*│\s*0\s*│\s*out-of-stock\s*│[^│]*│\s*refused: ", result.out
    )
    assert "JP-KYUSU" not in result.out
    assert "JP-WHISK" not in result.out
    assert "1 listing(s) shown of 4" in result.out
    assert "1 change(s) a `sync --once` would send: 1 to 0, 0 up (1 refused before" in result.out
    assert "0 restore(s) pending left alone" in result.out  # Amazon's 0 is known
    assert live.emulator.requests_by_operation() == requests  # not one request
    assert (count(live, outbox), count(live, decisions)) == stored  # nothing recorded

    everything = stockguard("plan", "--all")

    assert "4 listing(s) shown of 4" in everything.out
    assert re.search(r"JP-KYUSU\s*│\s*US\s*│\s*0\s*│\s*0\s*│\s*restore-pending", everything.out)
    assert re.search(r"JP-FUROSHIKI\s*│\s*US\s*│\s*3\s*│\s*3\s*│.*on Amazon", everything.out)


def test_plan_of_a_fresh_import_says_amazon_is_not_read_yet(
    live: LiveWorld, stockguard: Invoke
) -> None:
    result = stockguard("plan", "--all")

    assert result.code == 0, result.out + result.err
    assert re.search(r"JP-WHISK\s*│\s*US\s*│\s*not read yet\s*│", result.out)
    assert "4 listing(s) shown of 4" in result.out


def test_a_restore_pending_on_an_unread_listing_is_not_going_to_0(
    live: LiveWorld, stockguard: Invoke
) -> None:
    # Amazon cannot be read: the four live listings' quantities stay unknown, and one IN_STOCK
    # check is not enough to restore, so the policy says 0 (restore-pending) and nothing goes.
    live.emulator.faults.fail("getListingsItem", 10_000, status=400)
    stockguard("sync", "--once")
    assert sends(live) == 0

    status = figures(stockguard("status").out)
    plan = stockguard("plan")

    assert on_amazon(live) == (4, 0)
    assert status["on Amazon: never read"] == "4"
    assert status["policy's reasons for 0"] == "restore-pending 4"
    assert status["differs: Amazon's quantity not read yet"] == "4"
    assert status["live on Amazon while the policy wants 0"] == "0"  # not known to be live
    assert "0 listing(s) shown of 4" in plan.out
    assert "4 restore(s) pending left alone" in plan.out


def test_plan_after_a_pass_is_empty(live: LiveWorld, stockguard: Invoke) -> None:
    """Issue 9: after any pass, `plan` has nothing to send unless Amazon's limits hold it."""
    assert stockguard("sync", "--once").code == 0  # a live catalogue, learnt from Amazon
    live.shop.set_stock(live.product("JP-WHISK"), False)
    live.shop.set_stock(live.product("JP-HASHI"), False)
    assert stockguard("sync", "--once").code == 0

    plan = stockguard("plan")

    assert plan.code == 0, plan.out + plan.err
    assert "0 listing(s) shown of 4" in plan.out
    assert "0 change(s) a `sync --once` would send" in plan.out
    assert on_amazon(live) == (2, 2)
