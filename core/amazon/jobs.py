"""Amazon's asynchronous jobs: feeds (create document, upload, create feed, poll, read the
processing report) and reports (create, poll, download).

Every SP-API request goes through the gateway's Caller (rate limit, retries, translation);
the presigned-URL legs go through ``DocumentClient`` under the same Caller, so a failed upload
or download is retried like any other transient failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from stockguard.core.amazon import feeds_doc, listings_report
from stockguard.core.amazon.caller import Caller, must
from stockguard.core.amazon.documents import DocumentClient
from stockguard.core.amazon.listings_report import ListingQuantities
from stockguard.core.amazon.results import FeedResult
from stockguard.core.clock import Clock
from stockguard.core.config import AmazonSettings
from stockguard.core.errors import AmazonError, AmazonRejected, AmazonUnavailable

log = logging.getLogger(__name__)

FINISHED = ("DONE", "FATAL", "CANCELLED")
QUANTITY_FEED = "JSON_LISTINGS_FEED"
ACK_FEED = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
HEALTH_REPORT = "GET_V2_SELLER_PERFORMANCE_REPORT"
LISTINGS_REPORT = "GET_MERCHANT_LISTINGS_ALL_DATA"
JAPAN = "A1VC38T7YXB528"  # its reports are Shift_JIS (Cp932), the others windows-1252 or UTF-8


class JobRunner:
    """Runs feed and report jobs for the gateway; remembers how each feed's messages are keyed."""

    def __init__(
        self, call: Caller, documents: DocumentClient, settings: AmazonSettings, clock: Clock
    ) -> None:
        self._call = call
        self._documents = documents
        self._settings = settings
        self._clock = clock
        self._feed_keys: dict[str, Mapping[int, str]] = {}

    def submit_feed(
        self,
        client: Any,
        feed_type: str,
        data: bytes,
        content_type: str,
        target: str,
        keys: Mapping[int, str],
    ) -> str:
        """createFeedDocument -> PUT the bytes (same Content-Type) -> createFeed; the feed id.

        ``keys``: messageId -> SKU or AmazonOrderID, for reading the processing report.
        """
        created = must(
            self._call,
            "createFeedDocument",
            partial(client.create_feed_document, None, content_type),
        ).payload
        url, document_id = created["url"], created["feedDocumentId"]
        upload = partial(self._documents.upload, url, data, content_type, f"{feed_type} document")
        self._call("uploadFeedDocument", upload)  # answers nothing; raises when it fails
        feed = must(
            self._call,
            "createFeed",
            partial(client.create_feed, feed_type, document_id, marketplaceIds=[target]),
            feed_type,
        )
        feed_id = str(feed.payload["feedId"])
        self._feed_keys[feed_id] = keys
        log.info("submitted %s feed %s (%d bytes)", feed_type, feed_id, len(data))
        return feed_id

    def feed_result(self, client: Any, feed_id: str) -> FeedResult:
        """Poll the feed to its end and read its processing report, keyed by SKU or order.

        A feed this runner did not submit (another process did) has no messageId map: its
        issues are keyed by the SKU or order the report names, else ``feeds_doc.FEED_LEVEL``.
        """
        feed = self.poll("getFeed", partial(client.get_feed, feed_id), f"feed {feed_id}")
        return self._read_report(client, feed_id, feed)

    def feed_result_if_done(self, client: Any, feed_id: str) -> FeedResult | None:
        """One getFeed: None while the feed is still processing, else its result (report read)."""
        subject = f"feed {feed_id}"
        feed = must(self._call, "getFeed", partial(client.get_feed, feed_id), subject).payload
        if (feed or {}).get("processingStatus") not in FINISHED:
            return None
        return self._read_report(client, feed_id, feed)

    def _read_report(self, client: Any, feed_id: str, feed: Mapping[str, Any]) -> FeedResult:
        keys = self._feed_keys.get(feed_id, {})
        subject = f"feed {feed_id}"
        status = str(feed.get("processingStatus"))
        document_id = feed.get("resultFeedDocumentId")
        if not document_id:
            return FeedResult(feed_id=feed_id, status=status)
        send = partial(client.get_feed_document_info, str(document_id))
        info = must(self._call, "getFeedDocument", send, subject).payload
        data = self._download("downloadFeedDocument", info, f"{subject} report")
        if feed.get("feedType") == ACK_FEED or data.lstrip()[:1] == b"<":
            return feeds_doc.parse_xml_report(feed_id, status, data, keys)
        return feeds_doc.parse_json_report(feed_id, status, data.decode("utf-8"), keys)

    def account_health(self, client: Any, marketplace_id: str) -> dict[str, Any]:
        """GET_V2_SELLER_PERFORMANCE_REPORT: create, poll, download, parse."""
        report, data = self.report(client, HEALTH_REPORT, marketplace_id)
        subject = f"report {report['reportId']}"
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AmazonError(f"{subject}: document is not JSON ({exc})") from None
        if not isinstance(parsed, dict):
            raise AmazonError(f"{subject}: document is not a JSON object")
        return parsed

    def listing_quantities(self, client: Any, marketplace_id: str) -> ListingQuantities:
        """GET_MERCHANT_LISTINGS_ALL_DATA for one marketplace: every MFN SKU's quantity."""
        report, data = self.report(client, LISTINGS_REPORT, marketplace_id)
        report_id = str(report["reportId"])
        fallback = "cp932" if marketplace_id == JAPAN else "cp1252"
        parsed = listings_report.parse(data, f"report {report_id}", fallback)
        log.info(
            "report %s (%s): %d MFN quantities, %d FBA rows, %d blank, %d skipped",
            report_id,
            marketplace_id,
            len(parsed.quantities),
            parsed.fba_rows,
            parsed.blank_rows,
            len(parsed.skipped),
        )
        for problem in parsed.skipped[:20]:  # each names its line; the count says the rest
            log.warning("%s", problem)
        return replace(
            parsed,
            marketplace_id=marketplace_id,
            report_id=report_id,
            as_of=_time(report.get("createdTime")),
        )

    def report(
        self, client: Any, report_type: str, marketplace_id: str
    ) -> tuple[dict[str, Any], bytes]:
        """createReport -> poll getReport to its end -> getReportDocument -> download.

        (the final getReport answer, the document's bytes, gunzipped); AmazonRejected when the
        report ends FATAL or CANCELLED.
        """
        create = partial(
            client.create_report, reportType=report_type, marketplaceIds=[marketplace_id]
        )
        report_id = str(must(self._call, "createReport", create).payload["reportId"])
        subject = f"report {report_id}"
        report = self.poll("getReport", partial(client.get_report, report_id), subject)
        if report.get("processingStatus") != "DONE" or not report.get("reportDocumentId"):
            raise AmazonRejected(f"{subject}: ended {report.get('processingStatus')}")
        send = partial(client.get_report_document, str(report["reportDocumentId"]))
        info = must(self._call, "getReportDocument", send, subject).payload
        data = self._download("downloadReportDocument", info, f"{subject} document")
        return {**report, "reportId": report_id}, data

    def poll(self, operation: str, fetch: Callable[[], Any], subject: str) -> dict[str, Any]:
        """Fetch until ``processingStatus`` is final; waits grow 1.5x up to poll_max_seconds."""
        delay = self._settings.poll_initial_seconds
        deadline = self._clock.monotonic() + self._settings.poll_timeout_seconds
        while True:
            payload: dict[str, Any] = must(self._call, operation, fetch, subject).payload or {}
            status = payload.get("processingStatus")
            if status in FINISHED:
                return payload
            if self._clock.monotonic() >= deadline:
                limit = self._settings.poll_timeout_seconds
                raise AmazonUnavailable(f"{subject}: still {status} after {limit:.0f}s")
            self._clock.sleep(delay)
            delay = min(delay * 1.5, self._settings.poll_max_seconds)

    def _download(self, operation: str, info: Mapping[str, Any], what: str) -> bytes:
        fetch = partial(
            self._documents.download, info["url"], info.get("compressionAlgorithm"), what
        )
        data: bytes = must(self._call, operation, fetch)
        return data


def _time(value: Any) -> datetime | None:
    """An ISO 8601 time from an answer, or None when it is absent or unreadable."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
