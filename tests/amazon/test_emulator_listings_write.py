"""putListingsItem and deleteListingsItem through the real python-amazon-sp-api client.

PUT creates or fully replaces a listing in the marketplaces named; its
``fulfillment_availability`` is the SKU's for all of them. DELETE delists in the marketplaces
named; the SKU's inventory stays with its listings elsewhere. A write for a SKU the account
does not list is the model's 400 (its sandbox example: BAD_REQUEST for BadSKU).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sp_api.api import ListingsItems
from sp_api.base import Marketplaces, SellingApiException
from sp_api.base.exceptions import SellingApiBadRequestException

from stockguard.core.clock import ManualClock
from stockguard.core.domain import MARKETPLACES, QuantityUpdate
from stockguard.core.errors import AmazonRejected
from stockguard.doubles.emulator import Emulator
from tests.amazon.test_emulator import SELLER, SpClients, call, item_path
from tests.amazon.test_gateway import make_gateway

US, CA = MARKETPLACES["US"].marketplace_id, MARKETPLACES["CA"].marketplace_id


def put_body(quantity: int | None = 3, **extra: Any) -> dict[str, Any]:
    """A whole listing: condition, name, price and (unless None) an MFN quantity."""
    attributes: dict[str, Any] = {
        "condition_type": [{"value": "new_new"}],
        "item_name": [{"value": "Kyusu teapot", "language_tag": "en_US"}],
        "merchant_suggested_asin": [{"value": "B0KYUSU01"}],
        "purchasable_offer": [
            {"currency": "USD", "our_price": [{"schedule": [{"value_with_tax": 42.5}]}]}
        ],
    }
    if quantity is not None:
        attributes["fulfillment_availability"] = [
            {"fulfillment_channel_code": "DEFAULT", "quantity": quantity}
        ]
    attributes.update(extra)
    return {"productType": "TEAPOT", "requirements": "LISTING", "attributes": attributes}


@pytest.fixture
def sp() -> Iterator[SpClients]:
    yield from SpClients.pool()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    seed = {"listings": [{"sku": "MUG", "quantity": 2, "handling_days": 2}]}
    with Emulator(seed, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def client(sp: SpClients, emu: Emulator) -> Any:
    return sp(emu, ListingsItems)


def test_put_creates_a_listing_that_reads_back(client: Any, emu: Emulator) -> None:
    answer = client.put_listings_item(
        SELLER,
        "KYUSU",
        marketplaceIds=[US],
        includedData=["identifiers", "issues"],
        body=put_body(),
    )
    assert answer.payload["status"] == "ACCEPTED"
    assert answer.payload["identifiers"] == [{"marketplaceId": US, "asin": "B0KYUSU01"}]
    item = client.get_listings_item(
        SELLER, "KYUSU", includedData=["summaries", "fulfillmentAvailability", "offers"]
    ).payload
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 3}]
    summary = item["summaries"][0]
    assert (summary["itemName"], summary["productType"], summary["asin"]) == (
        "Kyusu teapot",
        "TEAPOT",
        "B0KYUSU01",
    )
    assert item["offers"][0]["price"] == {"currencyCode": "USD", "amount": "42.5"}
    assert [(q, c) for _, q, c in emu.quantity_history("KYUSU")] == [(3, "put")]


def test_put_in_a_second_marketplace_shares_the_quantity(client: Any, emu: Emulator) -> None:
    client.put_listings_item(SELLER, "MUG", marketplaceIds=[CA], body=put_body(quantity=None))
    assert emu.listed_in("MUG") == [US, CA]
    assert emu.quantity("MUG", CA) == emu.quantity("MUG", US) == 2
    assert emu.handling_days("MUG") == 2  # the inventory was not part of this offer
    client.put_listings_item(SELLER, "MUG", marketplaceIds=[CA], body=put_body(quantity=9))
    assert emu.quantity("MUG", US) == 9


def test_put_replaces_the_whole_offer(client: Any, emu: Emulator) -> None:
    client.put_listings_item(SELLER, "KYUSU", marketplaceIds=[US], body=put_body())
    body = put_body()
    del body["attributes"]["purchasable_offer"]
    client.put_listings_item(SELLER, "KYUSU", marketplaceIds=[US], body=body)
    item = client.get_listings_item(SELLER, "KYUSU", includedData=["attributes", "offers"])
    assert "purchasable_offer" not in item.payload["attributes"]
    assert item.payload["offers"] == []


@pytest.mark.parametrize(
    ("body", "code", "attribute"),
    [
        (
            {"productType": "TEAPOT", "attributes": {"item_name": [{"value": "x"}]}},
            "90220",
            "condition_type",
        ),
        (
            put_body(fulfillmentAvailability=[{"quantity": 1}]),
            "90000900",
            "fulfillmentAvailability",
        ),
        (put_body(quantity=-1), "4000001", "fulfillment_availability"),
        (put_body(item_name={"value": "not an array"}), "90000900", "item_name"),
    ],
)
def test_a_put_with_bad_attributes_is_invalid_and_changes_nothing(
    client: Any, emu: Emulator, body: dict[str, Any], code: str, attribute: str
) -> None:
    answer = client.put_listings_item(SELLER, "KYUSU", marketplaceIds=[US], body=body)
    assert answer.payload["status"] == "INVALID"
    issue = answer.payload["issues"][0]
    assert (issue["code"], issue["attributeNames"], issue["severity"]) == (
        code,
        [attribute],
        "ERROR",
    )
    assert emu.listed_in("KYUSU") == []


def test_put_validation_preview_applies_nothing(client: Any, emu: Emulator) -> None:
    answer = client.put_listings_item(
        SELLER, "KYUSU", marketplaceIds=[US], mode="VALIDATION_PREVIEW", body=put_body()
    )
    assert answer.payload["status"] == "VALID"
    assert emu.listed_in("KYUSU") == []


@pytest.mark.parametrize(
    "body",
    [
        {"attributes": {}},  # productType is required
        {"productType": "TEAPOT"},  # attributes are required
        {"productType": "TEAPOT", "attributes": []},
        {"productType": "TEAPOT", "attributes": {}, "requirements": "EVERYTHING"},
    ],
)
def test_a_put_body_that_breaks_the_model_is_400(emu: Emulator, body: dict[str, Any]) -> None:
    answer = call(emu, "PUT", item_path("KYUSU"), params={"marketplaceIds": US}, json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "InvalidInput"


def test_delete_delists_one_marketplace_and_keeps_the_inventory_for_the_others(
    sp: SpClients, client: Any, emu: Emulator
) -> None:
    client.put_listings_item(SELLER, "MUG", marketplaceIds=[CA], body=put_body(quantity=None))
    answer = client.delete_listings_item(SELLER, "MUG", marketplaceIds=[US])
    assert (answer.payload["sku"], answer.payload["status"]) == ("MUG", "ACCEPTED")
    with pytest.raises(SellingApiException) as gone:
        client.get_listings_item(SELLER, "MUG", marketplaceIds=[US])
    assert gone.value.code == 404
    assert emu.quantity("MUG", CA) == 2
    # python-amazon-sp-api drops delete_listings_item's marketplaceIds= and sends the
    # client's own marketplace: deleting in CA takes a CA client.
    sp(emu, ListingsItems, marketplace=Marketplaces.CA).delete_listings_item(SELLER, "MUG")
    assert (emu.listed_in("MUG"), emu.quantity("MUG")) == ([], None)
    assert [r.query["marketplaceIds"] for r in emu.request_log if r.method == "DELETE"] == [
        [US],
        [CA],
    ]


def test_a_write_to_a_sku_the_account_does_not_list_is_400(
    sp: SpClients, client: Any, emu: Emulator
) -> None:
    with pytest.raises(SellingApiBadRequestException) as refused:
        client.delete_listings_item(SELLER, "NO-SUCH", marketplaceIds=[US])
    assert refused.value.amzn_code == "BAD_REQUEST"
    with pytest.raises(SellingApiBadRequestException):  # MUG is listed in the US only
        sp(emu, ListingsItems, marketplace=Marketplaces.CA).delete_listings_item(SELLER, "MUG")
    assert emu.quantity("MUG") == 2


def test_the_gateway_refuses_a_patch_for_an_unknown_sku_once_naming_it(
    emu: Emulator, clock: ManualClock
) -> None:
    with make_gateway(emu.base_url, clock) as gateway, pytest.raises(AmazonRejected) as refused:
        gateway.patch_quantity(QuantityUpdate("NO-SUCH", 0, US))
    assert "400 BAD_REQUEST" in refused.value.message
    assert "Requested item, NO-SUCH, not found" in refused.value.message
    assert emu.requests_by_operation()["patchListingsItem"] == 1  # a 400 is not retried
