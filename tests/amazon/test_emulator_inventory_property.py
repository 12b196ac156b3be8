"""Property: whatever is done to a SKU in whichever marketplaces, it has one quantity.

Any sequence of patches, orders, puts and deletes in US, CA and MX leaves every marketplace
that lists the SKU reading the same quantity over HTTP (getListingsItem), equal to a simple
model of one shared inventory, and every other marketplace answering 404.
"""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from stockguard.core.clock import ManualClock
from stockguard.core.domain import MARKETPLACES
from stockguard.doubles.emulator import Emulator
from tests.amazon.test_emulator import access_token, item_path, merge_body

MARKETS = [MARKETPLACES[c].marketplace_id for c in ("US", "CA", "MX")]
OFFER = {"productType": "PRODUCT", "attributes": {"condition_type": [{"value": "new_new"}]}}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("patch"), st.sampled_from(MARKETS), st.integers(0, 9)),
        st.tuples(st.just("order"), st.sampled_from(MARKETS), st.integers(1, 3)),
        st.tuples(st.just("put"), st.sampled_from(MARKETS), st.just(0)),
        st.tuples(st.just("delete"), st.sampled_from(MARKETS), st.just(0)),
    ),
    max_size=12,
)


class Model:
    """One inventory for the SKU; the set of marketplaces that list it."""

    def __init__(self) -> None:
        self.listed: set[str] = {MARKETS[0]}
        self.quantity: int | None = 5

    def apply(self, kind: str, market: str, amount: int) -> None:
        if kind == "patch" and self.listed:
            self.quantity = amount
        elif kind == "order" and market in self.listed and self.quantity is not None:
            self.quantity = max(0, self.quantity - amount)
        elif kind == "put":
            self.listed.add(market)
        elif kind == "delete" and market in self.listed:
            self.listed.discard(market)
            if not self.listed:
                self.quantity = None  # the inventory goes with the SKU's last listing


def send(emu: Emulator, http: httpx.Client, kind: str, market: str, amount: int) -> None:
    params = {"marketplaceIds": market}
    if kind == "patch":
        http.patch(item_path("TEA"), params=params, json=merge_body(amount))
    elif kind == "put":
        http.put(item_path("TEA"), params=params, json=OFFER)
    elif kind == "delete":
        http.delete(item_path("TEA"), params=params)
    elif market in emu.listed_in("TEA"):
        emu.add_order("TEA", quantity=amount, marketplace=market)


def read(http: httpx.Client, market: str) -> Any:
    params = {"marketplaceIds": market, "includedData": "fulfillmentAvailability"}
    answer = http.get(item_path("TEA"), params=params)
    if answer.status_code == 404:
        return "absent"
    (record,) = answer.json()["fulfillmentAvailability"] or [{}]
    return record.get("quantity")


@settings(max_examples=30, deadline=None)
@given(steps)
def test_every_marketplace_reads_the_one_quantity(plan: list[tuple[str, str, int]]) -> None:
    seed = {"listings": [{"sku": "TEA", "quantity": 5, "handling_days": 2}]}
    model = Model()
    with Emulator(seed, clock=ManualClock(), rate_limits=False) as emu:
        headers = {"x-amz-access-token": access_token(emu)}
        with httpx.Client(base_url=emu.base_url, headers=headers) as http:
            for kind, market, amount in plan:
                send(emu, http, kind, market, amount)
                model.apply(kind, market, amount)
                seen = {m: read(http, m) for m in MARKETS}
                expected = {m: model.quantity if m in model.listed else "absent" for m in MARKETS}
                assert seen == expected, (kind, market, amount)
                assert emu.quantity("TEA") == model.quantity
