"""POST_ORDER_ACKNOWLEDGEMENT_DATA: check the XML against the XSD's rules, apply, report.

The rules of amzn-envelope.xsd / OrderAcknowledgement.xsd (release 4.1) that matter, in
Python: ``AmazonEnvelope`` > ``Header`` (DocumentVersion ``\\d{1,2}.\\d{1,2}``,
MerchantIdentifier) > ``MessageType`` OrderAcknowledgement > ``Message``+ (MessageID, then
``OrderAcknowledgement``: AmazonOrderID ``\\w{3}-\\w{7}-\\w{7}``, MerchantOrderID?, StatusCode
Success|Failure, Item* (AmazonOrderItemCode ``\\d{14}``, MerchantOrderItemID?, CancelReason?)).
A document that breaks them is rejected whole, as Amazon's XML parser does (code 5001).

``StatusCode=Failure`` cancels an Unshipped order (cancelledBy MERCHANT) and puts the units
back for every reason except NoInventory. Orders that are shipped, cancelled, pending or not
found get an Error ``Result``; the report is a ``ProcessingReport`` inside an envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from lxml import etree

from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.order_ack_rules import (
    AckMessage,
    XmlRejectedError,
    parse_ack_document,
)
from stockguard.doubles.emulator.orderbook import cancel_order
from stockguard.doubles.emulator.state import OrderState

# Result codes of this emulator (documented in docs/emulator.md).
CODE_NOT_FOUND = "18028"
CODE_NOT_CANCELLABLE = "18101"
CODE_PARTIAL = "18102"
CODE_NO_ITEMS = "18103"
CODE_NO_REASON = "18104"
CODE_XML = "5001"


@dataclass
class AckResult:
    """One ``Result`` of the processing report."""

    message_id: int
    code: str  # Error | Warning
    message_code: str
    description: str
    order_id: str | None = None
    item_code: str | None = None


@dataclass
class AckReport:
    """What a processed order-acknowledgement feed produced."""

    processed: int = 0
    results: list[AckResult] = field(default_factory=list)


def process_ack_feed(
    ctx: EmulatorContext, feed_id: str, content: bytes | None, at: datetime
) -> bytes:
    """Validate, apply and return the XML processing report (the feed always ends DONE)."""
    try:
        messages = parse_ack_document(content)
    except XmlRejectedError as exc:
        report = AckReport(results=[AckResult(0, "Error", CODE_XML, str(exc))])
        return render_report(ctx.state.seller_id, feed_id, report, rejected=True)
    report = AckReport(processed=len(messages))
    for message in messages:
        report.results.extend(_apply(ctx, message, at))
    return render_report(ctx.state.seller_id, feed_id, report)


def _apply(ctx: EmulatorContext, msg: AckMessage, at: datetime) -> list[AckResult]:
    order = ctx.state.orders.get(msg.order_id)
    refusal = _refusal(order, msg)
    if refusal:
        code, text, level = refusal
        return [AckResult(msg.message_id, level, code, text, msg.order_id)]
    assert order is not None  # _refusal returns a refusal for a missing order
    if msg.status == "Success":
        order.acknowledged = True
        return []
    reasons = {item.code: item.reason or "" for item in msg.items}
    cancel_order(ctx.state, order, at, "MERCHANT", reasons)
    return []


def _refusal(order: OrderState | None, msg: AckMessage) -> tuple[str, str, str] | None:
    """(ResultMessageCode, description, Error|Warning) when the message cannot be applied."""
    if order is None:
        return CODE_NOT_FOUND, f"The order {msg.order_id} was not found for this seller.", "Error"
    if msg.status == "Success":
        if order.status == "Canceled":
            return CODE_NOT_CANCELLABLE, f"The order {msg.order_id} is cancelled.", "Error"
        return None
    if order.status in ("Shipped", "PartiallyShipped"):
        return (
            CODE_NOT_CANCELLABLE,
            f"The order {msg.order_id} has shipped items and cannot "
            "be cancelled with an acknowledgement.",
            "Error",
        )
    if order.status == "Canceled":
        return CODE_NOT_CANCELLABLE, f"The order {msg.order_id} is already cancelled.", "Error"
    if order.status != "Unshipped" or order.fulfillment_channel != "MFN":
        return (
            CODE_NOT_CANCELLABLE,
            f"The order {msg.order_id} is {order.status} and cannot be cancelled yet.",
            "Error",
        )
    return _item_refusal(order, msg)


def _item_refusal(order: OrderState, msg: AckMessage) -> tuple[str, str, str] | None:
    if not msg.items:
        return (
            CODE_NO_ITEMS,
            "StatusCode Failure without Item elements: the order was not cancelled.",
            "Warning",
        )
    known = {item.order_item_id for item in order.items}
    sent = {item.code for item in msg.items}
    unknown = sorted(sent - known)
    if unknown:
        return (
            CODE_NOT_FOUND,
            f"AmazonOrderItemCode {unknown[0]} is not an item of order {msg.order_id}.",
            "Error",
        )
    if sent != known:
        return (
            CODE_PARTIAL,
            "Every item of the order must be cancelled; use the order "
            "adjustment feed for a partial cancellation.",
            "Error",
        )
    if any(not item.reason for item in msg.items):
        return CODE_NO_REASON, "CancelReason is required with StatusCode Failure.", "Error"
    return None


def render_report(seller_id: str, feed_id: str, report: AckReport, rejected: bool = False) -> bytes:
    """The ProcessingReport (ProcessingReport.xsd) inside an AmazonEnvelope."""
    errors = {r.message_id for r in report.results if r.code == "Error"}
    warnings = {r.message_id for r in report.results if r.code == "Warning"} - errors
    with_error = 1 if rejected else len(errors)
    successful = 0 if rejected else report.processed - len(errors)
    results = "".join(_result_xml(r) for r in report.results)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
        f"<Header><DocumentVersion>1.02</DocumentVersion>"
        f"<MerchantIdentifier>{escape(seller_id)}</MerchantIdentifier></Header>"
        "<MessageType>ProcessingReport</MessageType>"
        "<Message><MessageID>1</MessageID><ProcessingReport>"
        f"<DocumentTransactionID>{escape(feed_id)}</DocumentTransactionID>"
        "<StatusCode>Complete</StatusCode><ProcessingSummary>"
        f"<MessagesProcessed>{report.processed}</MessagesProcessed>"
        f"<MessagesSuccessful>{successful}</MessagesSuccessful>"
        f"<MessagesWithError>{with_error}</MessagesWithError>"
        f"<MessagesWithWarning>{len(warnings)}</MessagesWithWarning>"
        f"</ProcessingSummary>{results}</ProcessingReport></Message></AmazonEnvelope>\n"
    )
    etree.fromstring(text.encode("utf-8"))  # well-formed by construction; fail loudly if not
    return text.encode("utf-8")


def _result_xml(result: AckResult) -> str:
    info = ""
    if result.order_id and re.fullmatch(r"[^\W_]{3}-[^\W_]{7}-[^\W_]{7}", result.order_id):
        info += f"<AmazonOrderID>{escape(result.order_id)}</AmazonOrderID>"
    if result.item_code:
        info += f"<AmazonOrderItemCode>{escape(result.item_code)}</AmazonOrderItemCode>"
    return (
        f"<Result><MessageID>{result.message_id}</MessageID>"
        f"<ResultCode>{result.code}</ResultCode>"
        f"<ResultMessageCode>{result.message_code}</ResultMessageCode>"
        f"<ResultDescription>{escape(result.description)}</ResultDescription>"
        + (f"<AdditionalInfo>{info}</AdditionalInfo>" if info else "")
        + "</Result>"
    )
