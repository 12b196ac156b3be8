"""The gateway's pure parts: rate limiter, backoff, error translation, feed bodies, reports,
Orders parsing, configuration errors. (Behaviour over HTTP is in test_gateway.py.)"""

from __future__ import annotations

import itertools
import json
import random
import threading
from datetime import UTC, datetime

import pytest

from stockguard.core.amazon import feeds_doc, orders_parse, translate
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.amazon.ratelimit import RateLimiter, backoff_seconds, parse_rate
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings, Secrets
from stockguard.core.domain import OrderStatus, Party, QuantityUpdate
from stockguard.core.errors import (
    AmazonAuthError,
    AmazonRejected,
    AmazonThrottled,
    AmazonUnavailable,
    ConfigError,
)

US = "ATVPDKIKX0DER"


# --- rate limiter --------------------------------------------------------------------------


def test_burst_goes_at_once_then_requests_wait_for_the_rate(clock: ManualClock) -> None:
    limiter = RateLimiter(clock, {"op": (5.0, 5)})
    sent_at = []
    for _ in range(15):
        limiter.acquire("op")
        sent_at.append(clock.monotonic())
    assert sent_at[:4] == [0.0] * 4  # the burst, less one token of headroom
    assert sent_at[4] > 0
    # after the burst: no faster than 5 per second (2% margin), never bunched
    gaps = [b - a for a, b in itertools.pairwise(sent_at[3:])]
    assert all(gap >= 0.2 for gap in gaps)
    assert sent_at[-1] == pytest.approx(11 / (5 * 0.98), abs=0.02)


def test_wait_needed_tells_the_wait_without_taking_a_token(clock: ManualClock) -> None:
    limiter = RateLimiter(clock, {"op": (5.0, 3)})
    assert limiter.wait_needed("op") == 0.0
    limiter.acquire("op")
    limiter.acquire("op")  # the burst less its headroom token is spent
    assert limiter.wait_needed("op") == pytest.approx(1 / (5 * 0.98))
    assert limiter.wait_needed("op") == pytest.approx(1 / (5 * 0.98))  # nothing reserved
    assert limiter.wait_needed("unknown") == 0.0
    clock.advance(1.0)
    assert limiter.wait_needed("op") == 0.0


def test_a_simulated_amazon_bucket_never_refuses_what_the_limiter_lets_through(
    clock: ManualClock,
) -> None:
    rate, burst = 2.0, 3
    limiter = RateLimiter(clock, {"op": (rate, burst)})
    tokens, last = float(burst), 0.0
    for i in range(200):
        limiter.acquire("op")
        if i % 7 == 0:
            clock.advance(0.05)  # callers also take time of their own
        now = clock.monotonic()
        tokens = min(burst, tokens + (now - last) * rate)
        last = now
        assert tokens >= 1.0, f"request {i} would have been throttled"
        tokens -= 1.0


def test_threads_share_one_bucket(clock: ManualClock) -> None:
    limiter = RateLimiter(clock, {"op": (1.0, 2)})
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = limiter.reserve("op")
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # one goes at once (burst 2 less the headroom), the others 1/0.98 s apart
    assert sorted(round(w, 2) for w in waits) == [0.0, 1.02, 2.04, 3.06, 4.08, 5.1]


