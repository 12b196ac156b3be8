"""The emulator's Feeds API: the document flow, the clock-driven lifecycle, validation, faults."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sp_api.api import Feeds
from sp_api.base.exceptions import SellingApiRequestThrottledException

from stockguard.core.clock import ManualClock
from stockguard.doubles.emulator import Emulator
from tests.amazon.test_emulator import (
    QTY_PATH,
    SELLER,
    US,
    SpClients,
    call,
    small_seed,
)

JSON_TYPE = "application/json; charset=UTF-8"


def patch_message(n: int, sku: str, quantity: int = 0, op: str = "merge") -> dict[str, Any]:
    value = [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}]
    return {
        "messageId": n,
        "sku": sku,
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [{"op": op, "path": QTY_PATH, "value": value}],
    }


def feed_doc(messages: list[Any], **header: Any) -> dict[str, Any]:
    return {"header": {"sellerId": SELLER, "version": "2.0", **header}, "messages": messages}


@pytest.fixture
def sp() -> Iterator[SpClients]:
    yield from SpClients.pool()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(small_seed(count=4), clock=clock) as emulator:
        yield emulator


def submit(
    sp: SpClients,
    emu: Emulator,
    doc: Any,
    feed_type: str = "JSON_LISTINGS_FEED",
    content_type: str = JSON_TYPE,
) -> str:
    """Upload and create a feed with the real client; return its id."""
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode("utf-8")
    _, created = sp(emu, Feeds).submit_feed(
        feed_type, io.BytesIO(raw), content_type=content_type, marketplaceIds=[US]
    )
    feed_id: str = created.payload["feedId"]
    return feed_id


def finish(
    sp: SpClients, emu: Emulator, clock: ManualClock, feed_id: str
) -> tuple[dict[str, Any], str]:
    """Let the feed's time pass; return (getFeed body, result document text)."""
    clock.advance(2)
    client = sp(emu, Feeds)
    feed: dict[str, Any] = client.get_feed(feed_id).payload
    return feed, client.get_feed_result_document(feed["resultFeedDocumentId"])


