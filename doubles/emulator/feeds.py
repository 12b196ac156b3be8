"""Feeds API 2021-06-30 and the documents behind its presigned URLs.

A feed is IN_QUEUE for the first quarter of its processing time, IN_PROGRESS until the time
is up, then DONE (or FATAL) once processed; time is the injected clock, so a test moves a
feed along by advancing a ManualClock. Processing happens lazily, at the first request or
inspection after the feed is due, and is stamped with the time it was due.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from typing import Any

from stockguard.doubles.emulator import job_query
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.listings_feed import process_listings_feed
from stockguard.doubles.emulator.order_ack import process_ack_feed
from stockguard.doubles.emulator.order_query import OutOfRegion, QueryError
from stockguard.doubles.emulator.regions import refusal
from stockguard.doubles.emulator.state import DocumentState, FeedState
from stockguard.doubles.emulator.wire import (
    UNAUTHORIZED,
    Request,
    Response,
    error,
    invalid_input,
    iso,
    ok,
)

LISTINGS_FEED = "JSON_LISTINGS_FEED"
ACK_FEED = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
# Listings feeds removed on 2025-07-31: accepted by createFeed, then FATAL.
LEGACY_FEEDS = frozenset(
    {
        "POST_INVENTORY_AVAILABILITY_DATA",
        "POST_FLAT_FILE_PRICEANDQUANTITYONLY_UPDATE_DATA",
        "POST_PRODUCT_DATA",
        "POST_PRODUCT_PRICING_DATA",
        "POST_PRODUCT_RELATIONSHIP_DATA",
        "POST_PRODUCT_IMAGE_DATA",
        "POST_PRODUCT_OVERRIDES_DATA",
        "POST_FLAT_FILE_LISTINGS_DATA",
        "POST_FLAT_FILE_INVLOADER_DATA",
        "POST_FLAT_FILE_BOOKLOADER_DATA",
        "POST_FLAT_FILE_CONVERGENCE_LISTINGS_DATA",
        "POST_FLAT_FILE_PRICEANDQUANTITYONLY_DATA",
    }
)
QUEUE_SHARE = 0.25
JSON_TYPE = "application/json; charset=UTF-8"
XML_TYPE = "text/xml; charset=UTF-8"
TERMINAL = ("DONE", "FATAL", "CANCELLED")


def new_document(
    ctx: EmulatorContext, content_type: str, content: bytes | None = None
) -> DocumentState:
    """Store a document under a fresh id (amzn1.tortuga-like)."""
    doc = DocumentState(f"amzn1.tortuga.4.na.{ctx.state.next_id():08d}.emu", content_type)
    if content is not None:
        if ctx.gzip_documents:
            content, doc.compression = gzip.compress(content), "GZIP"
        doc.content = content
    ctx.state.documents[doc.doc_id] = doc
    return doc


def create_feed_document(ctx: EmulatorContext, req: Request) -> Response:
    """POST /feeds/2021-06-30/documents {contentType} -> 201 {feedDocumentId, url}."""
    body = _json_object(req)
    if isinstance(body, Response):
        return body
    content_type = body.get("contentType")
    if not isinstance(content_type, str) or not content_type:
        return invalid_input("'contentType' is required.")
    doc = new_document(ctx, content_type)
    return ok({"feedDocumentId": doc.doc_id, "url": ctx.doc_url(doc.doc_id)}, 201)


def create_feed(ctx: EmulatorContext, req: Request) -> Response:
    """POST /feeds/2021-06-30/feeds -> 202 {feedId}."""
    body = _json_object(req)
    if isinstance(body, Response):
        return body
    feed_type, doc_id = body.get("feedType"), body.get("inputFeedDocumentId")
    marketplace_ids = body.get("marketplaceIds")
    if not isinstance(feed_type, str) or not isinstance(doc_id, str):
        return invalid_input("'feedType' and 'inputFeedDocumentId' are required.")
    if (
        not isinstance(marketplace_ids, list)
        or not 1 <= len(marketplace_ids) <= 25
        or not all(isinstance(m, str) for m in marketplace_ids)
    ):
        return invalid_input("'marketplaceIds' must list 1 to 25 marketplace ids.")
    refused = refusal(ctx.state.region, marketplace_ids)
    if refused:
        return refused
    if feed_type not in (LISTINGS_FEED, ACK_FEED) and feed_type not in LEGACY_FEEDS:
        return invalid_input(f"Invalid feed type: {feed_type}.")
    if doc_id not in ctx.state.documents:
        return invalid_input(f"Invalid inputFeedDocumentId: {doc_id}.")
    if ctx.limiter is not None and not ctx.limiter.allow("feedType:" + feed_type):
        return error(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
    now = ctx.clock.now()
    feed = FeedState(
        feed_id=f"{50_000_000_000 + ctx.state.next_id()}",
        feed_type=feed_type,
        marketplace_ids=list(marketplace_ids),
        input_doc_id=doc_id,
        created_at=now,
        due_seconds=ctx.feed_processing_seconds + ctx.faults.extra_feed_seconds,
    )
    ctx.state.feeds[feed.feed_id] = feed
    return ok({"feedId": feed.feed_id}, 202)


def get_feed(ctx: EmulatorContext, req: Request) -> Response:
    """GET /feeds/2021-06-30/feeds/{feedId}."""
    feed = ctx.state.feeds.get(req.params["feedId"])
    if feed is None:
        return error(404, "NotFound", f"Feed {req.params['feedId']} not found.")
    return ok(feed_body(feed))


def get_feeds(ctx: EmulatorContext, req: Request) -> Response:
    """GET /feeds/2021-06-30/feeds: the feeds matching the filter, newest first, paged."""
    try:
        flt = job_query.parse(req, "feedTypes", ctx.state.region, ctx.clock.now())
    except OutOfRegion as exc:
        return error(403, *UNAUTHORIZED, str(exc))
    except QueryError as exc:
        return invalid_input(str(exc))
    jobs = [
        job_query.Job(f.feed_id, f.feed_type, f.status, f.marketplace_ids, f.created_at)
        for f in ctx.state.feeds.values()
    ]
    page, token = job_query.run(jobs, flt)
    body: dict[str, Any] = {"feeds": [feed_body(ctx.state.feeds[j.job_id]) for j in page]}
    if token:
        body["nextToken"] = token
    return ok(body)


def feed_body(feed: FeedState) -> dict[str, Any]:
    """A ``Feed`` object."""
    body: dict[str, Any] = {
        "feedId": feed.feed_id,
        "feedType": feed.feed_type,
        "marketplaceIds": feed.marketplace_ids,
        "createdTime": iso(feed.created_at),
        "processingStatus": feed.status,
    }
    if feed.started_at:
        body["processingStartTime"] = iso(feed.started_at)
    if feed.done_at:
        body["processingEndTime"] = iso(feed.done_at)
    if feed.result_doc_id:
        body["resultFeedDocumentId"] = feed.result_doc_id
    return body


def cancel_feed(ctx: EmulatorContext, req: Request) -> Response:
    """DELETE /feeds/2021-06-30/feeds/{feedId}: only while IN_QUEUE."""
    feed = ctx.state.feeds.get(req.params["feedId"])
    if feed is None:
        return error(404, "NotFound", f"Feed {req.params['feedId']} not found.")
    if feed.status != "IN_QUEUE":
        return invalid_input(
            f"The feed cannot be cancelled: its processingStatus is {feed.status}."
        )
    feed.status = "CANCELLED"
    feed.done_at = ctx.clock.now()
    return Response(200)


def get_feed_document(ctx: EmulatorContext, req: Request) -> Response:
    """GET /feeds/2021-06-30/documents/{feedDocumentId} -> {feedDocumentId, url, compression?}."""
    doc = ctx.state.documents.get(req.params["feedDocumentId"])
    if doc is None:
        return error(404, "NotFound", f"Feed document {req.params['feedDocumentId']} not found.")
    body = {"feedDocumentId": doc.doc_id, "url": ctx.doc_url(doc.doc_id)}
    if doc.compression:
        body["compressionAlgorithm"] = doc.compression
    return ok(body)


def process_due(ctx: EmulatorContext, upto: datetime) -> None:
    """Move every unfinished feed along to ``upto``; process those whose time has come."""
    pending = [f for f in ctx.state.feeds.values() if f.status not in TERMINAL]
    for feed in sorted(pending, key=lambda f: f.created_at + timedelta(seconds=f.due_seconds)):
        start = feed.created_at + timedelta(seconds=feed.due_seconds * QUEUE_SHARE)
        due = feed.created_at + timedelta(seconds=feed.due_seconds)
        if upto >= start and feed.started_at is None:
            feed.status, feed.started_at = "IN_PROGRESS", start
        if upto >= due:
            _finish(ctx, feed, due)


def _finish(ctx: EmulatorContext, feed: FeedState, at: datetime) -> None:
    content = ctx.state.documents[feed.input_doc_id].content
    if feed.feed_type == LISTINGS_FEED:
        status, report = process_listings_feed(ctx, feed, content, at)
        result = new_document(ctx, JSON_TYPE, json.dumps(report).encode("utf-8"))
    elif feed.feed_type == ACK_FEED:
        status = "DONE"
        result = new_document(ctx, XML_TYPE, process_ack_feed(ctx, feed.feed_id, content, at))
    else:
        status = "FATAL"
        text = f"Feed type {feed.feed_type} is no longer supported; use JSON_LISTINGS_FEED."
        result = new_document(ctx, "text/plain; charset=UTF-8", text.encode("utf-8"))
    feed.status, feed.done_at, feed.result_doc_id = status, at, result.doc_id
    feed.started_at = feed.started_at or at


def _json_object(req: Request) -> dict[str, Any] | Response:
    try:
        body = req.json()
    except ValueError:
        return invalid_input("The request body is not valid JSON.")
    if not isinstance(body, dict):
        return invalid_input("The request body must be a JSON object.")
    return body
