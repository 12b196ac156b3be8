"""The All Listings Report end to end: the emulator makes it, the real client reads it over HTTP.

The gateway and the emulator share a ManualClock, so the report's processing time and the
polling waits cost no real time, and "no request beyond the usage plans" is exact.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import ManualClock
from stockguard.core.domain import QuantityUpdate
from stockguard.core.errors import InputError
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.all_listings import COLUMNS
from stockguard.doubles.emulator.credentials import EMULATOR_SELLER_ID
from tests.amazon.test_emulator import call
from tests.amazon.test_gateway import US, make_gateway

CA = "A2EUQ1WTGCTBG2"
LISTINGS_REPORT = "GET_MERCHANT_LISTINGS_ALL_DATA"
REPORTS = "/reports/2021-06-30"


def seed() -> dict[str, Any]:
    """MFN listings live and at 0, one FBA, an odd SKU, and one SKU in both US and CA."""
    listings: list[dict[str, Any]] = [
        {"sku": "LIVE-1", "quantity": 5, "price": "19.99", "asin": "B000000001"},
        {"sku": "LIVE-2", "quantity": 1, "item_name": "Tab\tand\nnewline"},
        {"sku": "ZERO-1", "quantity": 0},
        {"sku": "FBA-1", "fulfillment_channel": "AMAZON_NA", "asin": "B000000009"},
        {"sku": "ボール ペン/7", "quantity": 2},
        {"sku": "BOTH", "quantity": 3, "price": "10.00"},
        {"sku": "BOTH", "marketplace": "CA", "price": "13.50"},  # one quantity, its own offer
        {"sku": "CA-ONLY", "quantity": 0, "marketplace": "CA"},
    ]
    return {"seller_id": EMULATOR_SELLER_ID, "listings": listings}


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(seed(), clock=clock, feed_processing_seconds=30.0) as emu:
        yield emu


@pytest.fixture
def gateway(emulator: Emulator, clock: ManualClock) -> Iterator[AmazonGateway]:
    with make_gateway(emulator.base_url, clock) as gw:
        yield gw


def test_read_quantities_returns_exactly_the_merchant_fulfilled_listings(
    gateway: AmazonGateway, emulator: Emulator, clock: ManualClock
) -> None:
    started = clock.now()
    read = gateway.read_quantities(US)
    assert read.quantities == {"LIVE-1": 5, "LIVE-2": 1, "ZERO-1": 0, "ボール ペン/7": 2, "BOTH": 3}
    assert read.inactive == {"ZERO-1"}
    assert (read.fba_rows, read.blank_rows, read.skipped) == (1, 0, ())
    assert read.marketplace_id == US
    assert read.report_id
    assert read.as_of == started  # the report's createdTime
    assert emulator.throttled_by_operation() == {}
    calls = emulator.requests_by_operation()
    assert (calls["createReport"], calls["getReportDocument"], calls["downloadDocument"]) == (
        1,
        1,
        1,
    )


def test_the_same_sku_in_two_marketplaces_shares_one_quantity_and_keeps_its_offers(
    gateway: AmazonGateway, emulator: Emulator, clock: ManualClock
) -> None:
    assert gateway.read_quantities(CA).quantities == {"BOTH": 3, "CA-ONLY": 0}
    assert emulator.quantity("BOTH") == emulator.quantity("BOTH", CA) == 3
    assert gateway.get_quantity("BOTH", marketplace_id=CA) == 3
    assert gateway.get_quantity("CA-ONLY") is None  # not listed in the US
    assert gateway.patch_quantity(QuantityUpdate("BOTH", 0, CA)).accepted
    assert gateway.read_quantities(CA).quantities["BOTH"] == 0
    assert gateway.read_quantities(US).quantities["BOTH"] == 0  # one pool: zeroed in both
    assert gateway.get_quantity("BOTH", marketplace_id=US) == 0
    emulator.add_order("BOTH", marketplace="CA", decrement=False)
    assert [q for _, q, _ in emulator.quantity_history("BOTH")] == [3, 0]
    prices = {mid: _report_row(emulator, clock, mid, "BOTH")["price"] for mid in (US, CA)}
    assert prices == {US: "10.00", CA: "13.50"}  # the offer stays per marketplace


def _report_row(
    emulator: Emulator, clock: ManualClock, marketplace_id: str, sku: str
) -> dict[str, str]:
    status, text = _report_text(emulator, clock, [marketplace_id])
    assert status == "DONE"
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in text.split("\n")[1:-1]]
    return next(r for r in rows if r["seller-sku"] == sku)


def test_the_report_follows_quantity_changes_and_gzip(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    emulator.set_quantity("ZERO-1", 4)
    emulator.add_order("LIVE-2")  # the last unit sells: 0
    emulator.gzip_documents = True
    read = gateway.read_quantities(US)
    assert read.quantities["ZERO-1"] == 4
    assert read.quantities["LIVE-2"] == 0
    assert read.inactive == {"LIVE-2"}


def test_reports_back_to_back_wait_for_the_create_report_plan(
    gateway: AmazonGateway, emulator: Emulator
) -> None:
    """createReport and getReportDocument allow 1 a minute after a burst of 15."""
    for _ in range(17):
        assert gateway.read_quantities(US).quantities["LIVE-1"] == 5
    assert emulator.throttled_by_operation() == {}
    assert emulator.requests_by_operation()["createReport"] == 17


def _report_text(
    emulator: Emulator, clock: ManualClock, marketplace_ids: list[str]
) -> tuple[str, str]:
    """Drive the report flow over raw HTTP: (final status, document text)."""
    body = {"reportType": LISTINGS_REPORT, "marketplaceIds": marketplace_ids}
    created = call(emulator, "POST", REPORTS + "/reports", json=body)
    assert created.status_code == 202
    report_path = f"{REPORTS}/reports/{created.json()['reportId']}"
    seen = []
    for _ in range(3):  # processing takes 30 s: queued for the first quarter
        seen.append(call(emulator, "GET", report_path).json()["processingStatus"])
        clock.advance(10)
    final = call(emulator, "GET", report_path).json()
    assert seen == ["IN_QUEUE", "IN_PROGRESS", "IN_PROGRESS"]
    if final["processingStatus"] != "DONE":
        return final["processingStatus"], ""
    doc_path = f"{REPORTS}/documents/{final['reportDocumentId']}"
    info = call(emulator, "GET", doc_path).json()
    data = httpx.get(info["url"]).content
    if info.get("compressionAlgorithm") == "GZIP":
        data = gzip.decompress(data)
    return "DONE", data.decode("utf-8")


def test_the_document_is_tab_delimited_with_amazons_columns(
    emulator: Emulator, clock: ManualClock
) -> None:
    emulator.gzip_documents = True
    status, text = _report_text(emulator, clock, [US])
    assert status == "DONE"
    lines = text.split("\n")
    assert lines[0].split("\t") == list(COLUMNS)
    assert lines[-1] == ""
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines[1:-1]]
    by_sku = {r["seller-sku"]: r for r in rows}
    assert set(by_sku) == {"LIVE-1", "LIVE-2", "ZERO-1", "FBA-1", "ボール ペン/7", "BOTH"}
    assert by_sku["LIVE-1"]["price"] == "19.99"
    assert by_sku["LIVE-1"]["asin1"] == "B000000001"
    assert (by_sku["LIVE-1"]["fulfillment-channel"], by_sku["LIVE-1"]["status"]) == (
        "DEFAULT",
        "Active",
    )
    assert (by_sku["ZERO-1"]["quantity"], by_sku["ZERO-1"]["status"]) == ("0", "Inactive")
    fba = by_sku["FBA-1"]
    assert (fba["quantity"], fba["fulfillment-channel"], fba["status"]) == (
        "",
        "AMAZON_NA",
        "Active",
    )
    assert by_sku["LIVE-2"]["item-name"] == "Tab and newline"
    assert by_sku["LIVE-1"]["open-date"].endswith(" PST")


def test_more_than_one_marketplace_ends_fatal(emulator: Emulator, clock: ManualClock) -> None:
    assert _report_text(emulator, clock, [US, CA])[0] == "FATAL"


@pytest.mark.parametrize(
    ("listing", "key"),
    [
        ({"sku": "A", "fulfillment_channel": "AMAZON_NA", "quantity": 1}, "listings[0].quantity"),
        ({"sku": "A", "fulfillment_channel": "FBA"}, "listings[0].fulfillment_channel"),
        ({"sku": "A", "price": "cheap"}, "listings[0].price"),
        ({"sku": "A", "price": -1}, "listings[0].price"),
    ],
)
def test_bad_listing_seeds_name_the_key(listing: dict[str, Any], key: str) -> None:
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        Emulator({"listings": [listing]})
