"""The POST_ORDER_ACKNOWLEDGEMENT_DATA feed that cancels seller-fulfilled orders.

One ``Message`` per order with ``StatusCode`` Failure (which cancels the whole order) and one
``Item`` per order item carrying ``AmazonOrderItemCode`` (the 14-digit OrderItemId, never the
ASIN or SKU) and its ``CancelReason``. An acknowledgement without items did not cancel in
practice, so an order without items is refused here. The shape follows Amazon's
``amzn-envelope.xsd`` / ``OrderAcknowledgement.xsd`` (release_4_1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from stockguard.core.domain import CancelReason
from stockguard.core.errors import CancellationError

FEED_TYPE = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
CONTENT_TYPE = "text/xml; charset=UTF-8"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_ORDER_ID = re.compile(r"\w{3}-\w{7}-\w{7}")
_ITEM_CODE = re.compile(r"\d{14}")


@dataclass(frozen=True)
class AckItem:
    """One order item to cancel."""

    order_item_id: str
    reason: CancelReason


@dataclass(frozen=True)
class AckOrder:
    """One order to cancel, with all of its items."""

    order_id: str
    items: tuple[AckItem, ...]


@dataclass(frozen=True)
class AckFeed:
    """The feed document and which order each MessageID carries."""

    xml: bytes
    message_ids: dict[int, str]  # MessageID -> AmazonOrderID

    def order_for(self, message_id: int) -> str | None:
        """The order a processing-report Result names by MessageID only."""
        return self.message_ids.get(message_id)


def build_ack_feed(merchant_id: str, batch: Sequence[AckOrder]) -> AckFeed:
    """The acknowledgement feed cancelling every order of ``batch``; CancellationError if bad."""
    if not merchant_id:
        raise CancellationError("no seller id configured ([amazon] seller_id): cannot build feed")
    if not batch:
        raise CancellationError("no orders to cancel: an empty feed is not sent")
    ET.register_namespace("xsi", _XSI)
    root = ET.Element(
        "AmazonEnvelope", {f"{{{_XSI}}}noNamespaceSchemaLocation": "amzn-envelope.xsd"}
    )
    header = ET.SubElement(root, "Header")
    ET.SubElement(header, "DocumentVersion").text = "1.01"
    ET.SubElement(header, "MerchantIdentifier").text = merchant_id
    ET.SubElement(root, "MessageType").text = "OrderAcknowledgement"
    message_ids: dict[int, str] = {}
    seen: set[str] = set()
    for number, order in enumerate(batch, start=1):
        _check(order, seen)
        message_ids[number] = order.order_id
        _add_message(root, number, order)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
    return AckFeed(xml=xml, message_ids=message_ids)


def _check(order: AckOrder, seen: set[str]) -> None:
    if not _ORDER_ID.fullmatch(order.order_id):
        raise CancellationError(
            f"order {order.order_id!r}: not an Amazon order id (expected 3-7-7 characters)"
        )
    if order.order_id in seen:
        raise CancellationError(f"order {order.order_id}: appears twice in one feed")
    seen.add(order.order_id)
    if not order.items:
        raise CancellationError(
            f"order {order.order_id}: no items (an item-less Failure does not cancel)"
        )
    for item in order.items:
        if not _ITEM_CODE.fullmatch(item.order_item_id):
            raise CancellationError(
                f"order {order.order_id} item {item.order_item_id!r}: AmazonOrderItemCode must "
                "be the 14-digit OrderItemId (not an ASIN or SKU)"
            )


def _add_message(root: ET.Element, number: int, order: AckOrder) -> None:
    message = ET.SubElement(root, "Message")
    ET.SubElement(message, "MessageID").text = str(number)
    ack = ET.SubElement(message, "OrderAcknowledgement")
    ET.SubElement(ack, "AmazonOrderID").text = order.order_id
    ET.SubElement(ack, "StatusCode").text = "Failure"
    for item in order.items:
        element = ET.SubElement(ack, "Item")
        ET.SubElement(element, "AmazonOrderItemCode").text = item.order_item_id
        ET.SubElement(element, "CancelReason").text = item.reason.value


@dataclass(frozen=True)
class ReportResult:
    """One ``Result`` of an XML ProcessingReport."""

    message_id: int | None
    code: str  # Error | Warning
    message_code: str
    description: str
    order_id: str | None


def parse_processing_report(text: str) -> list[ReportResult]:
    """The Results of an order-feed ProcessingReport (XML); [] if it is not one."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    found: list[ReportResult] = []
    for result in root.iter("Result"):
        message_id = (result.findtext("MessageID") or "").strip()
        order_id = (result.findtext("AdditionalInfo/AmazonOrderID") or "").strip()
        found.append(
            ReportResult(
                message_id=int(message_id) if message_id.isdigit() else None,
                code=(result.findtext("ResultCode") or "").strip(),
                message_code=(result.findtext("ResultMessageCode") or "").strip(),
                description=(result.findtext("ResultDescription") or "").strip(),
                order_id=order_id or None,
            )
        )
    return found
