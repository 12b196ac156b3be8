"""Feed documents in and processing reports out (amazon-sp-api.md §2 and §3).

- ``quantity_patch`` is the one body that sets an MFN quantity: the ``merge`` op on
  ``/attributes/fulfillment_availability`` with a value *array* selected by
  ``fulfillment_channel_code: DEFAULT``, so the handling time (lead_time_to_ship_max_days)
  survives. patchListingsItem and JSON_LISTINGS_FEED both use it.
- ``build_quantity_feed`` writes a JSON_LISTINGS_FEED (schema v2) as UTF-8 bytes.
- ``parse_json_report`` / ``parse_xml_report`` turn a processing report into a FeedResult
  whose errors are keyed by SKU (listings) or AmazonOrderID (order acknowledgements).

Pure: no HTTP, no ``sp_api``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from stockguard.core.amazon.results import FeedResult, ListingIssue
from stockguard.core.domain import QuantityUpdate
from stockguard.core.errors import AmazonRejected

MAX_FEED_MESSAGES = 25_000  # messages maxItems in listings-feed-schema-v2
FEED_LEVEL = "*"  # errors_by_key key for issues about the whole feed (no messageId, no SKU)
FULFILLMENT_PATH = "/attributes/fulfillment_availability"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
XML_CONTENT_TYPE = "text/xml; charset=UTF-8"


def quantity_patch(quantity: int) -> dict[str, Any]:
    """The merge patch that sets the MFN (DEFAULT channel) quantity and nothing else."""
    return {
        "op": "merge",
        "path": FULFILLMENT_PATH,
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
    }


def patch_body(update: QuantityUpdate) -> dict[str, Any]:
    """A ListingsItemPatchRequest for one quantity update."""
    _check_quantity(update)
    return {"productType": update.product_type, "patches": [quantity_patch(update.quantity)]}


def build_quantity_feed(
    seller_id: str, updates: Sequence[QuantityUpdate], issue_locale: str = "en_US"
) -> tuple[bytes, dict[int, str]]:
    """The feed document (UTF-8 bytes) and its messageId -> SKU map.

    Splitting into feeds of at most 25,000 messages is the caller's job; a longer list, an
    empty one, a SKU twice or mixed marketplaces are refused with AmazonRejected.
    """
    if not updates:
        raise AmazonRejected("JSON_LISTINGS_FEED needs at least one message; got no updates")
    if len(updates) > MAX_FEED_MESSAGES:
        raise AmazonRejected(
            f"JSON_LISTINGS_FEED takes at most {MAX_FEED_MESSAGES:,} messages; got "
            f"{len(updates):,}: split the updates into several feeds"
        )
    feed_marketplace(updates)
    seen: set[str] = set()
    messages: list[dict[str, Any]] = []
    for message_id, update in enumerate(updates, start=1):
        if update.sku in seen:
            raise AmazonRejected(f"SKU {update.sku!r} appears twice in one quantity feed")
        seen.add(update.sku)
        _check_quantity(update)
        messages.append(
            {
                "messageId": message_id,
                "sku": update.sku,
                "operationType": "PATCH",
                "productType": update.product_type,
                "patches": [quantity_patch(update.quantity)],
            }
        )
    header = {"sellerId": seller_id, "version": "2.0", "issueLocale": issue_locale}
    document = {"header": header, "messages": messages}
    skus = {m["messageId"]: m["sku"] for m in messages}
    # ensure_ascii=False + explicit UTF-8: the document is bytes, never str (pitfall 14).
    return json.dumps(document, ensure_ascii=False).encode("utf-8"), skus


def feed_marketplace(updates: Sequence[QuantityUpdate]) -> str:
    """The single marketplace of a feed's updates (a feed is sent to one marketplace)."""
    ids = sorted({u.marketplace_id for u in updates})
    if len(ids) != 1:
        raise AmazonRejected(f"one quantity feed must target one marketplace; got {ids}")
    return ids[0]


