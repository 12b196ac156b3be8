"""The emulator over real HTTP: LWA, Listings Items, rate limits, faults, seeds and the CLI.

The real python-amazon-sp-api client is used where it can send the request; plain httpx sends
what the client never would (malformed bodies, missing tokens). Time is a ManualClock shared
with the emulator's token buckets, so nothing sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sp_api.api import ListingsItems
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException
from sp_api.base.exceptions import (
    SellingApiBadRequestException,
    SellingApiRequestThrottledException,
)

from stockguard.core.clock import ManualClock
from stockguard.core.errors import InputError
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID
from stockguard.doubles.emulator.seed import load_seed_file

US = "ATVPDKIKX0DER"
ROOT = Path(__file__).resolve().parents[2]
SELLER = EMULATOR_SELLER_ID
CREDS = {
    "refresh_token": EMULATOR_SECRETS.refresh_token,
    "lwa_app_id": EMULATOR_SECRETS.lwa_client_id,
    "lwa_client_secret": EMULATOR_SECRETS.lwa_client_secret,
}
QTY_PATH = "/attributes/fulfillment_availability"


def small_seed(count: int = 3, quantity: int = 5, handling_days: int = 3) -> dict[str, Any]:
    """SKU-0..SKU-n at ``quantity`` with a handling time."""
    listings = [
        {
            "sku": f"SKU-{i}",
            "asin": f"B0000000{i:02d}",
            "quantity": quantity,
            "handling_days": handling_days,
        }
        for i in range(count)
    ]
    return {"seller_id": SELLER, "listings": listings}


class SpClients:
    """Makes python-amazon-sp-api clients pointed at an emulator; closes them all at the end."""

    def __init__(self) -> None:
        self._open: list[Any] = []

    def __call__(self, emu: Emulator, cls: Any, **kwargs: Any) -> Any:
        host = emu.base_url.removeprefix("http://")

        class LocalLWA(AccessTokenClient):  # type: ignore[misc]
            scheme = "http://"

        LocalLWA.host = host
        client = cls(
            marketplace=kwargs.pop("marketplace", Marketplaces.US),
            credentials=kwargs.pop("credentials", CREDS),
            auth_token_client_class=LocalLWA,
            **kwargs,
        )
        client.endpoint = emu.base_url
        self._open.append(client)
        return client

    def close(self) -> None:
        for client in self._open:
            client.close()
            client._auth._transport.close()  # the LWA client's own connection pool

    @classmethod
    def pool(cls) -> Iterator[SpClients]:
        """The body of an ``sp`` fixture (each test module declares its own)."""
        pool = cls()
        yield pool
        pool.close()


@pytest.fixture
def sp() -> Iterator[SpClients]:
    """``sp(emu, ListingsItems)``: a real client against the emulator, closed afterwards."""
    yield from SpClients.pool()


def access_token(emu: Emulator) -> str:
    """A fresh access token from the emulator's LWA endpoint."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": EMULATOR_SECRETS.refresh_token,
        "client_id": EMULATOR_SECRETS.lwa_client_id,
        "client_secret": EMULATOR_SECRETS.lwa_client_secret,
    }
    answer = httpx.post(emu.base_url + "/auth/o2/token", data=form)
    assert answer.status_code == 200
    token: str = answer.json()["access_token"]
    return token