def test_rate_limit_header_corrects_the_documented_default(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    assert limiter.rate("patchListingsItem") == 5.0
    limiter.observe("patchListingsItem", "2.5")
    assert limiter.rate("patchListingsItem") == 2.5
    limiter.observe("patchListingsItem", "junk")
    limiter.observe("patchListingsItem", None)
    assert limiter.rate("patchListingsItem") == 2.5
    limiter.observe("someNewOperation", "0.5")
    assert limiter.rate("someNewOperation") == 0.5


def test_a_429_empties_the_bucket(clock: ManualClock) -> None:
    limiter = RateLimiter(clock, {"op": (1.0, 10)})
    limiter.throttled("op")
    assert limiter.acquire("op") == pytest.approx(1 / 0.98, abs=0.01)


def test_parse_rate_and_backoff() -> None:
    assert parse_rate(" 0.0167 ") == 0.0167
    assert parse_rate("0") is None
    assert parse_rate("nan") is None
    rng = random.Random(3)
    delays = [backoff_seconds(a, base=1.0, cap=20.0, rng=rng) for a in range(10)]
    assert all(1.0 <= d <= 20.0 for d in delays)
    assert all(d <= 2**a for a, d in enumerate(delays))
    assert len(set(delays)) == len(delays)  # jitter


# --- translation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "transient"),
    [
        (400, AmazonRejected, False),
        (404, AmazonRejected, False),
        (409, AmazonRejected, False),
        (403, AmazonAuthError, False),
        (401, AmazonAuthError, False),
        (429, AmazonThrottled, True),
        (500, AmazonUnavailable, True),
        (503, AmazonUnavailable, True),
        (None, AmazonUnavailable, True),
    ],
)
def test_status_mapping(status: int | None, kind: type, transient: bool) -> None:
    error = translate.for_status(status, "patchListingsItem", code="X", message="m", subject="S")
    assert type(error) is kind
    assert error.transient is transient
    assert str(error).startswith("patchListingsItem S: ")


def test_lwa_errors_and_redaction() -> None:
    redact = translate.Redactor(["the-client-secret", "Atzr|refresh"])
    error = translate.for_lwa(401, "invalid_client", "bad the-client-secret x", redact)
    assert isinstance(error, AmazonAuthError)
    assert "the-client-secret" not in str(error)
    assert "LWA_CLIENT_SECRET" in str(error)
    assert isinstance(translate.for_lwa(503, None, None, redact), AmazonUnavailable)
    assert isinstance(translate.for_lwa(429, None, None, redact), AmazonThrottled)


def test_missing_credentials_name_the_environment_variables() -> None:
    settings = AmazonSettings(seller_id="A1", endpoint="http://127.0.0.1:9")
    with (
        AmazonGateway(settings, Secrets(lwa_client_id="x"), ManualClock()) as gateway,
        pytest.raises(ConfigError) as info,
    ):
        gateway.get_quantity("SKU-1")
    assert "LWA_CLIENT_SECRET" in str(info.value)
    assert "SP_API_REFRESH_TOKEN" in str(info.value)
    assert "LWA_APP_ID, " not in str(info.value).split("set ")[1].split(" in")[0]


def test_unknown_marketplace_and_missing_seller_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="marketplace"):
        AmazonGateway(AmazonSettings(marketplace="XX"), Secrets())
    secrets = Secrets(lwa_client_id="a", lwa_client_secret="bbbb", refresh_token="cccc")
    with (
        AmazonGateway(AmazonSettings(), secrets) as gateway,
        pytest.raises(ConfigError, match="seller_id"),
    ):
        gateway.patch_quantity(QuantityUpdate("SKU-1", 0, US))


# --- feed documents and reports ------------------------------------------------------------


def test_patch_body_is_a_merge_with_a_value_array() -> None:
    body = feeds_doc.patch_body(QuantityUpdate("SKU-1", 0, US, product_type="SHOES"))
    assert body == {
        "productType": "SHOES",
        "patches": [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
            }
        ],
    }
    with pytest.raises(AmazonRejected, match="negative"):
        feeds_doc.patch_body(QuantityUpdate("SKU-1", -1, US))