def parse_json_report(
    feed_id: str, status: str, text: str, skus: Mapping[int, str] | None = None
) -> FeedResult:
    """A JSON_LISTINGS_FEED processing report -> FeedResult keyed by SKU."""
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AmazonRejected(f"feed {feed_id}: processing report is not JSON ({exc})") from None
    if not isinstance(report, dict):
        raise AmazonRejected(f"feed {feed_id}: processing report is not a JSON object")
    errors: dict[str, list[ListingIssue]] = {}
    for raw in report.get("issues") or []:
        if not isinstance(raw, dict):
            continue
        key = _issue_key(raw, skus or {})
        issue = ListingIssue(
            message=str(raw.get("message", "")),
            severity=str(raw.get("severity", "ERROR")).upper(),
            code=str(raw.get("code", "")),
            sku=None if key == FEED_LEVEL else key,
        )
        errors.setdefault(key, []).append(issue)
    summary = report.get("summary") or {}
    return FeedResult(
        feed_id=feed_id,
        status=status,
        errors_by_key={k: tuple(v) for k, v in errors.items()},
        messages_processed=_int(summary.get("messagesProcessed")),
        messages_accepted=_int(summary.get("messagesAccepted")),
        report=report,
    )


def _issue_key(raw: Mapping[str, Any], skus: Mapping[int, str]) -> str:
    if raw.get("sku"):
        return str(raw["sku"])
    message_id = raw.get("messageId")
    if isinstance(message_id, int) and message_id in skus:
        return skus[message_id]
    return FEED_LEVEL


def parse_xml_report(
    feed_id: str, status: str, data: bytes, orders: Mapping[int, str] | None = None
) -> FeedResult:
    """An XML ProcessingReport (order acknowledgements) -> FeedResult keyed by AmazonOrderID."""
    root = _parse_xml(data, f"feed {feed_id}: processing report")
    report = _first(root, "ProcessingReport")
    if report is None:
        raise AmazonRejected(f"feed {feed_id}: XML report has no ProcessingReport element")
    errors: dict[str, list[ListingIssue]] = {}
    for result in report.iter("Result"):
        key = _result_key(result, orders or {})
        code = _text(result, "ResultCode") or "Error"
        issue = ListingIssue(
            message=_text(result, "ResultDescription") or "",
            severity="ERROR" if code.lower() == "error" else code.upper(),
            code=_text(result, "ResultMessageCode") or "",
            sku=_text(result, "AdditionalInfo/SKU"),
        )
        errors.setdefault(key, []).append(issue)
    summary = report.find("ProcessingSummary")
    processed = _int(_text(summary, "MessagesProcessed")) if summary is not None else 0
    successful = _int(_text(summary, "MessagesSuccessful")) if summary is not None else 0
    return FeedResult(
        feed_id=feed_id,
        status=status,
        errors_by_key={k: tuple(v) for k, v in errors.items()},
        messages_processed=processed,
        messages_accepted=successful,
        report=data.decode("utf-8", errors="replace"),
    )


def _result_key(result: ET.Element, orders: Mapping[int, str]) -> str:
    order_id = _text(result, "AdditionalInfo/AmazonOrderID")
    if order_id:
        return order_id
    sku = _text(result, "AdditionalInfo/SKU")
    if sku:
        return sku
    message_id = _int(_text(result, "MessageID"), default=-1)
    return orders.get(message_id, FEED_LEVEL)


def acknowledgement_orders(xml: bytes) -> dict[int, str]:
    """MessageID -> AmazonOrderID of an order-acknowledgement envelope (to key its report)."""
    root = _parse_xml(xml, "order acknowledgement feed")
    found: dict[int, str] = {}
    for message in root.iter("Message"):
        message_id = _int(_text(message, "MessageID"), default=-1)
        order_id = _text(message, "OrderAcknowledgement/AmazonOrderID")
        if message_id >= 0 and order_id:
            found[message_id] = order_id
    return found


def _parse_xml(data: bytes, what: str) -> ET.Element:
    # expat resolves no external entities: a report is data, never a reason to fetch anything.
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise AmazonRejected(f"{what} is not well-formed XML: {exc}") from None


def _first(root: ET.Element, tag: str) -> ET.Element | None:
    if root.tag == tag:
        return root
    return next(root.iter(tag), None)


def _text(node: ET.Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None:
        return None
    return str(found.text).strip()


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _check_quantity(update: QuantityUpdate) -> None:
    if isinstance(update.quantity, bool) or not isinstance(update.quantity, int):
        raise AmazonRejected(f"SKU {update.sku!r}: quantity must be a whole number")
    if update.quantity < 0:
        raise AmazonRejected(f"SKU {update.sku!r}: quantity {update.quantity} is negative")
