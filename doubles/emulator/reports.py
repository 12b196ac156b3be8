"""Reports API 2021-06-30: GET_V2_SELLER_PERFORMANCE_REPORT (account health, JSON) and
GET_MERCHANT_LISTINGS_ALL_DATA (all listings of one marketplace, tab-delimited; all_listings.py).

A report is IN_QUEUE for the first quarter of the processing time, IN_PROGRESS until it is up,
then DONE with a ``reportDocumentId`` (the document is made then, from the state at that
moment). The listings report takes exactly one marketplace id; with more it ends FATAL.

``preFulfillmentCancellationRate`` is computed from the emulator's own order book over the
last 7 days: seller-fulfilled orders that were not Pending, cancelled by the MERCHANT or by
AMAZON (auto-cancel), excluding orders the buyer asked to cancel through Amazon. ``rate`` and
``targetValue`` are fractions (target 0.025 unless the seed overrides it). Other report types
are accepted and end FATAL: the emulator only makes these two.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from stockguard.doubles.emulator import all_listings, job_query
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.feeds import JSON_TYPE, QUEUE_SHARE, new_document
from stockguard.doubles.emulator.order_query import OutOfRegion, QueryError
from stockguard.doubles.emulator.regions import refusal
from stockguard.doubles.emulator.state import ReportState
from stockguard.doubles.emulator.wire import (
    UNAUTHORIZED,
    Request,
    Response,
    error,
    invalid_input,
    iso,
    ok,
)

PERFORMANCE_REPORT = "GET_V2_SELLER_PERFORMANCE_REPORT"
TARGET = 0.025
WINDOW = timedelta(days=7)
_ZERO_VIOLATION_KEYS = (
    "listingPolicyViolations",
    "productAuthenticityCustomerComplaints",
    "productConditionCustomerComplaints",
    "productSafetyCustomerComplaints",
    "receivedIntellectualPropertyComplaints",
    "restrictedProductPolicyViolations",
    "suspectedIntellectualPropertyViolations",
    "foodAndProductSafetyIssues",
    "otherPolicyViolations",
    "documentRequests",
)


def create_report(ctx: EmulatorContext, req: Request) -> Response:
    """POST /reports/2021-06-30/reports -> 202 {reportId}."""
    try:
        body = req.json()
    except ValueError:
        return invalid_input("The request body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("reportType"), str):
        return invalid_input("'reportType' is required.")
    marketplace_ids = body.get("marketplaceIds")
    if not isinstance(marketplace_ids, list) or not marketplace_ids:
        return invalid_input("'marketplaceIds' is required.")
    refused = refusal(ctx.state.region, [str(m) for m in marketplace_ids])
    if refused:
        return refused
    report = ReportState(
        report_id=f"{90_000_000_000 + ctx.state.next_id()}",
        report_type=body["reportType"],
        marketplace_ids=[str(m) for m in marketplace_ids],
        created_at=ctx.clock.now(),
        status="IN_QUEUE",
    )
    ctx.state.reports[report.report_id] = report
    return ok({"reportId": report.report_id}, 202)


def get_report(ctx: EmulatorContext, req: Request) -> Response:
    """GET /reports/2021-06-30/reports/{reportId}; done after the feed processing time."""
    report = ctx.state.reports.get(req.params["reportId"])
    if report is None:
        return error(404, "NotFound", f"Report {req.params['reportId']} not found.")
    return ok(report_body(ctx, report))


def get_reports(ctx: EmulatorContext, req: Request) -> Response:
    """GET /reports/2021-06-30/reports: the reports matching the filter, newest first, paged."""
    try:
        flt = job_query.parse(req, "reportTypes", ctx.state.region, ctx.clock.now())
    except OutOfRegion as exc:
        return error(403, *UNAUTHORIZED, str(exc))
    except QueryError as exc:
        return invalid_input(str(exc))
    for report in ctx.state.reports.values():
        _advance(ctx, report)
    jobs = [
        job_query.Job(r.report_id, r.report_type, r.status, r.marketplace_ids, r.created_at)
        for r in ctx.state.reports.values()
    ]
    page, token = job_query.run(jobs, flt)
    body: dict[str, Any] = {
        "reports": [report_body(ctx, ctx.state.reports[j.job_id]) for j in page]
    }
    if token:
        body["nextToken"] = token
    return ok(body)


def _advance(ctx: EmulatorContext, report: ReportState) -> tuple[datetime, datetime]:
    """Move the report along the clock; (processing start, processing end)."""
    processing = timedelta(seconds=ctx.feed_processing_seconds)
    started, due = report.created_at + processing * QUEUE_SHARE, report.created_at + processing
    now = ctx.clock.now()
    if report.status in ("IN_QUEUE", "IN_PROGRESS") and now >= due:
        _finish(ctx, report, due)
    elif report.status == "IN_QUEUE" and now >= started:
        report.status = "IN_PROGRESS"
    return started, due


def report_body(ctx: EmulatorContext, report: ReportState) -> dict[str, Any]:
    """A ``Report`` object, its status brought up to the clock first."""
    started, due = _advance(ctx, report)
    body: dict[str, Any] = {
        "reportId": report.report_id,
        "reportType": report.report_type,
        "marketplaceIds": report.marketplace_ids,
        "createdTime": iso(report.created_at),
        "processingStatus": report.status,
    }
    if report.status != "IN_QUEUE":
        body["processingStartTime"] = iso(started)
    if report.status in ("DONE", "FATAL"):
        body["processingEndTime"] = iso(due)
    if report.doc_id:
        body["reportDocumentId"] = report.doc_id
    return body


def _finish(ctx: EmulatorContext, report: ReportState, at: datetime) -> None:
    if report.report_type == PERFORMANCE_REPORT:
        content = json.dumps(account_health(ctx, report.marketplace_ids, at)).encode("utf-8")
        content_type = JSON_TYPE
    elif report.report_type == all_listings.REPORT_TYPE and len(report.marketplace_ids) == 1:
        content = all_listings.document(ctx.state, report.marketplace_ids[0])
        content_type = all_listings.CONTENT_TYPE
    else:
        report.status = "FATAL"
        return
    report.doc_id = new_document(ctx, content_type, content).doc_id
    report.status = "DONE"


def get_report_document(ctx: EmulatorContext, req: Request) -> Response:
    """GET /reports/2021-06-30/documents/{reportDocumentId} -> {reportDocumentId, url}."""
    doc = ctx.state.documents.get(req.params["reportDocumentId"])
    if doc is None:
        return error(404, "NotFound", f"Document {req.params['reportDocumentId']} not found.")
    body = {"reportDocumentId": doc.doc_id, "url": ctx.doc_url(doc.doc_id)}
    if doc.compression:
        body["compressionAlgorithm"] = doc.compression
    return ok(body)


def cancellation_counts(
    ctx: EmulatorContext, marketplace_id: str, now: datetime
) -> tuple[int, int]:
    """(orderCount, cancellationCount) of seller-fulfilled orders over the last 7 days."""
    orders = cancelled = 0
    for order in ctx.state.orders.values():
        if (
            order.marketplace_id != marketplace_id
            or order.fulfillment_channel != "MFN"
            or not now - WINDOW <= order.purchase_date <= now
            or order.status in ("Pending", "PendingAvailability")
        ):
            continue
        orders += 1
        if (
            order.status == "Canceled"
            and order.cancelled_by in ("MERCHANT", "AMAZON")
            and not order.buyer_cancel_requested
        ):
            cancelled += 1
    return orders, cancelled


def account_health(
    ctx: EmulatorContext, marketplace_ids: list[str], now: datetime
) -> dict[str, Any]:
    """The report body (accountHealthReport-2020-11-18), or the seed's verbatim report."""
    override = ctx.state.account_health or {}
    if "report" in override:
        return copy.deepcopy(override["report"])
    target = float(override.get("target_value", TARGET))
    window = {"reportingDateFrom": iso(now - WINDOW), "reportingDateTo": iso(now)}
    metrics = []
    for marketplace_id in marketplace_ids:
        orders, cancelled = cancellation_counts(ctx, marketplace_id, now)
        rate = cancelled / orders if orders else 0.0
        metric = _zero_metrics(marketplace_id, window)
        metric["preFulfillmentCancellationRate"] = {
            "reportingDateRange": window,
            "orderCount": orders,
            "cancellationCount": cancelled,
            "status": "NONE" if not orders else ("GOOD" if rate < target else "BAD"),
            "rate": rate,
            "targetValue": target,
            "targetCondition": "LESS_THAN",
        }
        metrics.append(metric)
    status = override.get("account_status", "NORMAL")
    return {
        "accountStatuses": [{"marketplaceId": m, "status": status} for m in marketplace_ids],
        "performanceMetrics": metrics,
    }


