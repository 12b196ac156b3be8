"""getFeeds and getReports through the real python-amazon-sp-api client: filters and pages.

Time is a ManualClock shared with the emulator, so the feeds and reports are created at
known moments and move from IN_QUEUE to DONE (or FATAL) only when the test advances it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sp_api.api import Feeds, Reports
from sp_api.base import Marketplaces
from sp_api.base.exceptions import SellingApiBadRequestException, SellingApiForbiddenException

from stockguard.core.clock import ManualClock
from stockguard.core.domain import MARKETPLACES
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.wire import iso
from tests.amazon.test_emulator import SELLER, SpClients

US, CA, UK = (MARKETPLACES[c].marketplace_id for c in ("US", "CA", "UK"))
JSON_FEED, LEGACY_FEED = "JSON_LISTINGS_FEED", "POST_INVENTORY_AVAILABILITY_DATA"
HEALTH, LISTINGS = "GET_V2_SELLER_PERFORMANCE_REPORT", "GET_MERCHANT_LISTINGS_ALL_DATA"


@pytest.fixture
def sp() -> Iterator[SpClients]:
    yield from SpClients.pool()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    seed = {"listings": [{"sku": "MUG", "quantity": 2}, {"sku": "MUG", "marketplace": "CA"}]}
    with Emulator(seed, clock=clock, feed_processing_seconds=30.0) as emulator:
        yield emulator


def submit(client: Any, feed_type: str, marketplace_id: str) -> str:
    """One feed (a quantity PATCH for MUG) in one marketplace; its id."""
    document = {
        "header": {"sellerId": SELLER, "version": "2.0"},
        "messages": [
            {
                "messageId": 1,
                "sku": "MUG",
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "merge",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
                    }
                ],
            }
        ],
    }
    _, created = client.submit_feed(
        feed_type,
        io.BytesIO(json.dumps(document).encode("utf-8")),
        content_type="application/json; charset=UTF-8",
        marketplaceIds=[marketplace_id],
    )
    feed_id: str = created.payload["feedId"]
    return feed_id


@pytest.fixture
def feeds(sp: SpClients, emu: Emulator, clock: ManualClock) -> tuple[Any, list[str]]:
    """Four feeds 10 s apart (each takes 30 s): JSON in US, CA, US, then a legacy one (US)."""
    client = sp(emu, Feeds)
    made = []
    for feed_type, marketplace_id in (
        (JSON_FEED, US),
        (JSON_FEED, CA),
        (JSON_FEED, US),
        (LEGACY_FEED, US),
    ):
        if made:
            clock.advance(10)
        made.append(submit(client, feed_type, marketplace_id))
    return client, made


def ids(answer: Any, key: str) -> list[str]:
    return [f[key] for f in answer.payload[key.removesuffix("Id") + "s"]]


def test_get_feeds_pages_newest_first(feeds: tuple[Any, list[str]]) -> None:
    client, made = feeds
    first = client.get_feeds(feedTypes=[JSON_FEED], marketplaceIds=[US, CA], pageSize=2)
    assert ids(first, "feedId") == [made[2], made[1]]
    assert first.next_token  # the library moves nextToken out of the payload
    second = client.get_feeds(nextToken=first.next_token)
    assert ids(second, "feedId") == [made[0]]
    assert second.next_token is None


def test_get_feeds_filters(
    feeds: tuple[Any, list[str]], sp: SpClients, emu: Emulator, clock: ManualClock
) -> None:
    client, made = feeds
    both = [JSON_FEED, LEGACY_FEED]
    # the library adds the client's marketplace (US) when none is given
    assert ids(client.get_feeds(feedTypes=both), "feedId") == [made[3], made[2], made[0]]
    canada = sp(emu, Feeds, marketplace=Marketplaces.CA).get_feeds(feedTypes=both)
    assert ids(canada, "feedId") == [made[1]]
    since = iso(clock.now() - timedelta(seconds=10))  # when the third was created
    assert ids(client.get_feeds(feedTypes=both, createdSince=since), "feedId") == made[:1:-1]
    until = iso(clock.now() - timedelta(seconds=30))
    assert ids(client.get_feeds(feedTypes=both, createdUntil=until), "feedId") == made[:1]
    unfinished = ["IN_QUEUE", "IN_PROGRESS"]
    queued = client.get_feeds(feedTypes=both, processingStatuses=unfinished)
    assert ids(queued, "feedId") == [made[3], made[2]]  # the first is done by now
    clock.advance(600)
    fatal = client.get_feeds(feedTypes=both, processingStatuses=["FATAL"])
    assert ids(fatal, "feedId") == [made[3]]
    done = client.get_feeds(feedTypes=both, processingStatuses=["DONE"]).payload["feeds"]
    assert all("resultFeedDocumentId" in f for f in done)


def test_get_feeds_refuses_what_amazon_refuses(feeds: tuple[Any, list[str]]) -> None:
    client, _ = feeds
    with pytest.raises(SellingApiBadRequestException):
        client.get_feeds()  # feedTypes or nextToken is required
    with pytest.raises(SellingApiBadRequestException):
        client.get_feeds(feedTypes=[JSON_FEED], pageSize=101)
    with pytest.raises(SellingApiBadRequestException):
        client.get_feeds(feedTypes=[JSON_FEED], processingStatuses=["FINISHED"])
    with pytest.raises(SellingApiForbiddenException):
        client.get_feeds(feedTypes=[JSON_FEED], marketplaceIds=[UK])


def test_get_reports_filters_and_pages(sp: SpClients, emu: Emulator, clock: ManualClock) -> None:
    client = sp(emu, Reports)
    made = []
    for report_type, marketplace_id in ((HEALTH, US), (LISTINGS, CA), (LISTINGS, US)):
        if made:
            clock.advance(10)
        answer = client.create_report(reportType=report_type, marketplaceIds=[marketplace_id])
        made.append(answer.payload["reportId"])
    everything = {"reportTypes": [HEALTH, LISTINGS], "marketplaceIds": [US, CA]}
    queued = client.get_reports(**everything, processingStatuses=["IN_QUEUE"])
    assert ids(queued, "reportId") == [made[2]]  # 30 s to process: the others have started
    clock.advance(60)
    seen, token = [], None
    while True:
        page = (
            client.get_reports(nextToken=token)
            if token
            else client.get_reports(**everything, pageSize=1)
        )
        seen += page.payload["reports"]
        token = page.next_token
        if not token:
            break
    assert [r["reportId"] for r in seen] == made[::-1]
    assert all(r["processingStatus"] == "DONE" and r["reportDocumentId"] for r in seen)
    listings = client.get_reports(reportTypes=[LISTINGS], marketplaceIds=[CA])
    assert ids(listings, "reportId") == [made[1]]
    with pytest.raises(SellingApiBadRequestException):
        client.get_reports(processingStatuses=["DONE"])  # no reportTypes
    with pytest.raises(SellingApiForbiddenException):
        client.get_reports(reportTypes=[HEALTH], marketplaceIds=[UK])
