"""One seller account, several marketplaces of one region, over real HTTP.

A merchant-fulfilled quantity belongs to the seller + SKU: a patch, a feed, an order in one
marketplace is seen in every marketplace that lists the SKU, while the offer (price, presence)
stays per marketplace. A request for a marketplace of another region is refused as Amazon
refuses it, orders come only from the account's region, and each carries its marketplace's
sales channel. The real python-amazon-sp-api client sends every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sp_api.api import ListingsItems, Orders, Reports
from sp_api.base import Marketplaces
from sp_api.base.exceptions import SellingApiBadRequestException, SellingApiForbiddenException

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.domain import MARKETPLACES, QuantityUpdate
from stockguard.core.errors import AmazonAuthError, InputError
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.regions import NOT_IN_REGION, SALES_CHANNELS
from tests.amazon.test_emulator import SELLER, SpClients, merge_body
from tests.amazon.test_gateway import make_gateway

US, CA, MX, UK, JP = (MARKETPLACES[c].marketplace_id for c in ("US", "CA", "MX", "UK", "JP"))
SINCE = "2025-12-01T00:00:00Z"


def seed() -> dict[str, Any]:
    """TEA in US, CA and MX (one quantity, three offers); MUG in the US only."""
    return {
        "seller_id": SELLER,
        "listings": [
            {"sku": "TEA", "quantity": 4, "handling_days": 3, "price": "10.00", "asin": "B0TEA"},
            {"sku": "TEA", "marketplace": "CA", "price": "13.50", "asin": "B0TEA"},
            {"sku": "TEA", "marketplace": "MX", "quantity": 4, "price": "199.00"},
            {"sku": "MUG", "quantity": 2},
        ],
    }


@pytest.fixture
def sp() -> Iterator[SpClients]:
    yield from SpClients.pool()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(seed(), clock=clock) as emulator:
        yield emulator


@pytest.fixture
def gateway(emu: Emulator, clock: ManualClock) -> Iterator[AmazonGateway]:
    with make_gateway(emu.base_url, clock) as gw:
        yield gw


def read(client: Any, sku: str, marketplace_id: str) -> dict[str, Any]:
    data = ["summaries", "fulfillmentAvailability", "offers", "attributes"]
    answer = client.get_listings_item(
        SELLER, sku, marketplaceIds=[marketplace_id], includedData=data
    )
    payload: dict[str, Any] = answer.payload
    return payload


# --- one quantity, an offer per marketplace -------------------------------------------------


def test_a_patch_in_one_marketplace_is_read_back_in_every_one(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems, marketplace=Marketplaces.CA)
    answer = client.patch_listings_item(SELLER, "TEA", marketplaceIds=[CA], body=merge_body(0))
    assert (answer.payload["status"], answer.payload["issues"]) == ("ACCEPTED", [])
    for marketplace_id in (US, CA, MX):
        item = read(client, "TEA", marketplace_id)
        assert item["fulfillmentAvailability"] == [
            {"fulfillmentChannelCode": "DEFAULT", "quantity": 0}
        ]
        record = item["attributes"]["fulfillment_availability"][0]
        assert (record["lead_time_to_ship_max_days"], record["marketplace_id"]) == (
            3,
            marketplace_id,
        )
        assert item["summaries"][0]["marketplaceId"] == marketplace_id
        assert item["summaries"][0]["status"] == ["DISCOVERABLE"]  # not buyable anywhere
    assert emu.listed_in("TEA") == [US, CA, MX]
    assert [(q, cause) for _, q, cause in emu.quantity_history("TEA")] == [
        (4, "seed"),
        (0, "patch"),
    ]


def test_the_offer_stays_per_marketplace(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems)
    offers = {m: read(client, "TEA", m)["offers"] for m in (US, CA, MX)}
    assert offers[US] == [
        {
            "marketplaceId": US,
            "offerType": "B2C",
            "price": {"currencyCode": "USD", "amount": "10.00"},
        }
    ]
    assert offers[CA][0]["price"] == {"currencyCode": "CAD", "amount": "13.50"}
    assert offers[MX][0]["price"] == {"currencyCode": "MXN", "amount": "199.00"}


def test_a_feed_in_one_marketplace_changes_the_quantity_in_all(
    gateway: AmazonGateway, emu: Emulator
) -> None:
    feed_id = gateway.submit_quantity_feed([QuantityUpdate("TEA", 7, MX)])
    assert gateway.wait_for_feed(feed_id).status == "DONE"
    assert [gateway.get_quantity("TEA", marketplace_id=m) for m in (US, CA, MX)] == [7, 7, 7]
    assert [gateway.read_quantities(m).quantities["TEA"] for m in (US, CA, MX)] == [7, 7, 7]


def test_orders_in_each_marketplace_draw_on_the_one_quantity(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    ca = emu.add_order("TEA", quantity=3, marketplace="CA")
    us = emu.add_order("TEA")
    assert (ca.marketplace_id, ca.currency, us.marketplace_id) == (CA, "CAD", US)
    assert emu.quantity("TEA", MX) == 0
    assert emu.missed_arrivals == 0
    clock.advance(600)
    orders = sp(emu, Orders, marketplace=Marketplaces.CA)
    found = orders.get_orders(CreatedAfter=SINCE, MarketplaceIds=[CA]).payload["Orders"]
    assert [(o["AmazonOrderId"], o["SalesChannel"]) for o in found] == [(ca.order_id, "Amazon.ca")]


def test_a_sku_listed_elsewhere_takes_an_inventory_patch_with_a_warning(
    sp: SpClients, emu: Emulator
) -> None:
    client = sp(emu, ListingsItems, marketplace=Marketplaces.CA)
    answer = client.patch_listings_item(SELLER, "MUG", marketplaceIds=[CA], body=merge_body(0))
    assert answer.payload["status"] == "ACCEPTED"
    (warning,) = answer.payload["issues"]
    assert (warning["code"], warning["severity"], warning["marketplaceIds"]) == (
        "99020",
        "WARNING",
        [CA],
    )
    assert emu.quantity("MUG") == 0  # inventory is the seller's, whatever marketplace
    assert emu.listed_in("MUG") == [US]  # but no offer appeared in CA


def test_buyers_arrive_in_every_marketplace_of_a_listing(clock: ManualClock) -> None:
    with Emulator(seed(), clock=clock) as emu:
        emu.simulate_buyers({"TEA": 30.0}, rng_seed=4)
        emu.advance_buyers(clock.now() + timedelta(hours=1))
        markets = {o.marketplace_id for o in emu.orders()}
        assert len(emu.orders()) == 4  # the 4 units, then nothing: one shared quantity
        assert markets <= {US, CA, MX}
        assert len(markets) > 1
        assert emu.quantity("TEA") == 0
        assert emu.missed_arrivals > 0


# --- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listings", "named"),
    [
        ([{"sku": "A", "quantity": 3}, {"sku": "A", "quantity": 5, "marketplace": "CA"}], "3"),
        (
            [
                {"sku": "A", "handling_days": 2},
                {"sku": "A", "handling_days": 4, "marketplace": "MX"},
            ],
            "2",
        ),
        (
            [{"sku": "A"}, {"sku": "A", "fulfillment_channel": "AMAZON_NA", "marketplace": "CA"}],
            "DEFAULT",
        ),
    ],
)
def test_a_seed_giving_one_sku_two_inventories_is_refused_naming_both(
    listings: list[dict[str, Any]], named: str
) -> None:
    with pytest.raises(InputError) as refused:
        Emulator({"listings": listings})
    assert "listings[1]" in refused.value.message
    assert "listings[0]" in refused.value.message
    assert named in refused.value.message


@pytest.mark.parametrize(
    ("seed_", "named"),
    [
        ({"listings": [{"sku": "A", "marketplace": "UK"}]}, "listings[0].marketplace"),
        ({"marketplace": "JP", "listings": [{"sku": "A", "marketplace": "US"}]}, "listings[0]"),
        (
            {
                "orders": [
                    {
                        "order_id": "111-1111111-1111111",
                        "marketplace": "DE",
                        "items": [{"order_item_id": "12345678901234", "sku": "A"}],
                    }
                ]
            },
            "orders[0].marketplace",
        ),
    ],
)
def test_a_seed_outside_the_accounts_region_is_refused(seed_: dict[str, Any], named: str) -> None:
    with pytest.raises(InputError, match=named.replace("[", r"\[").replace("]", r"\]")) as refused:
        Emulator(seed_)
    assert "region" in refused.value.message


# --- regions --------------------------------------------------------------------------------


def test_a_marketplace_of_another_region_is_403_and_an_unknown_one_400(
    sp: SpClients, emu: Emulator
) -> None:
    client = sp(emu, ListingsItems)
    with pytest.raises(SellingApiForbiddenException) as refused:
        client.get_listings_item(SELLER, "TEA", marketplaceIds=[UK])
    assert refused.value.error[0]["details"] == NOT_IN_REGION
    with pytest.raises(SellingApiForbiddenException):
        client.patch_listings_item(SELLER, "TEA", marketplaceIds=[US, JP], body=merge_body(0))
    with pytest.raises(SellingApiBadRequestException):
        client.get_listings_item(SELLER, "TEA", marketplaceIds=["A0NOTAMARKET"])
    with pytest.raises(SellingApiForbiddenException):
        sp(emu, Reports).create_report(
            reportType="GET_MERCHANT_LISTINGS_ALL_DATA", marketplaceIds=[UK]
        )
    with pytest.raises(SellingApiForbiddenException):
        sp(emu, Orders, version="2026-01-01").search_orders(
            createdAfter=SINCE, marketplaceIds=[US, UK]
        )
    assert emu.quantity("TEA") == 4


def test_orders_come_only_from_the_accounts_region(emu: Emulator) -> None:
    assert emu.region == "NA"
    with pytest.raises(ValueError, match="region NA"):
        emu.add_order("TEA", marketplace="UK")
    assert emu.orders() == []


def test_the_gateway_reports_a_marketplace_of_another_region_clearly(
    gateway: AmazonGateway,
) -> None:
    with pytest.raises(AmazonAuthError, match="not valid for region"):
        gateway.get_quantity("TEA", marketplace_id=UK)


@pytest.mark.parametrize(
    ("account", "code", "channel"),
    [
        ("US", "MX", "Amazon.com.mx"),
        ("UK", "DE", "Amazon.de"),
        ("UK", "UK", "Amazon.co.uk"),
        ("JP", "JP", "Amazon.co.jp"),
        ("JP", "AU", "Amazon.com.au"),
    ],
)
def test_each_order_names_its_marketplaces_sales_channel(
    sp: SpClients, clock: ManualClock, account: str, code: str, channel: str
) -> None:
    market = MARKETPLACES[code]
    seed_ = {"marketplace": account, "listings": [{"sku": "S", "quantity": 1, "marketplace": code}]}
    with Emulator(seed_, clock=clock) as emu:
        order = emu.add_order("S")
        clock.advance(600)
        v0 = sp(emu, Orders).get_order(order.order_id).payload
        v2026 = sp(emu, Orders, version="2026-01-01").get_order(order.order_id).payload
    assert (v0["SalesChannel"], v0["MarketplaceId"]) == (channel, market.marketplace_id)
    assert v2026["order"]["salesChannel"]["marketplaceName"] == channel
    assert v0["OrderTotal"]["CurrencyCode"] == market.currency


def test_every_marketplace_has_a_sales_channel() -> None:
    assert set(SALES_CHANNELS) == {m.marketplace_id for m in MARKETPLACES.values()}
