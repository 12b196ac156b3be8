"""The emulator's orders side: acknowledgement feeds, Orders v0 and v2026, simulated buyers,
the account-health report, and every answer checked against Amazon's models."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator
from lxml import etree
from sp_api.api import Feeds, Orders, Reports

from stockguard.core.clock import ManualClock
from stockguard.doubles.emulator import Emulator
from tests.amazon.spapi_models import OPERATIONS, PRICING_OPERATIONS, operation, validator
from tests.amazon.test_emulator import SELLER, US, SpClients, call, item_path, small_seed

XML_TYPE = "text/xml; charset=UTF-8"
SINCE = "2025-12-01T00:00:00Z"


@pytest.fixture
def sp() -> Iterator[SpClients]:
    yield from SpClients.pool()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(small_seed(count=3, quantity=5), clock=clock) as emulator:
        yield emulator


def ack_xml(*messages: tuple[str, str, list[tuple[str, str | None]]]) -> bytes:
    """An order-acknowledgement document: (order id, StatusCode, [(item code, reason)])."""
    body = ""
    for n, (order_id, status, items) in enumerate(messages, start=1):
        lines = "".join(
            f"<Item><AmazonOrderItemCode>{code}</AmazonOrderItemCode>"
            + (f"<CancelReason>{reason}</CancelReason>" if reason else "")
            + "</Item>"
            for code, reason in items
        )
        body += (
            f"<Message><MessageID>{n}</MessageID><OrderAcknowledgement>"
            f"<AmazonOrderID>{order_id}</AmazonOrderID><StatusCode>{status}</StatusCode>"
            f"{lines}</OrderAcknowledgement></Message>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">\n'
        f"<Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>{SELLER}"
        "</MerchantIdentifier></Header>\n<MessageType>OrderAcknowledgement</MessageType>\n"
        f"{body}</AmazonEnvelope>"
    ).encode()


def run_ack(sp: SpClients, emu: Emulator, clock: ManualClock, xml: bytes) -> etree._Element:
    """Submit the XML as POST_ORDER_ACKNOWLEDGEMENT_DATA; return the parsed ProcessingReport."""
    client = sp(emu, Feeds)
    _, created = client.submit_feed(
        "POST_ORDER_ACKNOWLEDGEMENT_DATA",
        io.BytesIO(xml),
        content_type=XML_TYPE,
        marketplaceIds=[US],
    )
    clock.advance(2)
    feed = client.get_feed(created.payload["feedId"]).payload
    assert feed["processingStatus"] == "DONE"
    text = client.get_feed_result_document(feed["resultFeedDocumentId"])
    report: etree._Element = etree.fromstring(text.encode())
    return report.find("Message/ProcessingReport")


def results(report: etree._Element) -> list[tuple[str, str, str]]:
    return [
        (r.findtext("MessageID"), r.findtext("ResultCode"), r.findtext("ResultMessageCode"))
        for r in report.findall("Result")
    ]


# --- order acknowledgements -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "restocked"),
    [
        ("NoInventory", False),
        ("BuyerCanceled", True),
        ("GeneralAdjustment", True),
        ("ShippingAddressUndeliverable", True),
    ],
)
def test_failure_cancels_and_restocks_except_no_inventory(
    sp: SpClients, emu: Emulator, clock: ManualClock, reason: str, restocked: bool
) -> None:
    order = emu.add_order("SKU-0", quantity=2)
    assert emu.quantity("SKU-0") == 3
    report = run_ack(
        sp,
        emu,
        clock,
        ack_xml((order.order_id, "Failure", [(order.items[0].order_item_id, reason)])),
    )
    assert results(report) == []
    assert report.findtext("ProcessingSummary/MessagesSuccessful") == "1"
    cancelled = emu.order(order.order_id)
    assert (cancelled.status, cancelled.cancelled_by) == ("Canceled", "MERCHANT")
    assert cancelled.items[0].cancel_reason == reason
    assert emu.quantity("SKU-0") == (5 if restocked else 3)
    assert emu.quantity_history("SKU-0")[-1][2] == ("restock" if restocked else "order")


def test_orders_that_cannot_be_cancelled_get_error_results(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    shipped = emu.add_order("SKU-0")
    emu.set_order_status(shipped.order_id, "Shipped")
    pending = emu.add_order("SKU-1", status="Pending")
    gone = emu.add_order("SKU-2")
    emu.auto_cancel(gone.order_id)
    two = emu.add_order([("SKU-0", 1), ("SKU-1", 1)])
    xml = ack_xml(
        (shipped.order_id, "Failure", [(shipped.items[0].order_item_id, "NoInventory")]),
        (pending.order_id, "Failure", [(pending.items[0].order_item_id, "NoInventory")]),
        (gone.order_id, "Failure", [(gone.items[0].order_item_id, "NoInventory")]),
        ("111-9999999-9999999", "Failure", [("99999999999999", "NoInventory")]),
        (two.order_id, "Failure", [(two.items[0].order_item_id, "NoInventory")]),  # partial
        (two.order_id, "Failure", []),  # no items: not cancelled (warning)
    )
    report = run_ack(sp, emu, clock, xml)
    assert results(report) == [
        ("1", "Error", "18101"),
        ("2", "Error", "18101"),
        ("3", "Error", "18101"),
        ("4", "Error", "18028"),
        ("5", "Error", "18102"),
        ("6", "Warning", "18103"),
    ]
    first = report.find("Result")
    assert first.findtext("AdditionalInfo/AmazonOrderID") == shipped.order_id
    assert report.findtext("ProcessingSummary/MessagesWithError") == "5"
    assert emu.order(shipped.order_id).status == "Shipped"
    assert emu.order(pending.order_id).status == "Pending"
    assert emu.order(two.order_id).status == "Unshipped"


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda x: x.replace(b"NoInventory", b"OutOfStock"), "cvc-enumeration-valid"),
        (
            lambda x: re.sub(rb"<AmazonOrderItemCode>\d+", b"<AmazonOrderItemCode>B0ASIN0001", x),
            "cvc-pattern-valid",
        ),
        (lambda x: x.replace(b"<StatusCode>Failure</StatusCode>", b""), "StatusCode"),
        (
            lambda x: x.replace(b"OrderAcknowledgement</MessageType>", b"Inventory</MessageType>"),
            "MessageType",
        ),
        (lambda x: x.replace(b"<Header>", b"<Header><Oops/>"), "cvc-complex-type"),
        (lambda x: x[:-20], "XML Parsing Fatal Error"),
    ],
)
def test_documents_breaking_the_xsd_are_rejected_whole(
    sp: SpClients, emu: Emulator, clock: ManualClock, mutate: Any, rule: str
) -> None:
    order = emu.add_order("SKU-0")
    good = ack_xml((order.order_id, "Failure", [(order.items[0].order_item_id, "NoInventory")]))
    report = run_ack(sp, emu, clock, mutate(good))
    assert results(report) == [("0", "Error", "5001")]
    assert rule in report.findtext("Result/ResultDescription")
    assert report.findtext("ProcessingSummary/MessagesProcessed") == "0"
    assert emu.order(order.order_id).status == "Unshipped"


def test_success_acknowledges_without_cancelling(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    order = emu.add_order("SKU-0")
    report = run_ack(sp, emu, clock, ack_xml((order.order_id, "Success", [])))
    assert results(report) == []
    assert emu.order(order.order_id).acknowledged
    assert emu.order(order.order_id).status == "Unshipped"


# --- Orders v0 and v2026 --------------------------------------------------------------------


def test_v0_buyer_cancel_flag_is_a_string(sp: SpClients, emu: Emulator) -> None:
    asked = emu.add_order("SKU-0")
    emu.set_buyer_cancel_request(asked.order_id, "Found cheaper")
    quiet = emu.add_order("SKU-1")
    client = sp(emu, Orders)
    orders = client.get_orders(
        LastUpdatedAfter=SINCE, OrderStatuses=["Unshipped"], FulfillmentChannels=["MFN"]
    ).payload["Orders"]
    assert {o["AmazonOrderId"] for o in orders} == {asked.order_id, quiet.order_id}
    flags = {
        order_id: client.get_order_items(order_id).payload["OrderItems"][0]["BuyerRequestedCancel"]
        for order_id in (asked.order_id, quiet.order_id)
    }
    assert flags[asked.order_id] == {
        "IsBuyerRequestedCancel": "true",
        "BuyerCancelReason": "Found cheaper",
    }
    assert flags[quiet.order_id]["IsBuyerRequestedCancel"] == "false"


def test_v2026_cancellation_says_who_asked_and_who_cancelled(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    by_merchant = emu.add_order("SKU-0")
    emu.set_buyer_cancel_request(by_merchant.order_id, "Changed mind")
    run_ack(
        sp,
        emu,
        clock,
        ack_xml(
            (
                by_merchant.order_id,
                "Failure",
                [(by_merchant.items[0].order_item_id, "BuyerCanceled")],
            )
        ),
    )
    by_amazon = emu.add_order("SKU-1")
    emu.auto_cancel(by_amazon.order_id)
    by_buyer = emu.add_order("SKU-2")
    emu.buyer_cancel(by_buyer.order_id)
    client = sp(emu, Orders, version="2026-01-01")
    found = client.search_orders(
        lastUpdatedAfter=SINCE,
        fulfillmentStatuses=["CANCELLED"],
        includedData=["CANCELLATION", "FULFILLMENT"],
    ).payload["orders"]
    cancellations = {o["orderId"]: o["orderItems"][0]["cancellation"] for o in found}
    assert cancellations[by_merchant.order_id] == {
        "cancellationRequest": {"requester": "BUYER", "cancelReason": "Changed mind"},
        "cancellationExecution": {"cancelledBy": "MERCHANT", "cancelReason": "BuyerCanceled"},
    }
    assert cancellations[by_amazon.order_id]["cancellationExecution"]["cancelledBy"] == "AMAZON"
    assert cancellations[by_buyer.order_id]["cancellationExecution"]["cancelledBy"] == "BUYER"
    assert {o["fulfillment"]["fulfillmentStatus"] for o in found} == {"CANCELLED"}
    one = client.get_order(by_amazon.order_id, includedData=["FULFILLMENT"]).payload["order"]
    assert one["fulfillment"]["fulfilledBy"] == "MERCHANT"
    assert "cancellation" not in one["orderItems"][0]


def test_paging_in_both_versions(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(emu.add_order("SKU-0").order_id)
        clock.advance(60)
    v2026 = sp(emu, Orders, version="2026-01-01")
    seen: list[str] = []
    params: dict[str, Any] = {"createdAfter": SINCE, "maxResultsPerPage": 2}
    while True:
        answer = v2026.search_orders(**params)
        seen += [o["orderId"] for o in answer.payload["orders"]]
        if not answer.next_token:  # the client lifts pagination.nextToken out of the payload
            break
        params = {"paginationToken": answer.next_token}
    assert seen == ids
    v0 = sp(emu, Orders)
    first = v0.get_orders(CreatedAfter=SINCE, MaxResultsPerPage=3).payload
    second = v0.get_orders(NextToken=first["NextToken"]).payload
    assert [o["AmazonOrderId"] for o in first["Orders"] + second["Orders"]] == ids
    assert "NextToken" not in second


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"createdAfter": SINCE, "lastUpdatedAfter": SINCE},
        {"createdAfter": SINCE, "maxResultsPerPage": 101},
        {"createdAfter": "last tuesday"},
        {"createdAfter": SINCE, "fulfillmentStatuses": "SHIPPEDISH"},
        {"createdAfter": SINCE, "createdBefore": "2026-01-01T00:00:00Z"},  # not 2 minutes ago
    ],
)
def test_search_orders_refuses_bad_parameters(emu: Emulator, params: dict[str, Any]) -> None:
    answer = call(emu, "GET", "/orders/2026-01-01/orders", params=params)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "InvalidInput"


# --- simulated buyers -----------------------------------------------------------------------


def test_buyers_order_only_listings_above_zero(clock: ManualClock) -> None:
    seed = {
        "listings": [
            {"sku": "LIVE", "quantity": 1000, "handling_days": 2},
            {"sku": "ZERO", "quantity": 0},
        ]
    }
    emu = Emulator(seed, clock=clock)
    emu.simulate_buyers({"LIVE": 2.0, "ZERO": 2.0}, rng_seed=42)
    clock.advance(24 * 3600)
    placed = emu.advance_buyers(clock.now())
    orders = emu.orders()
    assert len(placed) == len(orders) > 20
    assert {item.sku for o in orders for item in o.items} == {"LIVE"}
    assert emu.missed_arrivals > 20  # the buyers who found ZERO at 0
    assert emu.quantity("LIVE") == 1000 - len(orders)
    assert emu.quantity("ZERO") == 0
    for order in orders:
        assert re.fullmatch(r"\d{3}-\d{7}-\d{7}", order.order_id)
        assert re.fullmatch(r"\d{14}", order.items[0].order_item_id)
        assert (order.status, order.fulfillment_channel) == ("Unshipped", "MFN")
    again = Emulator(seed, clock=ManualClock())
    again.simulate_buyers({"LIVE": 2.0, "ZERO": 2.0}, rng_seed=42)
    assert [o.order_id for o in orders] == again.advance_buyers(
        ManualClock().now() + timedelta(days=1)
    )


def test_buyers_stop_when_the_quantity_reaches_zero(clock: ManualClock) -> None:
    emu = Emulator({"listings": [{"sku": "LAST-2", "quantity": 2}]}, clock=clock)
    emu.simulate_buyers(10.0, rng_seed=1)
    emu.advance_buyers(clock.now() + timedelta(days=2))
    assert len(emu.orders()) == 2
    assert emu.quantity("LAST-2") == 0
    assert [cause for _, _, cause in emu.quantity_history("LAST-2")] == ["seed", "order", "order"]


def test_feeds_apply_before_later_buyer_arrivals(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    doc = {
        "header": {"sellerId": SELLER, "version": "2.0"},
        "messages": [
            {
                "messageId": 1,
                "sku": "SKU-0",
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "merge",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
                    }
                ],
            }
        ],
    }
    sp(emu, Feeds).submit_feed(
        "JSON_LISTINGS_FEED",
        io.BytesIO(json.dumps(doc).encode()),
        content_type="application/json; charset=UTF-8",
        marketplaceIds=[US],
    )
    emu.simulate_buyers({"SKU-0": 3600.0}, rng_seed=3)  # about one a second
    emu.advance_buyers(clock.now() + timedelta(seconds=60))
    late = [o for o in emu.orders() if o.purchase_date > clock.now() + timedelta(seconds=2)]
    assert late == []
    assert emu.quantity("SKU-0") == 0


# --- the account-health report --------------------------------------------------------------


def test_account_health_counts_seller_cancellations_over_7_days(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    clock.advance(8 * 24 * 3600)
    old = emu.add_order("SKU-0", purchased_at=clock.now() - timedelta(days=8))
    emu.auto_cancel(old.order_id)  # outside the window
    for _ in range(8):
        emu.add_order("SKU-1")
    emu.auto_cancel(emu.orders()[-1].order_id)  # AMAZON: counts
    asked = emu.orders()[-2].order_id
    emu.set_buyer_cancel_request(asked, "Changed mind")
    emu.auto_cancel(asked)  # requested by the buyer: excluded
    emu.buyer_cancel(emu.orders()[-3].order_id)  # the buyer's own: does not count
    client = sp(emu, Reports)
    report_id = client.create_report(
        reportType="GET_V2_SELLER_PERFORMANCE_REPORT", marketplaceIds=[US]
    ).payload["reportId"]
    assert client.get_report(report_id).payload["processingStatus"] == "IN_QUEUE"
    clock.advance(2)
    document_id = client.get_report(report_id).payload["reportDocumentId"]
    document = client.get_report_document(document_id, download=True).payload["document"]
    rate = json.loads(document)["performanceMetrics"][0]["preFulfillmentCancellationRate"]
    assert (rate["orderCount"], rate["cancellationCount"]) == (8, 1)
    assert rate["rate"] == pytest.approx(1 / 8)
    assert (rate["targetValue"], rate["status"]) == (0.025, "BAD")


def test_seed_overrides_the_target(sp: SpClients, clock: ManualClock) -> None:
    seed = {**small_seed(), "account_health": {"target_value": 0.5, "account_status": "AT_RISK"}}
    with Emulator(seed, clock=clock) as emu:
        client = sp(emu, Reports)
        report_id = client.create_report(
            reportType="GET_V2_SELLER_PERFORMANCE_REPORT", marketplaceIds=[US]
        ).payload["reportId"]
        clock.advance(2)
        document_id = client.get_report(report_id).payload["reportDocumentId"]
        report = json.loads(
            client.get_report_document(document_id, download=True).payload["document"]
        )
        assert report["accountStatuses"][0]["status"] == "AT_RISK"
        assert (
            report["performanceMetrics"][0]["preFulfillmentCancellationRate"]["targetValue"] == 0.5
        )


# --- every answer against Amazon's models ---------------------------------------------------


def _answer_validator(shared: Path, operation_name: str, status: int) -> Draft4Validator:
    name, operation_id = OPERATIONS[operation_name]
    schema = operation(shared, name, operation_id)["responses"][str(status)]["schema"]
    return validator(shared, name, schema)


@pytest.mark.shared
def test_every_answer_matches_amazons_models(
    sp: SpClients, emu: Emulator, clock: ManualClock, shared_dir: Path
) -> None:
    order = emu.add_order("SKU-0")
    emu.set_buyer_cancel_request(order.order_id, "Changed mind")
    report = run_ack(
        sp,
        emu,
        clock,
        ack_xml((order.order_id, "Failure", [(order.items[0].order_item_id, "BuyerCanceled")])),
    )
    call(
        emu,
        "GET",
        item_path("SKU-1"),
        params={
            "marketplaceIds": US,
            "includedData": "summaries,attributes,issues,offers,"
            "fulfillmentAvailability,procurement,relationships,productTypes",
        },
    )
    call(emu, "GET", item_path("NOPE"), params={"marketplaceIds": US})
    call(
        emu,
        "PATCH",
        item_path("SKU-1"),
        params={"marketplaceIds": US, "includedData": "identifiers,issues"},
        json={
            "productType": "PRODUCT",
            "patches": [{"op": "merge", "path": "/attributes/x", "value": {"a": 1}}],
        },
    )
    call(
        emu,
        "GET",
        f"/listings/2021-08-01/items/{SELLER}",
        params={"marketplaceIds": US, "pageSize": 1},
    )
    for version, included in (("2026-01-01", ["CANCELLATION", "FULFILLMENT", "PROCEEDS"]),):
        client = sp(emu, Orders, version=version)
        client.search_orders(createdAfter=SINCE, includedData=included)
        client.get_order(order.order_id, includedData=included)
    v0 = sp(emu, Orders)
    v0.get_orders(LastUpdatedAfter=SINCE)
    v0.get_order(order.order_id)
    v0.get_order_items(order.order_id)
    reports = sp(emu, Reports)
    report_id = reports.create_report(
        reportType="GET_V2_SELLER_PERFORMANCE_REPORT", marketplaceIds=[US]
    ).payload["reportId"]
    clock.advance(2)
    doc_id = reports.get_report(report_id).payload["reportDocumentId"]
    health = json.loads(reports.get_report_document(doc_id, download=True).payload["document"])
    put = {"productType": "PRODUCT", "attributes": {}}  # INVALID: no condition_type
    call(emu, "PUT", item_path("SKU-2"), params={"marketplaceIds": US}, json=put)
    call(emu, "DELETE", item_path("SKU-2"), params={"marketplaceIds": US})
    call(emu, "GET", "/feeds/2021-06-30/feeds", params={"feedTypes": "JSON_LISTINGS_FEED"})
    health_type = "GET_V2_SELLER_PERFORMANCE_REPORT"
    call(emu, "GET", "/reports/2021-06-30/reports", params={"reportTypes": health_type})
    emu.faults.throttle("getOrder", 1)
    call(emu, "GET", f"/orders/2026-01-01/orders/{order.order_id}")
    problems = []
    checked = set()
    for record in emu.request_log:
        if record.operation not in OPERATIONS or not isinstance(record.response, dict):
            continue
        answer = _answer_validator(shared_dir, record.operation, record.status)
        checked.add(record.operation)
        problems += [
            f"{record.operation} {record.status}: {e.message}"
            for e in answer.iter_errors(record.response)
        ]
    assert problems == []
    assert checked == set(OPERATIONS) - PRICING_OPERATIONS  # pricing: its own conformance
    health_schema = json.loads(
        (shared_dir / "spapi-models/json-schemas/accountHealthReport-2020-11-18.json").read_text()
    )
    assert list(Draft7Validator(health_schema).iter_errors(health)) == []
    xsd = etree.XMLSchema(
        etree.parse(str(shared_dir / "spapi-models/xsd-release_4_1/amzn-envelope.xsd"))
    )
    envelope = report.getparent().getparent()
    assert xsd.validate(envelope), xsd.error_log


def test_buyers_run_by_themselves_on_the_system_clock() -> None:
    # Real time only here: the background thread exists for the real clock. Waiting for an
    # outcome with a deadline, not sleeping for a duration.
    with Emulator({"listings": [{"sku": "FAST", "quantity": 3}]}) as emu:
        emu.simulate_buyers(3600.0 * 50, rng_seed=5)  # about 50 a second
        done = threading.Event()
        for _ in range(100):
            if emu.quantity("FAST") == 0 or done.wait(0.05):
                break
        assert emu.quantity("FAST") == 0
        assert len(emu.orders()) == 3
