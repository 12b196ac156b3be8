"""The XSD rules of an order-acknowledgement document, checked element by element.

Messages name the line and the rule, like Amazon's XML parser
(``XML Parsing Fatal Error at Line 9: cvc-pattern-valid: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from lxml import etree

CANCEL_REASONS = (
    "NoInventory",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "BuyerCanceled",
    "GeneralAdjustment",
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
    "CustomerReturn",
    "MerchandiseNotReceived",
)
# XSD's \w excludes punctuation such as "_", unlike Python's.
ORDER_ID = re.compile(r"[^\W_]{3}-[^\W_]{7}-[^\W_]{7}")
ITEM_CODE = re.compile(r"\d{14}")
ID_NUMBER = re.compile(r"\d{1,20}")
DOC_VERSION = re.compile(r"\d{1,2}\.\d{1,2}")
Spec = list[tuple[str, int, int]]  # (element name, minOccurs, maxOccurs)
UNBOUNDED = 10**9
ENVELOPE: Spec = [
    ("Header", 1, 1),
    ("MessageType", 1, 1),
    ("MarketplaceName", 0, 1),
    ("PurgeAndReplace", 0, 1),
    ("EffectiveDate", 0, 1),
    ("Message", 1, UNBOUNDED),
]
HEADER: Spec = [
    ("DocumentVersion", 1, 1),
    ("MerchantIdentifier", 1, 1),
    ("OverrideReleaseId", 0, 1),
]
MESSAGE: Spec = [("MessageID", 1, 1), ("OperationType", 0, 1), ("OrderAcknowledgement", 1, 1)]
ACK: Spec = [
    ("AmazonOrderID", 1, 1),
    ("MerchantOrderID", 0, 1),
    ("StatusCode", 1, 1),
    ("Item", 0, UNBOUNDED),
]
ITEM: Spec = [("AmazonOrderItemCode", 1, 1), ("MerchantOrderItemID", 0, 1), ("CancelReason", 0, 1)]


class XmlRejectedError(Exception):
    """The document breaks the XSD; nothing in it is processed."""


@dataclass(frozen=True)
class AckItem:
    """One ``Item``: the 14-digit order item code and its cancel reason."""

    code: str
    reason: str | None


@dataclass(frozen=True)
class AckMessage:
    """One ``Message`` of the feed."""

    message_id: int
    order_id: str
    status: str  # Success | Failure
    items: tuple[AckItem, ...]


def parse_ack_document(content: bytes | None) -> list[AckMessage]:
    """Every message of a valid document; XmlRejectedError naming line and rule otherwise."""
    if not content:
        raise XmlRejectedError("XML Parsing Fatal Error at Line 1: the document is empty.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRejectedError(f"XML Parsing Fatal Error at Line {exc.lineno}: {exc.msg}") from exc
    if root.tag != "AmazonEnvelope":
        _fail(root, f"cvc-elt.1: Cannot find the declaration of element '{root.tag}'.")
    parts = _sequence(root, ENVELOPE)
    header = _sequence(parts["Header"][0], HEADER)
    _text(header["DocumentVersion"][0], DOC_VERSION)
    _bounded(header["MerchantIdentifier"][0])
    message_type = parts["MessageType"][0]
    if (message_type.text or "") != "OrderAcknowledgement":
        _fail(
            message_type,
            f"cvc-enumeration-valid: MessageType '{message_type.text}' is not "
            "OrderAcknowledgement.",
        )
    return [_message(m) for m in parts["Message"]]


def _message(element: etree._Element) -> AckMessage:
    parts = _sequence(element, MESSAGE)
    message_id = _text(parts["MessageID"][0], ID_NUMBER, collapse=True)
    if int(message_id) < 1:
        _fail(parts["MessageID"][0], "cvc-minInclusive-valid: MessageID must be positive.")
    ack = _sequence(parts["OrderAcknowledgement"][0], ACK)
    order_id = _text(ack["AmazonOrderID"][0], ORDER_ID)
    if "MerchantOrderID" in ack:
        _bounded(ack["MerchantOrderID"][0])
    status = _enum(ack["StatusCode"][0], ("Success", "Failure"))
    items = []
    for item_el in ack.get("Item", []):
        item = _sequence(item_el, ITEM)
        code = _text(item["AmazonOrderItemCode"][0], ITEM_CODE)
        if "MerchantOrderItemID" in item:
            _bounded(item["MerchantOrderItemID"][0])
        reason = _enum(item["CancelReason"][0], CANCEL_REASONS) if "CancelReason" in item else None
        items.append(AckItem(code, reason))
    return AckMessage(int(message_id), order_id, status, tuple(items))


def _sequence(element: etree._Element, spec: Spec) -> dict[str, list[etree._Element]]:
    """Group the children by name, enforcing the XSD sequence, order and occurrences."""
    if (element.text or "").strip():
        _fail(
            element, f"cvc-complex-type.2.3: Element '{element.tag}' cannot have character content."
        )
    children = [c for c in element if isinstance(c.tag, str)]
    found: dict[str, list[etree._Element]] = {}
    position = 0
    for name, low, high in spec:
        while position < len(children) and children[position].tag == name:
            found.setdefault(name, []).append(children[position])
            position += 1
        count = len(found.get(name, []))
        if count < low:
            at = children[position] if position < len(children) else element
            _fail(at, f"cvc-complex-type.2.4: '{name}' is expected in '{element.tag}'.")
        if count > high:
            _fail(found[name][high], f"cvc-complex-type.2.4: too many '{name}' elements.")
    if position < len(children):
        extra = children[position]
        _fail(
            extra,
            f"cvc-complex-type.2.4.a: Invalid content was found starting with element "
            f"'{extra.tag}' in '{element.tag}'.",
        )
    return found


def _text(element: etree._Element, pattern: re.Pattern[str], collapse: bool = False) -> str:
    value = element.text or ""
    if collapse:
        value = value.strip()
    if len(element) or not pattern.fullmatch(value):
        _fail(
            element,
            f"cvc-pattern-valid: Value '{value}' of '{element.tag}' is not facet-valid "
            f"with respect to pattern '{pattern.pattern}'.",
        )
    return value


def _enum(element: etree._Element, allowed: tuple[str, ...]) -> str:
    value = element.text or ""
    if len(element) or value not in allowed:
        _fail(
            element,
            f"cvc-enumeration-valid: Value '{value}' of '{element.tag}' is not one of "
            f"{', '.join(allowed)}.",
        )
    return value


def _bounded(element: etree._Element) -> None:
    if len(element) or len(element.text or "") > 50:
        _fail(
            element, f"cvc-maxLength-valid: '{element.tag}' must be text of at most 50 characters."
        )


def _fail(element: etree._Element, rule: str) -> NoReturn:
    raise XmlRejectedError(f"XML Parsing Fatal Error at Line {element.sourceline}: {rule}")
