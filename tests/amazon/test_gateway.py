"""The gateway with the real python-amazon-sp-api client, over real HTTP, against the emulator.

The gateway and the emulator share one ManualClock: every wait (rate limits, backoff, feed
polling) advances it instantly, and the emulator's own token buckets run on the same time, so
"no request beyond the limits" is exact.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.config import AmazonSettings, Secrets
from stockguard.core.domain import OrderStatus, Party, QuantityUpdate
from stockguard.core.errors import (
    AmazonAuthError,
    AmazonRejected,
    AmazonThrottled,
    AmazonUnavailable,
)
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

US = "ATVPDKIKX0DER"
ODD_SKU = "ボール ペン/7"


def seed_listings(count: int = 12, handling_days: int = 4) -> dict[str, Any]:
    """``count`` listings SKU-00.. at quantity 5 with a handling time, plus an odd SKU name."""
    listings = [
        {"sku": f"SKU-{i:02d}", "quantity": 5, "handling_days": handling_days} for i in range(count)
    ]
    listings.append({"sku": ODD_SKU, "quantity": 2, "handling_days": 9})
    return {"seller_id": EMULATOR_SELLER_ID, "listings": listings}


def make_gateway(
    base_url: str, clock: ManualClock, secrets: Secrets = EMULATOR_SECRETS, **changes: Any
) -> AmazonGateway:
    """A gateway pointed at an emulator (SP-API and LWA), with a seeded jitter source."""
    values: dict[str, Any] = {
        "seller_id": EMULATOR_SELLER_ID,
        "endpoint": base_url,
        "lwa_endpoint": base_url,
        "poll_initial_seconds": 0.5,
    }
    values.update(changes)
    return AmazonGateway(AmazonSettings(**values), secrets, clock, rng=random.Random(7))


def zero(sku: str) -> QuantityUpdate:
    return QuantityUpdate(sku, 0, US)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(seed_listings(), clock=clock) as emu:
        yield emu


@pytest.fixture
def gateway(emulator: Emulator, clock: ManualClock) -> Iterator[AmazonGateway]:
    with make_gateway(emulator.base_url, clock) as gw:
        yield gw


# --- listings ------------------------------------------------------------------------------


def test_merge_patch_sets_quantity_and_keeps_the_handling_time(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    result = gateway.patch_quantity(zero("SKU-01"))
    assert result.accepted
    assert result.submission_id
    assert emulator.quantity("SKU-01") == 0
    assert emulator.handling_days("SKU-01") == 4
    assert gateway.get_quantity("SKU-01") == 0
    patch = next(r for r in emulator.request_log if r.operation == "patchListingsItem")
    assert patch.body["patches"][0]["op"] == "merge"
    assert patch.query["marketplaceIds"] == [US]


def test_odd_sku_names_are_encoded_and_read_back(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    assert gateway.get_quantity(ODD_SKU) == 2
    gateway.patch_quantity(QuantityUpdate(ODD_SKU, 1, US))
    assert emulator.quantity(ODD_SKU) == 1
    assert emulator.handling_days(ODD_SKU) == 9
    assert gateway.get_quantity(ODD_SKU) == 1


def test_unknown_sku_reads_as_none(gateway: AmazonGateway) -> None:
    assert gateway.get_quantity("NO-SUCH-SKU") is None


def test_a_burst_of_patches_waits_for_tokens_instead_of_earning_429s(
    gateway: AmazonGateway, emulator: Emulator, clock: ManualClock
) -> None:
    for i in range(12):
        assert gateway.patch_quantity(zero(f"SKU-{i:02d}")).accepted
    assert all(emulator.quantity(f"SKU-{i:02d}") == 0 for i in range(12))
    assert emulator.throttled_by_operation() == {}
    assert emulator.requests_by_operation()["patchListingsItem"] == 12
    # 4 at once (burst 5 less one token of headroom), then 5 per second at most
    assert clock.monotonic() >= 8 / 5


def test_429_storm_and_500s_end_at_the_target_without_exceeding_the_limits(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    emulator.faults.throttle("patchListingsItem", 6)
    emulator.faults.fail("getListingsItem", 3, 500)
    for i in range(10):
        gateway.patch_quantity(zero(f"SKU-{i:02d}"))
    emulator.faults.fail("patchListingsItem", 2, 503)
    gateway.patch_quantity(zero("SKU-10"))
    assert [gateway.get_quantity(f"SKU-{i:02d}") for i in range(11)] == [0] * 11
    # every 429 was an injected one: the emulator's real buckets never refused a request
    assert emulator.throttled_by_operation() == {"patchListingsItem": 6}
    counts = emulator.requests_by_operation()
    assert counts["patchListingsItem"] == 11 + 6 + 2
    assert counts["getListingsItem"] == 11 + 3


def test_client_errors_are_not_retried(gateway: AmazonGateway, emulator: Emulator) -> None:
    emulator.faults.fail("patchListingsItem", 5, 400)
    with pytest.raises(AmazonRejected) as info:
        gateway.patch_quantity(zero("SKU-01"))
    assert "patchListingsItem SKU SKU-01: 400" in str(info.value)
    assert emulator.requests_by_operation()["patchListingsItem"] == 1


def test_retries_stop_at_max_retries(emulator: Emulator, clock: ManualClock) -> None:
    emulator.faults.throttle("getListingsItem", 100)
    with (
        make_gateway(emulator.base_url, clock, max_retries=3) as gw,
        pytest.raises(AmazonThrottled),
    ):
        gw.get_quantity("SKU-01")
    assert emulator.requests_by_operation()["getListingsItem"] == 4
    assert 1.0 <= clock.monotonic() <= 1 + 2 + 4 + 8  # jittered exponential backoff


def test_no_answer_at_all_is_unavailable_after_retries(clock: ManualClock) -> None:
    with Emulator(seed_listings(), clock=clock) as emu:
        base = emu.base_url
        with make_gateway(base, clock) as gw:
            assert gw.get_quantity("SKU-01") == 5  # logged in; the token is cached
    with make_gateway(base, clock, max_retries=2) as gw:
        with pytest.raises(AmazonUnavailable, match="no answer"):
            gw.get_quantity("SKU-01")
        assert gw.requests["getListingsItem"] == 3


# --- credentials ---------------------------------------------------------------------------


WRONG = Secrets(
    lwa_client_id="amzn1.application-oa2-client.wrong-client-id-123",
    lwa_client_secret="wrong-client-secret-456",
    refresh_token="Atzr|wrong-refresh-token-789",
)


@pytest.mark.parametrize(
    "secrets",
    [
        WRONG,
        Secrets(  # right id and refresh token, wrong secret: the token cache must not help
            lwa_client_id=EMULATOR_SECRETS.lwa_client_id,
            lwa_client_secret="wrong-client-secret-456",
            refresh_token=EMULATOR_SECRETS.refresh_token,
        ),
    ],
)
def test_wrong_credentials_give_a_clear_error_without_secrets(
    emulator: Emulator,
    clock: ManualClock,
    secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with make_gateway(emulator.base_url, clock) as right:
        right.get_quantity("SKU-01")  # the right token is now in the library's cache
    with (
        make_gateway(emulator.base_url, clock, secrets=secrets) as gw,
        pytest.raises(AmazonAuthError) as info,
    ):
        gw.patch_quantity(zero("SKU-01"))
    message = str(info.value)
    assert "Login with Amazon refused the credentials" in message
    assert "LWA_CLIENT_SECRET" in message
    everything = message + "\n" + caplog.text + repr(info.value.__cause__)
    for secret in (
        secrets.lwa_client_id,
        secrets.lwa_client_secret,
        secrets.refresh_token,
        EMULATOR_SECRETS.lwa_client_secret,
        EMULATOR_SECRETS.refresh_token,
    ):
        assert secret not in everything
    assert emulator.quantity("SKU-01") == 5
    # LWA answers a wrong client id or secret 401 invalid_client; it is never retried.
    assert "(401 invalid_client)" in message
    refused = [r for r in emulator.request_log if r.operation == "lwaToken" and r.status != 200]
    assert [r.status for r in refused] == [401]


# --- a bare 429 (no ``errors`` body): the library would return it as an empty success -------


class _BareThrottler(BaseHTTPRequestHandler):
    """LWA plus getListingsItem that answers 429 without a JSON body ``bare`` times."""

    bare: ClassVar[int] = 0
    seen: ClassVar[list[str]] = []

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = {"access_token": "Atza|bare", "token_type": "bearer", "expires_in": 3600}
        self._send(200, json.dumps(token).encode())

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        if type(self).bare > 0:
            type(self).bare -= 1
            body = b"" if type(self).bare % 2 else b"<html>Too Many Requests</html>"
            self._send(429, body, "text/html")
            return
        answer = {
            "sku": "S",
            "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": 3}],
        }
        self._send(200, json.dumps(answer).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bare_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BareThrottler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_429_without_an_errors_body_is_throttling_not_success(
    bare_server: str, clock: ManualClock
) -> None:
    _BareThrottler.bare, _BareThrottler.seen = 3, []
    with make_gateway(bare_server, clock, max_retries=3) as gw:
        assert gw.get_quantity("S") == 3
    assert len(_BareThrottler.seen) == 4
    _BareThrottler.bare, _BareThrottler.seen = 9, []
    with make_gateway(bare_server, clock, max_retries=2) as gw, pytest.raises(AmazonThrottled):
        gw.get_quantity("S")
    assert len(_BareThrottler.seen) == 3


def test_a_403_logs_in_again_once_then_is_an_auth_error(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    emulator.faults.fail("patchListingsItem", 1, 403)
    assert gateway.patch_quantity(zero("SKU-01")).accepted
    emulator.faults.fail("patchListingsItem", 2, 403)
    with pytest.raises(AmazonAuthError, match="patchListingsItem SKU SKU-02: 403"):
        gateway.patch_quantity(zero("SKU-02"))
    assert emulator.requests_by_operation()["patchListingsItem"] == 4
    assert emulator.requests_by_operation()["lwaToken"] == 3


# --- feeds ---------------------------------------------------------------------------------


def test_a_feed_result_is_read_once_without_waiting(
    gateway: AmazonGateway, emulator: Emulator, clock: ManualClock
) -> None:
    feed_id = gateway.submit_quantity_feed([zero("SKU-01"), zero("SKU-02")])
    started = clock.monotonic()

    assert gateway.feed_result_if_done(feed_id) is None  # still processing: no wait
    assert clock.monotonic() == started
    clock.advance(60)
    result = gateway.feed_result_if_done(feed_id)

    assert result is not None
    assert (result.status, result.messages_accepted) == ("DONE", 2)
    assert emulator.requests_by_operation()["getFeed"] == 2


def test_quantity_feed_maps_per_sku_errors_back_and_applies_the_rest(
    gateway: AmazonGateway, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.faults.feed_errors(["SKU-03", "SKU-07"])
    emulator.gzip_documents = True  # the report comes back GZIP-compressed
    feed_id = gateway.submit_quantity_feed([zero(f"SKU-{i:02d}") for i in range(10)])
    result = gateway.wait_for_feed(feed_id)
    assert result.status == "DONE"
    assert sorted(k for k in result.errors_by_key if result.failed(k)) == ["SKU-03", "SKU-07"]
    assert (result.messages_processed, result.messages_accepted) == (10, 8)
    for i in range(10):
        expected = 5 if i in (3, 7) else 0
        assert emulator.quantity(f"SKU-{i:02d}") == expected
        assert emulator.handling_days(f"SKU-{i:02d}") == 4
    upload = next(r for r in emulator.request_log if r.operation == "uploadDocument")
    assert upload.content_type == "application/json; charset=UTF-8"
    assert emulator.throttled_by_operation() == {}
    assert clock.monotonic() < 60  # polling backs off from 0.5 s, it does not sleep minutes


def test_feed_submission_survives_throttling_and_a_failed_upload(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    emulator.faults.throttle("createFeed", 2)
    emulator.faults.fail("uploadDocument", 1, 503)
    emulator.faults.fail("getFeed", 2, 500)
    feed_id = gateway.submit_quantity_feed([zero("SKU-01"), QuantityUpdate(ODD_SKU, 0, US)])
    result = gateway.wait_for_feed(feed_id)
    assert result.status == "DONE"
    assert not result.errors_by_key
    assert emulator.quantity("SKU-01") == 0
    assert emulator.quantity(ODD_SKU) == 0
    assert emulator.requests_by_operation()["createFeed"] == 3


def test_order_acknowledgement_errors_are_keyed_by_order_id(clock: ManualClock) -> None:
    seed = seed_listings(count=2)
    seed["orders"] = [
        {
            "order_id": "111-0000001-0000001",
            "items": [{"order_item_id": "10000000000001", "sku": "SKU-01", "quantity": 1}],
        }
    ]
    ack = (
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope><Header>'
        "<DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>A1STOCKGUARDEMU"
        "</MerchantIdentifier></Header><MessageType>OrderAcknowledgement</MessageType>"
        + "".join(
            f"<Message><MessageID>{n}</MessageID><OrderAcknowledgement><AmazonOrderID>{order}"
            "</AmazonOrderID><StatusCode>Failure</StatusCode><Item><AmazonOrderItemCode>"
            "10000000000001</AmazonOrderItemCode><CancelReason>NoInventory</CancelReason>"
            "</Item></OrderAcknowledgement></Message>"
            for n, order in ((1, "111-0000001-0000001"), (2, "999-9999999-9999999"))
        )
        + "</AmazonEnvelope>"
    ).encode()
    with Emulator(seed, clock=clock) as emu, make_gateway(emu.base_url, clock) as gw:
        result = gw.wait_for_feed(gw.submit_order_acknowledgements(ack))
        assert result.failed("999-9999999-9999999")
        assert not result.failed("111-0000001-0000001")
        assert emu.order("111-0000001-0000001").status == "Canceled"
        upload = next(r for r in emu.request_log if r.operation == "uploadDocument")
        assert upload.content_type == "text/xml; charset=UTF-8"
        with pytest.raises(TypeError, match="bytes"):
            gw.submit_order_acknowledgements(ack.decode())  # type: ignore[arg-type]


# --- orders and reports --------------------------------------------------------------------


def _orders_seed() -> dict[str, Any]:
    seed = seed_listings(count=3)
    seed["orders"] = [
        {
            "order_id": "111-0000001-0000001",
            "items": [
                {
                    "order_item_id": "10000000000001",
                    "sku": "SKU-01",
                    "quantity": 1,
                    "buyer_cancel_requested": True,
                    "buyer_cancel_reason": "Ordered by mistake",
                }
            ],
        },
        {
            "order_id": "111-0000002-0000002",
            "items": [{"order_item_id": "10000000000002", "sku": "SKU-02", "quantity": 2}],
        },
    ]
    return seed


def test_orders_v2026_and_v0_agree_on_buyer_requests(clock: ManualClock) -> None:
    with Emulator(_orders_seed(), clock=clock) as emu, make_gateway(emu.base_url, clock) as gw:
        since = clock.now() - timedelta(days=1)
        new = {o.order_id: o for o in gw.search_orders(since, version="2026-01-01")}
        old = {o.order_id: o for o in gw.search_orders(since, version="v0")}
        assert set(new) == set(old) == {"111-0000001-0000001", "111-0000002-0000002"}
        for orders in (new, old):
            asked, plain = orders["111-0000001-0000001"], orders["111-0000002-0000002"]
            assert asked.items[0].buyer_requested_cancel
            assert asked.items[0].buyer_cancel_reason == "Ordered by mistake"
            assert asked.cancel_requested_by is Party.BUYER
            assert not plain.items[0].buyer_requested_cancel  # v0 says "false"
            assert plain.items[0].quantity == 2
            assert plain.status is OrderStatus.UNSHIPPED
        one = gw.get_order("111-0000002-0000002")
        assert one is not None
        assert one.items[0].order_item_id == "10000000000002"
        assert gw.get_order("999-9999999-9999999") is None
        assert gw.get_order("999-9999999-9999999", version="v0") is None
        assert emu.throttled_by_operation() == {}


def test_search_orders_falls_back_to_v0_and_remembers(clock: ManualClock) -> None:
    with Emulator(_orders_seed(), clock=clock) as emu, make_gateway(emu.base_url, clock) as gw:
        # not authorised for v2026 (two 403s: the gateway logs in again once before giving up)
        emu.faults.fail("searchOrders", 2, 403)
        since = clock.now() - timedelta(days=1)
        assert len(gw.search_orders(since)) == 2
        assert len(gw.search_orders(since)) == 2
        counts = emu.requests_by_operation()
        assert counts["searchOrders"] == 2
        assert counts["getOrders"] == 2


def test_account_health_report(clock: ManualClock) -> None:
    with Emulator(_orders_seed(), clock=clock) as emu, make_gateway(emu.base_url, clock) as gw:
        emu.faults.fail("getReportDocument", 1, 500)
        report = gw.request_account_health()
        metrics = report["performanceMetrics"][0]
        assert metrics["marketplaceId"] == US
        assert "preFulfillmentCancellationRate" in metrics
        created = next(r for r in emu.request_log if r.operation == "createReport")
        assert created.body["reportType"] == "GET_V2_SELLER_PERFORMANCE_REPORT"
        assert created.body["marketplaceIds"] == [US]


def test_threads_share_the_gateway_without_exceeding_the_limits(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    errors: list[BaseException] = []

    def push(first: int) -> None:
        try:
            for i in range(first, 12, 4):
                gateway.patch_quantity(zero(f"SKU-{i:02d}"))
                assert gateway.get_quantity(f"SKU-{i:02d}") == 0
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(emulator.quantity(f"SKU-{i:02d}") == 0 for i in range(12))
    assert emulator.throttled_by_operation() == {}
    assert gateway.requests["patchListingsItem"] == 12


def test_library_environment_variables_cannot_redirect_the_gateway(
    emulator: Emulator, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_API_DEFAULT_MARKETPLACE", "JP")
    with make_gateway(emulator.base_url, clock) as gw:
        assert gw.get_quantity("SKU-01") == 5
        gw.search_orders(clock.now(), version="v0")
    v0 = next(r for r in emulator.request_log if r.operation == "getOrders")
    assert v0.query["MarketplaceIds"] == [US]
