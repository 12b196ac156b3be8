"""Conformance with Amazon's own models (issue 2 part 6), checked on what really crossed the wire.

A scenario runs through the gateway against the emulator (patch, read-back, a quantity feed
with per-SKU errors, Orders v2026-01-01 and v0 with items, an order-acknowledgement feed, the
account-health and All Listings reports, a throttled answer). Then every request body the
gateway sent and every JSON answer the emulator gave (``emu.request_log``) is validated
against the official Swagger 2.0 models in ../shared/spapi-models/openapi, the feed documents
and processing reports against the JSON_LISTINGS_FEED schemas, and the XML documents against
amzn-envelope.xsd.

Strictness: the models never set ``additionalProperties: false``, so a misspelt key would pass
plain validation. Here every model object is *closed* (unknown keys fail) unless the model
explicitly allows more (``additionalProperties`` given). The one tolerance is for keys that
python-amazon-sp-api itself adds to POST bodies (``path``, ``marketplaceIds``,
``MarketplaceIds``; amazon-sp-api.md §7) and to PUT bodies (those two plus ``MarketplaceId``
and ``marketplace_ids``): they are dropped from a request body only when the model does not
define them, and only those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator
from lxml import etree
from sp_api.api import Feeds, ListingsItems, Reports

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.domain import MARKETPLACES, QuantityUpdate
from stockguard.core.errors import AmazonAuthError, AmazonRejected, AmazonThrottled
from stockguard.doubles.emulator import Emulator
from tests.amazon.spapi_models import OPERATIONS, PRICING_OPERATIONS, operation, validator
from tests.amazon.spapi_models import model as models
from tests.amazon.test_emulator import SpClients
from tests.amazon.test_gateway import US, make_gateway, seed_listings

pytestmark = pytest.mark.shared

# On a PUT the library adds all four of its marketplace spellings to the body (observed).
LIBRARY_EXTRA_KEYS = {
    "path",
    "marketplaceIds",
    "MarketplaceIds",
    "MarketplaceId",
    "marketplace_ids",
}
ORDER_A, ORDER_B = "111-0000001-0000001", "111-0000002-0000002"
CA, UK = MARKETPLACES["CA"].marketplace_id, MARKETPLACES["UK"].marketplace_id
ALL_LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


def _seed() -> dict[str, Any]:
    seed = seed_listings(count=6)
    seed["listings"].append({"sku": "SKU-00", "marketplace": "CA"})  # one inventory, two offers
    seed["orders"] = [
        {
            "order_id": ORDER_A,
            "status": "Unshipped",
            "items": [{"order_item_id": "10000000000001", "sku": "SKU-01", "quantity": 1}],
        },
        {
            "order_id": ORDER_B,
            "status": "Unshipped",
            "items": [
                {
                    "order_item_id": "10000000000002",
                    "sku": "SKU-02",
                    "quantity": 1,
                    "buyer_cancel_requested": True,
                    "buyer_cancel_reason": "Changed mind",
                }
            ],
        },
    ]
    return seed


def _ack(seller_id: str) -> bytes:
    """Our own fixture: cancel ORDER_A for NoInventory, ORDER_B as BuyerCanceled."""
    messages = "".join(
        f"<Message><MessageID>{n}</MessageID><OrderAcknowledgement>"
        f"<AmazonOrderID>{order}</AmazonOrderID><StatusCode>Failure</StatusCode>"
        f"<Item><AmazonOrderItemCode>{item}</AmazonOrderItemCode>"
        f"<CancelReason>{reason}</CancelReason></Item></OrderAcknowledgement></Message>"
        for n, (order, item, reason) in enumerate(
            [
                (ORDER_A, "10000000000001", "NoInventory"),
                (ORDER_B, "10000000000002", "BuyerCanceled"),
            ],
            start=1,
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
        f"<Header><DocumentVersion>1.01</DocumentVersion>"
        f"<MerchantIdentifier>{seller_id}</MerchantIdentifier></Header>"
        f"<MessageType>OrderAcknowledgement</MessageType>{messages}</AmazonEnvelope>"
    ).encode()


@pytest.fixture(scope="module")
def scenario() -> Iterator[tuple[Emulator, AmazonGateway, dict[str, Any]]]:
    """Run everything once; hand back the emulator (and its log) and what the gateway saw."""
    clock, clients = ManualClock(), SpClients()
    with Emulator(_seed(), clock=clock) as emu, make_gateway(emu.base_url, clock) as gw:
        seen: dict[str, Any] = {}
        gw.patch_quantity(QuantityUpdate("SKU-00", 0, US))
        assert gw.get_quantity("SKU-00") == 0
        assert gw.get_quantity("NO-SUCH-SKU") is None
        assert gw.get_quantity("SKU-00", marketplace_id=CA) == 0  # the US patch, read in CA
        with pytest.raises(AmazonRejected):  # 400 BAD_REQUEST: the model lists no 404
            gw.patch_quantity(QuantityUpdate("NO-SUCH-SKU", 0, US))
        with pytest.raises(AmazonAuthError):  # 403: a marketplace of another region
            gw.get_quantity("SKU-00", marketplace_id=UK)
        _put_and_delete(emu, clients)
        emu.faults.feed_errors(["SKU-04"])
        feed_id = gw.submit_quantity_feed([QuantityUpdate(f"SKU-0{i}", 0, US) for i in range(1, 6)])
        seen["quantity_feed"] = gw.wait_for_feed(feed_id)
        since = clock.now() - timedelta(days=30)
        seen["v2026"] = gw.search_orders(since, version="2026-01-01")
        seen["v0"] = gw.search_orders(since, version="v0")
        seen["order"] = gw.get_order(ORDER_B, version="2026-01-01")
        seen["order_v0"] = gw.get_order(ORDER_B, version="v0")
        seen["ack"] = gw.wait_for_feed(gw.submit_order_acknowledgements(_ack(emu.seller_id)))
        seen["health"] = gw.request_account_health()
        emu.gzip_documents = True
        seen["listings"] = gw.read_quantities(US)  # GET_MERCHANT_LISTINGS_ALL_DATA, gzipped
        kinds = ["JSON_LISTINGS_FEED", "POST_ORDER_ACKNOWLEDGEMENT_DATA"]
        seen["feeds"] = clients(emu, Feeds).get_feeds(feedTypes=kinds, pageSize=1)
        seen["reports"] = clients(emu, Reports).get_reports(reportTypes=[ALL_LISTINGS])
        emu.gzip_documents = False
        emu.faults.throttle("getListingsItem", 50)
        with (
            make_gateway(emu.base_url, clock, max_retries=0) as impatient,
            pytest.raises(AmazonThrottled),
        ):
            impatient.get_quantity("SKU-00")
        yield emu, gw, seen
    clients.close()


def _put_and_delete(emu: Emulator, clients: SpClients) -> None:
    """putListingsItem (a new SKU, then an INVALID one) and deleteListingsItem."""
    listings = clients(emu, ListingsItems)
    attributes = {
        "condition_type": [{"value": "new_new"}],
        "item_name": [{"value": "Teapot", "language_tag": "en_US"}],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 2}],
    }
    body = {"productType": "TEAPOT", "requirements": "LISTING", "attributes": attributes}
    put = listings.put_listings_item(
        emu.seller_id, "PUT-1", marketplaceIds=[US], includedData=["identifiers"], body=body
    )
    assert put.payload["status"] == "ACCEPTED"
    bare = {"productType": "TEAPOT", "attributes": {"item_name": attributes["item_name"]}}
    invalid = listings.put_listings_item(emu.seller_id, "PUT-2", marketplaceIds=[US], body=bare)
    assert invalid.payload["status"] == "INVALID"
    assert listings.delete_listings_item(emu.seller_id, "PUT-1").payload["status"] == "ACCEPTED"


def _problems(validator: Draft4Validator | Draft7Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _check_record(shared: Path, record: Any) -> list[str]:
    model, operation_id = OPERATIONS[record.operation]
    op = operation(shared, model, operation_id)
    problems: list[str] = []
    body_params = [p for p in op.get("parameters", []) if p.get("in") == "body"]
    if body_params and record.body is not None:
        ref = body_params[0]["schema"]["$ref"]
        defined = models(shared, model)["definitions"][ref.split("/")[-1]].get("properties", {})
        body = {k: v for k, v in record.body.items() if k in defined or k not in LIBRARY_EXTRA_KEYS}
        where = f"request {record.operation}"
        problems += [
            f"{where}: {p}" for p in _problems(validator(shared, model, {"$ref": ref}), body)
        ]
    answer = op["responses"].get(str(record.status), {}).get("schema")
    where = f"response {record.operation} {record.status}"
    if answer is None:
        problems.append(f"{where}: the model defines no such answer")
    elif isinstance(record.response, dict):
        check = validator(shared, model, answer)
        problems += [f"{where}: {p}" for p in _problems(check, record.response)]
    else:
        problems.append(f"{where}: not a JSON object")
    return problems


def test_every_request_and_answer_matches_amazons_models(
    shared_dir: Path, scenario: tuple[Emulator, AmazonGateway, dict[str, Any]]
) -> None:
    emu, _, _ = scenario
    checked = {r.operation for r in emu.request_log if r.operation in OPERATIONS}
    wanted = set(OPERATIONS) - {"searchListingsItems", *PRICING_OPERATIONS}
    assert checked >= wanted, "scenario did not reach all"
    statuses = {(r.operation, r.status) for r in emu.request_log}
    assert {("patchListingsItem", 400), ("getListingsItem", 403)} <= statuses
    problems = [
        p
        for r in emu.request_log
        if r.operation in OPERATIONS
        for p in _check_record(shared_dir, r)
    ]
    assert problems == []


def _json_documents(emu: Emulator, content: str) -> list[Any]:
    found = []
    for record in emu.request_log:
        for payload in (record.body, record.response):
            data = payload
            if isinstance(data, bytes | bytearray):
                try:
                    data = json.loads(bytes(data).decode("utf-8"))
                except ValueError:
                    continue
            if isinstance(data, str):
                try:
                    data = json.loads(data)
                except ValueError:
                    continue
            if isinstance(data, dict) and content in data:
                found.append(data)
    return found


def test_feed_documents_and_processing_reports_match_the_feed_schemas(
    shared_dir: Path, scenario: tuple[Emulator, AmazonGateway, dict[str, Any]]
) -> None:
    emu, _, seen = scenario
    schemas = shared_dir / "spapi-models/json-schemas"
    feed_schema = json.loads((schemas / "listings-feed-schema-v2.json").read_text())
    report_schema = json.loads(
        (schemas / "listings-feed-processing-report-schema-v2.json").read_text()
    )
    feeds = [d for d in _json_documents(emu, "messages") if "header" in d]
    reports = [d for d in _json_documents(emu, "summary") if "header" in d]
    assert feeds, "no feed document in the request log"
    assert reports, "no processing report in the request log"
    for document in feeds:
        assert _problems(Draft7Validator(feed_schema), document) == []
    for report in reports:
        assert _problems(Draft7Validator(report_schema), report) == []
    result = seen["quantity_feed"]
    assert result.failed("SKU-04")
    assert not any(result.failed(f"SKU-0{i}") for i in (1, 2, 3, 5))


def _xml_documents(emu: Emulator) -> list[bytes]:
    found = []
    for record in emu.request_log:
        for payload in (record.body, record.response):
            data = payload.encode() if isinstance(payload, str) else payload
            if isinstance(data, bytes | bytearray) and bytes(data).lstrip().startswith(b"<"):
                found.append(bytes(data))
    return found


def test_xml_documents_match_the_amazon_envelope_xsd(
    shared_dir: Path, scenario: tuple[Emulator, AmazonGateway, dict[str, Any]]
) -> None:
    emu, _, seen = scenario
    schema = etree.XMLSchema(
        etree.parse(str(shared_dir / "spapi-models/xsd-release_4_1/amzn-envelope.xsd"))
    )
    documents = _xml_documents(emu)
    kinds = set()
    for document in documents:
        root = etree.fromstring(document)
        kind = root.findtext("MessageType")
        kinds.add(kind)
        ok = schema.validate(root)
        assert ok, f"{kind}: {[str(e) for e in schema.error_log]}"
    assert {"OrderAcknowledgement", "ProcessingReport"} <= kinds
    assert seen["ack"].status == "DONE"


def test_the_scenario_read_what_it_should(
    scenario: tuple[Emulator, AmazonGateway, dict[str, Any]],
) -> None:
    emu, _, seen = scenario
    assert {o.order_id for o in seen["v2026"]} >= {ORDER_A, ORDER_B}
    assert {o.order_id for o in seen["v0"]} >= {ORDER_A, ORDER_B}
    for order in (seen["order"], seen["order_v0"]):
        assert order is not None
        assert order.items[0].buyer_requested_cancel
    assert isinstance(seen["health"], dict)
    skus = [*(f"SKU-0{i}" for i in range(6)), "ボール ペン/7"]
    assert seen["listings"].quantities == {sku: emu.quantity(sku) for sku in skus}
    assert seen["listings"].quantities["SKU-04"] == 5  # its feed message failed
    assert [f["feedType"] for f in seen["feeds"].payload["feeds"]] == [
        "POST_ORDER_ACKNOWLEDGEMENT_DATA"  # the newest first
    ]
    assert seen["feeds"].next_token
    assert {r["reportType"] for r in seen["reports"].payload["reports"]} == {ALL_LISTINGS}


def test_listings_report_answers_are_checked_against_the_reports_model(
    scenario: tuple[Emulator, AmazonGateway, dict[str, Any]],
) -> None:
    """The listings report went through the same createReport/getReport/getReportDocument
    answers the model check above validates (one per report type asked for)."""
    emu, _, _ = scenario
    created = [r for r in emu.request_log if r.operation == "createReport"]
    assert {r.body["reportType"] for r in created} == {
        "GET_V2_SELLER_PERFORMANCE_REPORT",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
    }
    reports = [r for r in emu.request_log if r.operation == "getReport"]
    done = [r.response for r in reports if r.response["processingStatus"] == "DONE"]
    assert {r["reportType"] for r in done} == {
        "GET_V2_SELLER_PERFORMANCE_REPORT",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
    }
    documents = [r.response for r in emu.request_log if r.operation == "getReportDocument"]
    assert any(d.get("compressionAlgorithm") == "GZIP" for d in documents)


def test_account_health_report_matches_its_schema(
    shared_dir: Path, scenario: tuple[Emulator, AmazonGateway, dict[str, Any]]
) -> None:
    _, _, seen = scenario
    path = shared_dir / "spapi-models/json-schemas/accountHealthReport-2020-11-18.json"
    schema = json.loads(path.read_text())
    assert _problems(Draft7Validator(schema), seen["health"]) == []
