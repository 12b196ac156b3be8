"""The order-acknowledgement feed: its shape, Amazon's XSD, refusals, and reading the report."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from lxml import etree

from stockguard.cancellations.ackfeed import (
    AckItem,
    AckOrder,
    build_ack_feed,
    parse_processing_report,
)
from stockguard.cancellations.feedresult import order_errors
from stockguard.core.amazon.results import FeedResult, ListingIssue
from stockguard.core.domain import CancelReason
from stockguard.core.errors import CancellationError

ORDER_A = AckOrder(
    "112-1234567-1234567",
    (
        AckItem("12345678901234", CancelReason.NO_INVENTORY),
        AckItem("12345678901235", CancelReason.NO_INVENTORY),
    ),
)
ORDER_B = AckOrder("250-7654321-7654321", (AckItem("55555555555555", CancelReason.BUYER_CANCELED),))


def test_one_message_per_order_one_item_per_order_item() -> None:
    feed = build_ack_feed("A1SELLER", [ORDER_A, ORDER_B])
    root = ET.fromstring(feed.xml)
    assert root.tag == "AmazonEnvelope"
    assert root.findtext("Header/DocumentVersion") == "1.01"
    assert root.findtext("Header/MerchantIdentifier") == "A1SELLER"
    assert root.findtext("MessageType") == "OrderAcknowledgement"
    messages = root.findall("Message")
    assert [m.findtext("MessageID") for m in messages] == ["1", "2"]
    first = messages[0].find("OrderAcknowledgement")
    assert first is not None
    assert first.findtext("AmazonOrderID") == "112-1234567-1234567"
    assert first.findtext("StatusCode") == "Failure"
    items = [
        (i.findtext("AmazonOrderItemCode"), i.findtext("CancelReason"))
        for i in first.findall("Item")
    ]
    assert items == [("12345678901234", "NoInventory"), ("12345678901235", "NoInventory")]
    assert feed.message_ids == {1: "112-1234567-1234567", 2: "250-7654321-7654321"}
    assert feed.xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.shared
def test_the_feed_validates_against_amazons_xsd(shared_dir: Path) -> None:
    schema = etree.XMLSchema(
        etree.parse(str(shared_dir / "spapi-models/xsd-release_4_1/amzn-envelope.xsd"))
    )
    feed = build_ack_feed("A1SELLER", [ORDER_A, ORDER_B])
    document = etree.fromstring(feed.xml)
    assert schema.validate(document), schema.error_log
    # The check is real: a reason outside the enum is refused by the same schema.
    bad = etree.fromstring(feed.xml.replace(b"NoInventory", b"OutOfStock"))
    assert not schema.validate(bad)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([AckOrder("B00EXAMPLE", ORDER_A.items)], "not an Amazon order id"),
        (
            [AckOrder(ORDER_A.order_id, (AckItem("B00ASIN123", CancelReason.NO_INVENTORY),))],
            "14-digit OrderItemId",
        ),
        ([AckOrder(ORDER_A.order_id, ())], "no items"),
        ([ORDER_A, ORDER_A], "appears twice"),
        ([], "empty feed"),
    ],
)
def test_bad_orders_are_refused_with_the_order_named(batch: list[AckOrder], message: str) -> None:
    with pytest.raises(CancellationError, match=message):
        build_ack_feed("A1SELLER", batch)


def test_a_seller_id_is_required() -> None:
    with pytest.raises(CancellationError, match="seller_id"):
        build_ack_feed("", [ORDER_A])


REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope><Header><DocumentVersion>1.02</DocumentVersion>
<MerchantIdentifier>A1SELLER</MerchantIdentifier></Header>
<MessageType>ProcessingReport</MessageType>
<Message><MessageID>1</MessageID><ProcessingReport><DocumentTransactionID>1</DocumentTransactionID>
<StatusCode>Complete</StatusCode>
<ProcessingSummary><MessagesProcessed>3</MessagesProcessed><MessagesSuccessful>1</MessagesSuccessful>
<MessagesWithError>2</MessagesWithError><MessagesWithWarning>0</MessagesWithWarning></ProcessingSummary>
<Result><MessageID>1</MessageID><ResultCode>Error</ResultCode><ResultMessageCode>25</ResultMessageCode>
<ResultDescription>Order already shipped</ResultDescription>
<AdditionalInfo><AmazonOrderID>112-1234567-1234567</AmazonOrderID></AdditionalInfo></Result>
<Result><MessageID>3</MessageID><ResultCode>Error</ResultCode><ResultMessageCode>18028</ResultMessageCode>
<ResultDescription>Invalid item code</ResultDescription></Result>
<Result><MessageID>2</MessageID><ResultCode>Warning</ResultCode><ResultMessageCode>1</ResultMessageCode>
<ResultDescription>just a warning</ResultDescription></Result>
</ProcessingReport></Message></AmazonEnvelope>"""


def test_the_processing_report_is_read_per_message() -> None:
    results = parse_processing_report(REPORT)
    assert [(r.message_id, r.code, r.order_id) for r in results] == [
        (1, "Error", "112-1234567-1234567"),
        (3, "Error", None),
        (2, "Warning", None),
    ]
    assert parse_processing_report("not xml") == []


def test_errors_are_mapped_to_orders_by_order_id_or_message_id() -> None:
    ids = {1: "112-1234567-1234567", 2: "250-7654321-7654321", 3: "303-1111111-2222222"}
    answer = FeedResult(feed_id="F1", status="DONE", report=REPORT)
    errors = order_errors(answer, ids, list(ids.values()))
    assert errors == {
        "112-1234567-1234567": "25: Order already shipped",
        "303-1111111-2222222": "18028: Invalid item code",
    }


def test_gateway_keyed_errors_count_and_warnings_do_not() -> None:
    answer = FeedResult(
        feed_id="F2",
        status="DONE",
        errors_by_key={
            "112-1234567-1234567": (ListingIssue("shipped", code="25"),),
            "250-7654321-7654321": (ListingIssue("hm", severity="WARNING"),),
        },
    )
    orders = ["112-1234567-1234567", "250-7654321-7654321"]
    assert order_errors(answer, {}, orders) == {"112-1234567-1234567": "25: shipped"}


def test_a_feed_that_did_not_finish_fails_every_order() -> None:
    answer = FeedResult(feed_id="F3", status="FATAL")
    assert order_errors(answer, {}, ["112-1234567-1234567"]) == {
        "112-1234567-1234567": "feed F3 ended FATAL"
    }