def call(emu: Emulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One raw SP-API request with a valid token."""
    headers = {"x-amz-access-token": access_token(emu), **kwargs.pop("headers", {})}
    return httpx.request(method, emu.base_url + path, headers=headers, **kwargs)


def merge_body(quantity: int, op: str = "merge") -> dict[str, Any]:
    value = [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}]
    return {"productType": "PRODUCT", "patches": [{"op": op, "path": QTY_PATH, "value": value}]}


def item_path(sku: str) -> str:
    return f"/listings/2021-08-01/items/{SELLER}/{sku}"


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(small_seed(), clock=clock) as emulator:
        yield emulator


# --- LWA and authentication -----------------------------------------------------------------


def test_token_endpoint_issues_atza_tokens(emu: Emulator) -> None:
    token = access_token(emu)
    assert token.startswith("Atza|")
    assert emu.request_log[-1].body is None  # the form with the secrets is not kept


@pytest.mark.parametrize(
    ("field", "value", "status", "code"),
    [
        ("client_secret", "wrong", 401, "invalid_client"),
        ("client_id", "amzn1.application-oa2-client.other", 401, "invalid_client"),
        ("refresh_token", "Atzr|wrong", 400, "invalid_grant"),
    ],
)
def test_token_endpoint_refuses_wrong_credentials(
    emu: Emulator, field: str, value: str, status: int, code: str
) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": EMULATOR_SECRETS.refresh_token,
        "client_id": EMULATOR_SECRETS.lwa_client_id,
        "client_secret": EMULATOR_SECRETS.lwa_client_secret,
        field: value,
    }
    answer = httpx.post(emu.base_url + "/auth/o2/token", data=form)
    assert answer.status_code == status
    assert answer.json()["error"] == code
    assert "error_description" in answer.json()


def test_the_real_client_sees_a_wrong_client_secret_as_401_invalid_client(
    sp: SpClients, emu: Emulator
) -> None:
    # Another refresh token too: the library caches access tokens by refresh token alone.
    creds = {**CREDS, "lwa_client_secret": "wrong", "refresh_token": "Atzr|not-cached"}
    client = sp(emu, ListingsItems, credentials=creds)
    with pytest.raises(AuthorizationError) as refused:
        client.get_listings_item(SELLER, "SKU-0")
    assert (refused.value.status_code, refused.value.error_code) == (401, "invalid_client")


@pytest.mark.parametrize("token", [None, "Atza|forged.0000", "not-a-token"])
def test_sp_api_calls_need_a_valid_access_token(emu: Emulator, token: str | None) -> None:
    headers = {"x-amz-access-token": token} if token else {}
    answer = httpx.get(
        emu.base_url + item_path("SKU-0"), params={"marketplaceIds": US}, headers=headers
    )
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "Unauthorized"


def test_wrong_host_header_is_ignored(emu: Emulator) -> None:
    # python-amazon-sp-api sends Host: 27.0.0.1:PORT over http; the emulator must not care.
    answer = call(
        emu,
        "GET",
        item_path("SKU-0"),
        params={"marketplaceIds": US},
        headers={"Host": "27.0.0.1:1"},
    )
    assert answer.status_code == 200


# --- Listings Items -------------------------------------------------------------------------


def test_get_listings_item_with_the_real_client(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems)
    answer = client.get_listings_item(
        SELLER, "SKU-0", includedData=["fulfillmentAvailability", "attributes"]
    )
    assert answer.payload["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 5}
    ]
    record = answer.payload["attributes"]["fulfillment_availability"][0]
    assert record["lead_time_to_ship_max_days"] == 3
    assert answer.rate_limit == "5.0"
    summary = client.get_listings_item(SELLER, "SKU-0").payload["summaries"][0]
    assert summary["asin"] == "B000000000"
    assert summary["status"] == ["BUYABLE", "DISCOVERABLE"]


def test_unknown_sku_is_404_to_read_and_400_to_patch(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems)
    with pytest.raises(SellingApiException) as caught:
        client.get_listings_item(SELLER, "NO-SUCH")
    assert caught.value.code == 404
    # patchListingsItem's model lists no 404: a SKU the account does not list is its 400.
    with pytest.raises(SellingApiBadRequestException) as refused:
        client.patch_listings_item(SELLER, "NO-SUCH", body=merge_body(0))
    assert refused.value.amzn_code == "BAD_REQUEST"
    assert "NO-SUCH" in refused.value.error[0]["details"]


def test_replace_drops_the_handling_time_and_merge_keeps_it(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems)
    merged = client.patch_listings_item(SELLER, "SKU-0", body=merge_body(0, "merge"))
    assert merged.payload["status"] == "ACCEPTED"
    assert (emu.quantity("SKU-0"), emu.handling_days("SKU-0")) == (0, 3)
    client.patch_listings_item(SELLER, "SKU-1", body=merge_body(0, "replace"))
    assert (emu.quantity("SKU-1"), emu.handling_days("SKU-1")) == (0, None)
    assert [cause for _, _, cause in emu.quantity_history("SKU-0")] == ["seed", "patch"]


def test_sku_with_space_and_slash_is_url_decoded(sp: SpClients, clock: ManualClock) -> None:
    with Emulator({"listings": [{"sku": "A B/7", "quantity": 2}]}, clock=clock) as emu:
        sp(emu, ListingsItems).patch_listings_item(SELLER, "A B/7", body=merge_body(1))
        assert emu.quantity("A B/7") == 1


@pytest.mark.parametrize(
    "body",
    [
        {"patches": [{"op": "merge", "path": QTY_PATH, "value": []}]},  # no productType
        {"productType": "PRODUCT", "patches": []},  # minItems 1
        {"productType": "PRODUCT", "patches": [{"op": "set", "path": QTY_PATH, "value": []}]},
        {
            "productType": "PRODUCT",
            "patches": [  # value must be an array (jlevers#240)
                {"op": "replace", "path": QTY_PATH, "value": {"quantity": 0}}
            ],
        },
        {"productType": "PRODUCT", "patches": [{"op": "merge", "value": []}]},  # no path
        ["not", "an", "object"],
    ],
)
def test_malformed_patch_is_400_invalid_input(emu: Emulator, body: Any) -> None:
    answer = call(emu, "PATCH", item_path("SKU-0"), params={"marketplaceIds": US}, json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "InvalidInput"
    assert emu.quantity("SKU-0") == 5


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        (
            {
                "op": "merge",
                "path": "/attributes/fulfillmentAvailability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
            },
            "90000900",
        ),
        ({"op": "merge", "path": QTY_PATH, "value": [{"quantity": 0}]}, "90220"),
        (
            {
                "op": "merge",
                "path": QTY_PATH,
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": -1}],
            },
            "4000001",
        ),
        ({"op": "replace", "path": QTY_PATH + "/0/quantity", "value": [{"x": 1}]}, "90000900"),
    ],
)
def test_invalid_attributes_give_an_invalid_submission(
    emu: Emulator, patch: dict[str, Any], code: str
) -> None:
    body = {"productType": "PRODUCT", "patches": [patch]}
    answer = call(emu, "PATCH", item_path("SKU-0"), params={"marketplaceIds": US}, json=body)
    assert answer.status_code == 200
    assert answer.json()["status"] == "INVALID"
    assert answer.json()["issues"][0]["code"] == code
    assert emu.quantity("SKU-0") == 5


def test_validation_preview_does_not_apply(emu: Emulator) -> None:
    answer = call(
        emu,
        "PATCH",
        item_path("SKU-0"),
        params={"marketplaceIds": US, "mode": "VALIDATION_PREVIEW"},
        json=merge_body(0),
    )
    assert answer.json()["status"] == "VALID"
    assert emu.quantity("SKU-0") == 5


def test_search_listings_items_pages(clock: ManualClock) -> None:
    with Emulator(small_seed(count=25), clock=clock) as emu:
        skus: list[str] = []
        params: dict[str, Any] = {
            "marketplaceIds": US,
            "pageSize": 10,
            "sortBy": "sku",
            "sortOrder": "ASC",
        }
        while True:
            page = call(emu, "GET", f"/listings/2021-08-01/items/{SELLER}", params=params).json()
            assert page["numberOfResults"] == 25
            skus += [item["sku"] for item in page["items"]]
            token = page.get("pagination", {}).get("nextToken")
            if not token:
                break
            params["pageToken"] = token
        assert skus == sorted(f"SKU-{i}" for i in range(25))
        too_big = call(
            emu,
            "GET",
            f"/listings/2021-08-01/items/{SELLER}",
            params={"marketplaceIds": US, "pageSize": 21},
        )
        assert too_big.status_code == 400
        by_sku = call(
            emu,
            "GET",
            f"/listings/2021-08-01/items/{SELLER}",
            params={"marketplaceIds": US, "identifiers": "SKU-3,SKU-4", "identifiersType": "SKU"},
        ).json()
        assert {item["sku"] for item in by_sku["items"]} == {"SKU-3", "SKU-4"}


# --- rate limits ----------------------------------------------------------------------------


def test_patch_burst_of_5_then_429_until_the_bucket_refills(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    client = sp(emu, ListingsItems)
    for _ in range(5):
        client.patch_listings_item(SELLER, "SKU-0", body=merge_body(1))
    with pytest.raises(SellingApiRequestThrottledException) as caught:
        client.patch_listings_item(SELLER, "SKU-0", body=merge_body(2))
    assert caught.value.error == [
        {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
            "details": "",
        }
    ]
    assert caught.value.headers["x-amzn-RateLimit-Limit"] == "5.0"
    assert emu.quantity("SKU-0") == 1
    clock.advance(0.2)  # 5 per second: one token back
    client.patch_listings_item(SELLER, "SKU-0", body=merge_body(2))
    assert emu.quantity("SKU-0") == 2
    assert emu.throttled_by_operation() == {"patchListingsItem": 1}
    assert emu.requests_by_operation()["patchListingsItem"] == 7


def test_rate_limits_can_be_switched_off(sp: SpClients, clock: ManualClock) -> None:
    with Emulator(small_seed(), clock=clock, rate_limits=False) as emu:
        client = sp(emu, ListingsItems)
        for n in range(12):
            client.patch_listings_item(SELLER, "SKU-0", body=merge_body(n))
        assert emu.throttled_by_operation() == {}


# --- faults ---------------------------------------------------------------------------------


def test_throttle_fault_storms_then_recovers(emu: Emulator) -> None:
    emu.faults.throttle(None, 2)
    params = {"marketplaceIds": US}
    statuses = [call(emu, "GET", item_path("SKU-0"), params=params).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert emu.throttled_by_operation() == {"getListingsItem": 2}


def test_fail_fault_answers_5xx(emu: Emulator) -> None:
    emu.faults.fail("patchListingsItem", 1, status=503)
    params = {"marketplaceIds": US}
    first = call(emu, "PATCH", item_path("SKU-0"), params=params, json=merge_body(0))
    assert first.status_code == 503
    assert first.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert emu.quantity("SKU-0") == 5
    assert call(emu, "PATCH", item_path("SKU-0"), params=params, json=merge_body(0)).is_success
    assert emu.quantity("SKU-0") == 0


def test_dropped_patches_are_accepted_but_not_applied(sp: SpClients, emu: Emulator) -> None:
    client = sp(emu, ListingsItems)
    emu.faults.drop_patches(1)
    assert (
        client.patch_listings_item(SELLER, "SKU-0", body=merge_body(0)).payload["status"]
        == "ACCEPTED"
    )
    assert emu.quantity("SKU-0") == 5
    client.patch_listings_item(SELLER, "SKU-0", body=merge_body(0))
    assert emu.quantity("SKU-0") == 0
    emu.faults.drop_patches(["SKU-2"])
    client.patch_listings_item(SELLER, "SKU-1", body=merge_body(0))
    client.patch_listings_item(SELLER, "SKU-2", body=merge_body(0))
    assert (emu.quantity("SKU-1"), emu.quantity("SKU-2")) == (0, 5)
    client.patch_listings_item(SELLER, "SKU-2", body=merge_body(0))
    assert emu.quantity("SKU-2") == 0


# --- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "named"),
    [
        ({"listing": []}, "'listing'"),
        ({"listings": [{"quantity": 1}]}, "listings[0].sku"),
        ({"listings": [{"sku": "A", "quantity": "five"}]}, "listings[0].quantity"),
        ({"listings": [{"sku": "A"}, {"sku": "A"}]}, "listings[1].sku"),
        ({"listings": [{"sku": "A", "marketplace": "XX"}]}, "listings[0].marketplace"),
        ({"listings": [{"sku": "A", "handling_days": -1}]}, "listings[0].handling_days"),
        ({"orders": [{"order_id": "1-2-3", "items": []}]}, "orders[0].order_id"),
        (
            {
                "orders": [
                    {
                        "order_id": "111-1111111-1111111",
                        "status": "Done",
                        "items": [{"order_item_id": "12345678901234", "sku": "A"}],
                    }
                ]
            },
            "orders[0].status",
        ),
        (
            {
                "orders": [
                    {
                        "order_id": "111-1111111-1111111",
                        "items": [{"order_item_id": "B0ASIN", "sku": "A"}],
                    }
                ]
            },
            "orders[0].items[0].order_item_id",
        ),
        (
            {
                "orders": [
                    {
                        "order_id": "111-1111111-1111111",
                        "purchase_date": "yesterday",
                        "items": [{"order_item_id": "12345678901234", "sku": "A"}],
                    }
                ]
            },
            "orders[0].purchase_date",
        ),
        ({"account_health": {"target_value": 2.5}}, "account_health.target_value"),
    ],
)
def test_bad_seed_is_refused_naming_the_key(seed: dict[str, Any], named: str) -> None:
    with pytest.raises(InputError, match=named.replace("[", r"\[").replace("]", r"\]")):
        Emulator(seed)


def test_seed_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "seed.json"
    bad.write_text('{\n  "listings": [\n    {"sku": "A",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"seed\.json: line 3"):
        load_seed_file(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_seed_file(tmp_path / "missing.json")


def test_sample_seed_loads_with_listings_orders_and_flags() -> None:
    emu = Emulator(load_seed_file(ROOT / "data/emulator-seed.json"))
    orders = emu.orders()
    assert emu.seller_id == SELLER
    assert orders
    assert any(item.buyer_cancel_requested for order in orders for item in order.items)
    assert all(emu.quantity(item.sku) is not None for order in orders for item in order.items)


# --- the CLI --------------------------------------------------------------------------------


def test_cli_prints_its_base_url_and_serves_until_interrupted(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(small_seed()), encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "from stockguard.cli import main; main()",
        "emulator",
        "--seed",
        str(seed),
        "--no-rate-limits",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            base_url = line.split(" on ")[1].split()[0]
            assert base_url.startswith("http://127.0.0.1:")
            token = httpx.post(
                base_url + "/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": EMULATOR_SECRETS.refresh_token,
                    "client_id": EMULATOR_SECRETS.lwa_client_id,
                    "client_secret": EMULATOR_SECRETS.lwa_client_secret,
                },
            ).json()["access_token"]
            answer = httpx.get(
                base_url + item_path("SKU-1"),
                params={"marketplaceIds": US},
                headers={"x-amz-access-token": token},
            )
            assert answer.json()["sku"] == "SKU-1"
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
            proc.stdout.close() if proc.stdout else None