def test_feed_moves_from_in_queue_to_done_with_the_clock(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    feed_id = submit(
        sp, emu, feed_doc([patch_message(1, "SKU-0"), patch_message(2, "SKU-1", op="replace")])
    )
    client = sp(emu, Feeds)
    assert client.get_feed(feed_id).payload["processingStatus"] == "IN_QUEUE"
    clock.advance(1.0)
    assert client.get_feed(feed_id).payload["processingStatus"] == "IN_PROGRESS"
    assert emu.quantity("SKU-0") == 5  # nothing is applied before the feed is done
    clock.advance(1.0)
    feed = client.get_feed(feed_id).payload
    assert feed["processingStatus"] == "DONE"
    assert feed["processingEndTime"] == "2026-01-01T00:00:02Z"
    report = json.loads(client.get_feed_result_document(feed["resultFeedDocumentId"]))
    assert report["header"] == {"sellerId": SELLER, "version": "2.0", "feedId": feed_id}
    assert report["summary"] == {
        "errors": 0,
        "warnings": 0,
        "messagesProcessed": 2,
        "messagesAccepted": 2,
        "messagesInvalid": 0,
    }
    assert (emu.quantity("SKU-0"), emu.handling_days("SKU-0")) == (0, 3)
    assert (emu.quantity("SKU-1"), emu.handling_days("SKU-1")) == (0, None)
    assert emu.quantity_history("SKU-0")[-1][1:] == (0, "feed")


def test_feed_is_applied_when_due_even_if_nobody_polls(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    submit(sp, emu, feed_doc([patch_message(1, "SKU-2")]))
    clock.advance(5)
    assert emu.quantity("SKU-2") == 0
    assert emu.quantity_history("SKU-2")[-1][0] == clock.now().replace(second=2)


def test_per_message_errors_and_the_rest_applied(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    messages = [
        patch_message(1, "SKU-0"),
        {"messageId": 2, "operationType": "PATCH", "productType": "PRODUCT", "patches": []},
        {**patch_message(3, "SKU-1"), "attributes": {"x": [{}]}},  # PATCH forbids attributes
        patch_message(1, "SKU-2"),  # duplicate messageId
        {"messageId": 5, "sku": "SKU-3", "operationType": "DELETE", "productType": "PRODUCT"},
        patch_message(6, "NO-SUCH-SKU"),
        {
            **patch_message(7, "SKU-3"),
            "patches": [
                {
                    "op": "merge",
                    "path": "/attributes/fulfillmentAvailability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
                }
            ],
        },
        {"messageId": "8", "sku": "SKU-3", "operationType": "PATCH"},
        {"messageId": 9, "sku": "SKU-3", "operationType": "UPSERT"},
    ]
    _, text = finish(sp, emu, clock, submit(sp, emu, feed_doc(messages)))
    report = json.loads(text)
    by_id = {i.get("messageId"): i for i in report["issues"]}
    assert set(by_id) == {2, 3, 1, 5, 6, 7, None, 9}
    assert (by_id[1]["sku"], by_id[1]["code"]) == ("SKU-2", "99002")
    assert by_id[6]["sku"] == "NO-SUCH-SKU"
    assert by_id[7]["code"] == "90000900"
    assert report["summary"]["messagesProcessed"] == 9
    assert report["summary"]["messagesAccepted"] == 1
    assert emu.quantity("SKU-0") == 0
    assert [emu.quantity(s) for s in ("SKU-1", "SKU-2", "SKU-3")] == [5, 5, 5]


@pytest.mark.parametrize(
    "doc",
    [
        b"{not json",
        b'["a list"]',
        json.dumps({"messages": [patch_message(1, "SKU-0")]}).encode(),
        json.dumps(feed_doc([patch_message(1, "SKU-0")], version="1.0")).encode(),
        json.dumps(
            {
                **feed_doc([patch_message(1, "SKU-0")]),
                "header": {"sellerId": "A2OTHER", "version": "2.0"},
            }
        ).encode(),
        json.dumps(feed_doc([])).encode(),
        json.dumps(
            feed_doc(
                [patch_message(1, "SKU-0")],
                report={"includedData": ["everything"], "apiVersion": "2021-08-01"},
            )
        ).encode(),
    ],
)
def test_malformed_document_makes_the_feed_fatal(
    sp: SpClients, emu: Emulator, clock: ManualClock, doc: bytes
) -> None:
    feed, text = finish(sp, emu, clock, submit(sp, emu, doc))
    assert feed["processingStatus"] == "FATAL"
    report = json.loads(text)
    assert report["summary"]["messagesProcessed"] == 0
    assert report["issues"][0]["severity"] == "ERROR"
    assert emu.quantity("SKU-0") == 5


def test_more_than_25000_messages_is_fatal(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    messages = [patch_message(n, "SKU-0") for n in range(1, 25_002)]
    feed, _ = finish(sp, emu, clock, submit(sp, emu, feed_doc(messages)))
    assert feed["processingStatus"] == "FATAL"


def test_report_items_when_the_header_asks_for_them(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    doc = feed_doc(
        [patch_message(1, "SKU-0")],
        report={"includedData": ["fulfillmentAvailability"], "apiVersion": "2021-08-01"},
    )
    _, text = finish(sp, emu, clock, submit(sp, emu, doc))
    report = json.loads(text)
    assert report["items"] == [
        {
            "sku": "SKU-0",
            "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": 0}],
        }
    ]
    assert report["summary"]["itemSummary"]["items"] == 1


def test_legacy_inventory_feed_is_fatal(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    feed_id = submit(sp, emu, b"<AmazonEnvelope/>", "POST_INVENTORY_AVAILABILITY_DATA", "text/xml")
    feed, text = finish(sp, emu, clock, feed_id)
    assert feed["processingStatus"] == "FATAL"
    assert "JSON_LISTINGS_FEED" in text


def test_unknown_feed_type_and_document_are_400(emu: Emulator) -> None:
    doc = call(emu, "POST", "/feeds/2021-06-30/documents", json={"contentType": JSON_TYPE}).json()
    body = {
        "feedType": "POST_SOMETHING",
        "marketplaceIds": [US],
        "inputFeedDocumentId": doc["feedDocumentId"],
    }
    assert call(emu, "POST", "/feeds/2021-06-30/feeds", json=body).status_code == 400
    body = {"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [US], "inputFeedDocumentId": "nope"}
    assert call(emu, "POST", "/feeds/2021-06-30/feeds", json=body).status_code == 400
    assert call(emu, "POST", "/feeds/2021-06-30/documents", json={}).status_code == 400


def test_upload_needs_the_same_content_type_and_a_fresh_url(
    emu: Emulator, clock: ManualClock
) -> None:
    doc = call(emu, "POST", "/feeds/2021-06-30/documents", json={"contentType": JSON_TYPE}).json()
    assert doc["url"].startswith(emu.base_url + "/_docs/")
    wrong = httpx.put(doc["url"], content=b"{}", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 403
    assert b"SignatureDoesNotMatch" in wrong.content
    assert (
        httpx.put(doc["url"], content=b"{}", headers={"Content-Type": JSON_TYPE}).status_code == 200
    )
    clock.advance(301)
    late = httpx.put(doc["url"], content=b"{}", headers={"Content-Type": JSON_TYPE})
    assert late.status_code == 403
    assert b"Request has expired" in late.content


def test_cancel_only_while_in_queue(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    client = sp(emu, Feeds)
    first = submit(sp, emu, feed_doc([patch_message(1, "SKU-0")]))
    client.cancel_feed(first)
    clock.advance(5)
    assert client.get_feed(first).payload["processingStatus"] == "CANCELLED"
    assert emu.quantity("SKU-0") == 5
    second = submit(sp, emu, feed_doc([patch_message(1, "SKU-1")]))
    clock.advance(1)
    answer = call(emu, "DELETE", f"/feeds/2021-06-30/feeds/{second}")
    assert answer.status_code == 400


def test_gzip_result_documents(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    emu.gzip_documents = True
    feed, text = finish(sp, emu, clock, submit(sp, emu, feed_doc([patch_message(1, "SKU-0")])))
    assert json.loads(text)["summary"]["messagesAccepted"] == 1  # the client gunzipped it
    meta = call(emu, "GET", f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    assert meta["compressionAlgorithm"] == "GZIP"
    assert json.loads(gzip.decompress(httpx.get(meta["url"]).content))["header"]["feedId"]


def test_feed_errors_fault_fails_those_skus_only(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    emu.faults.feed_errors(["SKU-1"])
    doc = feed_doc([patch_message(1, "SKU-0"), patch_message(2, "SKU-1")])
    _, text = finish(sp, emu, clock, submit(sp, emu, doc))
    report = json.loads(text)
    assert [(i["messageId"], i["sku"], i["severity"]) for i in report["issues"]] == [
        (2, "SKU-1", "ERROR")
    ]
    assert (emu.quantity("SKU-0"), emu.quantity("SKU-1")) == (0, 5)


def test_slow_feeds_fault(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    emu.faults.slow_feeds(60)
    feed_id = submit(sp, emu, feed_doc([patch_message(1, "SKU-0")]))
    clock.advance(30)
    assert sp(emu, Feeds).get_feed(feed_id).payload["processingStatus"] == "IN_PROGRESS"
    clock.advance(32)
    assert sp(emu, Feeds).get_feed(feed_id).payload["processingStatus"] == "DONE"


def test_json_listings_feed_is_limited_to_5_per_5_minutes(
    sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    for n in range(5):
        submit(sp, emu, feed_doc([patch_message(1, f"SKU-{n % 4}")]))
    with pytest.raises(SellingApiRequestThrottledException):
        submit(sp, emu, feed_doc([patch_message(1, "SKU-0")]))
    clock.advance(60)  # 5 per 300 s: one submission back
    submit(sp, emu, feed_doc([patch_message(1, "SKU-0")]))