def test_quantity_feed_is_utf8_bytes_with_one_message_per_sku() -> None:
    updates = [QuantityUpdate("ボールペン-1", 0, US), QuantityUpdate("SKU 2/x", 3, US)]
    document, skus = feeds_doc.build_quantity_feed("A1SELLER", updates)
    assert isinstance(document, bytes)
    parsed = json.loads(document.decode("utf-8"))
    assert parsed["header"] == {"sellerId": "A1SELLER", "version": "2.0", "issueLocale": "en_US"}
    assert [m["messageId"] for m in parsed["messages"]] == [1, 2]
    assert parsed["messages"][0]["sku"] == "ボールペン-1"
    assert parsed["messages"][1]["patches"][0]["value"][0]["quantity"] == 3
    assert skus == {1: "ボールペン-1", 2: "SKU 2/x"}


def test_quantity_feed_refuses_what_amazon_would() -> None:
    too_many = [QuantityUpdate(f"S{i}", 0, US) for i in range(25_001)]
    with pytest.raises(AmazonRejected, match="at most 25,000 messages; got 25,001"):
        feeds_doc.build_quantity_feed("A1", too_many)
    with pytest.raises(AmazonRejected, match="at least one"):
        feeds_doc.build_quantity_feed("A1", [])
    with pytest.raises(AmazonRejected, match="'S1' appears twice"):
        feeds_doc.build_quantity_feed("A1", [QuantityUpdate("S1", 0, US)] * 2)
    mixed = [QuantityUpdate("S1", 0, US), QuantityUpdate("S2", 0, "A1VC38T7YXB528")]
    with pytest.raises(AmazonRejected, match="one marketplace"):
        feeds_doc.build_quantity_feed("A1", mixed)


def test_json_report_issues_are_keyed_by_sku() -> None:
    report = {
        "header": {"sellerId": "A1", "version": "2.0", "feedId": "9"},
        "issues": [
            {"messageId": 2, "code": "90220", "severity": "ERROR", "message": "bad"},
            {"messageId": 3, "sku": "C", "code": "1", "severity": "WARNING", "message": "meh"},
            {"code": "5", "severity": "ERROR", "message": "whole feed"},
        ],
        "summary": {"errors": 2, "warnings": 1, "messagesProcessed": 3, "messagesAccepted": 1},
    }
    result = feeds_doc.parse_json_report("9", "DONE", json.dumps(report), {1: "A", 2: "B", 3: "C"})
    assert result.failed("B")
    assert not result.failed("A")
    assert not result.failed("C")  # a warning is not a failure
    assert result.errors_by_key["C"][0].severity == "WARNING"
    assert result.failed(feeds_doc.FEED_LEVEL)
    assert (result.messages_processed, result.messages_accepted) == (3, 1)


ACK = b"""<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope><Header><DocumentVersion>1.01</DocumentVersion>
<MerchantIdentifier>A1</MerchantIdentifier></Header><MessageType>OrderAcknowledgement</MessageType>
<Message><MessageID>1</MessageID><OrderAcknowledgement><AmazonOrderID>111-1111111-1111111</AmazonOrderID>
<StatusCode>Failure</StatusCode></OrderAcknowledgement></Message>
<Message><MessageID>2</MessageID><OrderAcknowledgement><AmazonOrderID>222-2222222-2222222</AmazonOrderID>
<StatusCode>Failure</StatusCode></OrderAcknowledgement></Message></AmazonEnvelope>"""

REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope><Header><DocumentVersion>1.02</DocumentVersion><MerchantIdentifier>A1</MerchantIdentifier>
</Header><MessageType>ProcessingReport</MessageType><Message><MessageID>1</MessageID>
<ProcessingReport><DocumentTransactionID>5</DocumentTransactionID><StatusCode>Complete</StatusCode>
<ProcessingSummary><MessagesProcessed>2</MessagesProcessed><MessagesSuccessful>1</MessagesSuccessful>
<MessagesWithError>1</MessagesWithError><MessagesWithWarning>0</MessagesWithWarning></ProcessingSummary>
<Result><MessageID>2</MessageID><ResultCode>Error</ResultCode><ResultMessageCode>18028</ResultMessageCode>
<ResultDescription>already shipped</ResultDescription></Result></ProcessingReport></Message>
</AmazonEnvelope>"""


def test_xml_report_errors_are_keyed_by_order_id() -> None:
    orders = feeds_doc.acknowledgement_orders(ACK)
    assert orders == {1: "111-1111111-1111111", 2: "222-2222222-2222222"}
    result = feeds_doc.parse_xml_report("7", "DONE", REPORT, orders)
    assert result.failed("222-2222222-2222222")
    assert not result.failed("111-1111111-1111111")
    assert result.errors_by_key["222-2222222-2222222"][0].code == "18028"
    assert (result.messages_processed, result.messages_accepted) == (2, 1)
    keyed = REPORT.replace(
        b"</ResultDescription>",
        b"</ResultDescription><AdditionalInfo><AmazonOrderID>333-3333333-3333333</AmazonOrderID>"
        b"</AdditionalInfo>",
    )
    assert feeds_doc.parse_xml_report("7", "DONE", keyed).failed("333-3333333-3333333")
    with pytest.raises(AmazonRejected, match="not well-formed"):
        feeds_doc.acknowledgement_orders(b"<AmazonEnvelope>")


# --- orders --------------------------------------------------------------------------------


def test_v2026_order_with_a_buyer_request() -> None:
    raw = {
        "orderId": "111-1111111-1111111",
        "createdTime": "2026-01-02T03:04:05Z",
        "lastUpdatedTime": "2026-01-02T04:00:00.123Z",
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": US},
        "fulfillment": {
            "fulfillmentStatus": "UNSHIPPED",
            "fulfilledBy": "MERCHANT",
            "shipByWindow": {"latestDateTime": "2026-01-04T00:00:00Z"},
        },
        "orderItems": [
            {
                "orderItemId": "12345678901234",
                "quantityOrdered": 2,
                "product": {"asin": "B000000001", "sellerSku": "SKU-1"},
                "cancellation": {
                    "cancellationRequest": {"requester": "BUYER", "cancelReason": "Changed mind"}
                },
            }
        ],
    }
    order = orders_parse.order_from_v2026(raw)
    assert order.status is OrderStatus.UNSHIPPED
    assert order.cancel_requested_by is Party.BUYER
    assert order.cancelled_by is None
    assert order.items[0].buyer_requested_cancel
    assert order.items[0].buyer_cancel_reason == "Changed mind"
    assert order.items[0].sku == "SKU-1"
    assert order.items[0].quantity == 2
    assert order.last_updated_at == datetime(2026, 1, 2, 4, 0, 0, 123000, tzinfo=UTC)
    assert order.latest_ship_date == datetime(2026, 1, 4, tzinfo=UTC)


def test_v0_buyer_cancel_flag_is_a_string() -> None:
    raw = {
        "AmazonOrderId": "111-1111111-1111111",
        "PurchaseDate": "2026-01-02T03:04:05Z",
        "LastUpdateDate": "2026-01-02T03:04:05Z",
        "OrderStatus": "Unshipped",
        "FulfillmentChannel": "MFN",
        "MarketplaceId": US,
    }
    item = {
        "OrderItemId": "12345678901234",
        "SellerSKU": "SKU-1",
        "ASIN": "B000000001",
        "QuantityOrdered": 1,
        "BuyerRequestedCancel": {"IsBuyerRequestedCancel": "false", "BuyerCancelReason": ""},
    }
    order = orders_parse.order_from_v0(raw, [item])
    assert not order.items[0].buyer_requested_cancel  # "false" is truthy, but not a request
    assert order.cancel_requested_by is None
    item["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true", "BuyerCancelReason": "x"}
    order = orders_parse.order_from_v0(dict(raw, OrderStatus="Canceled"), [item])
    assert order.items[0].buyer_requested_cancel
    assert order.cancel_requested_by is Party.BUYER
    assert order.status is OrderStatus.CANCELLED