def _rate(window: dict[str, Any], target: float, condition: str, **counts: Any) -> dict[str, Any]:
    return {
        "reportingDateRange": window,
        **counts,
        "status": "NONE",
        "rate": 0.0,
        "targetValue": target,
        "targetCondition": condition,
    }


def _zero_metrics(marketplace_id: str, window: dict[str, Any]) -> dict[str, Any]:
    """Every other required metric, empty (the emulator does not model them)."""
    none = {"count": 0, "status": "NONE"}
    odr = _rate(
        window,
        0.01,
        "LESS_THAN",
        orderCount=0,
        orderWithDefects=none,
        claims=none,
        chargebacks=none,
        negativeFeedback=none,
        fulfillmentType="MFN",
    )
    metric: dict[str, Any] = {
        "marketplaceId": marketplace_id,
        "invoiceDefectRate": _rate(
            window,
            0.05,
            "LESS_THAN",
            orderCount=0,
            invoiceDefect=none,
            missingInvoice=none,
            lateInvoice=none,
        ),
        "lateShipmentRate": _rate(window, 0.04, "LESS_THAN", orderCount=0, lateShipmentCount=0),
        "orderDefectRate": {"mfn": odr, "afn": {**odr, "fulfillmentType": "AFN"}},
        "onTimeDeliveryRate": _rate(
            window, 0.9, "GREATER_THAN", shipmentCountWithValidTracking=0, onTimeDeliveryCount=0
        ),
        "unitOnTimeDeliveryRate": _rate(
            window, 0.9, "GREATER_THAN", unitOnTimeDeliveryCount=0, totalUnitCount=0
        ),
        "validTrackingRate": _rate(
            window, 0.95, "GREATER_THAN", shipmentCount=0, validTrackingCount=0
        ),
        "warningStates": [],
        "accountHealthRating": {
            "ahrStatus": "GREAT",
            "accountHealthRatingStatus": "GREAT",
            "reportingDateRange": window,
        },
    }
    for key in _ZERO_VIOLATION_KEYS:
        metric[key] = {
            "reportingDateRange": window,
            "defectsCount": 0,
            "status": "NONE",
            "targetValue": 0,
            "targetCondition": "EQUALS",
        }
    return metric
