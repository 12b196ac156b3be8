"""JSON_LISTINGS_FEED validation: the rules of listings-feed-schema-v2, written out in Python.

Document-level violations (not JSON, header, version, message count, another seller's id)
make the whole feed FATAL; message-level ones (messageId, sku, operationType and the fields
each operation requires or forbids, duplicate messageIds, patch shapes) become ERROR issues
of that message while the others are processed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from stockguard.doubles.emulator.listings import ITEM_DATA
from stockguard.doubles.emulator.patching import shape_error

MAX_MESSAGES = 25_000
MAX_MESSAGE_ID = 2_147_483_647
OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
# operationType -> (required fields, forbidden fields), the schema's oneOf branches.
COMBOS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "UPDATE": (("productType", "attributes"), ("patches",)),
    "PARTIAL_UPDATE": (("productType", "attributes"), ("requirements", "patches")),
    "PATCH": (("productType", "patches"), ("requirements", "attributes")),
    "DELETE": ((), ("requirements", "attributes", "productType", "patches")),
}
SCHEMA_CODE = "99001"  # the emulator's code for a message that breaks the schema
DUPLICATE_CODE = "99002"


class FatalFeedError(Exception):
    """The document cannot be processed at all (-> processingStatus FATAL)."""


@dataclass
class ParsedFeed:
    """A document that passed the document-level rules, split into good and bad messages."""

    header: dict[str, Any]
    messages: list[dict[str, Any]]  # the messages that passed the message-level rules
    issues: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0


def parse_listings_feed(content: bytes | None, seller_id: str) -> ParsedFeed:
    """Apply every rule; raise FatalFeedError for a document-level violation."""
    if not content:
        raise FatalFeedError("The feed document is empty or was never uploaded.")
    try:
        doc = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FatalFeedError(f"The feed document is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise FatalFeedError("The feed document must be a JSON object.")
    header = _header(doc.get("header"), seller_id)
    messages = doc.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise FatalFeedError(f"'messages' must be an array of 1 to {MAX_MESSAGES} messages.")
    parsed = ParsedFeed(header=header, messages=[], total=len(messages))
    seen: set[int] = set()
    for message in messages:
        problem = message_problem(message)
        ident = _message_id(message)
        if problem is None and ident in seen:
            problem, code = f"messageId {ident} is not unique within the feed.", DUPLICATE_CODE
        else:
            code = SCHEMA_CODE
        if problem is None:
            seen.add(ident)  # type: ignore[arg-type]  # message_problem checked it is an int
            parsed.messages.append(message)
        else:
            parsed.issues.append(_issue(message, code, problem))
    return parsed


def _header(header: Any, seller_id: str) -> dict[str, Any]:
    if not isinstance(header, dict):
        raise FatalFeedError("'header' is required and must be an object.")
    if not isinstance(header.get("sellerId"), str):
        raise FatalFeedError("'header.sellerId' is required.")
    if header.get("version") != "2.0":
        raise FatalFeedError("'header.version' must be \"2.0\".")
    if "issueLocale" in header and not isinstance(header["issueLocale"], str):
        raise FatalFeedError("'header.issueLocale' must be a string.")
    if "report" in header:
        report = header["report"]
        data = report.get("includedData") if isinstance(report, dict) else None
        if (
            not isinstance(data, list)
            or not data
            or any(d not in ITEM_DATA for d in data)
            or report.get("apiVersion") != "2021-08-01"
        ):
            raise FatalFeedError(
                "'header.report' needs includedData (listings data sets) and "
                'apiVersion "2021-08-01".'
            )
    if header["sellerId"] != seller_id:
        raise FatalFeedError(
            f"'header.sellerId' {header['sellerId']!r} is not the submitting seller."
        )
    return header


def message_problem(message: Any) -> str | None:
    """Why a message breaks the schema, or None."""
    if not isinstance(message, dict):
        return "A message must be an object."
    ident = message.get("messageId")
    if isinstance(ident, bool) or not isinstance(ident, int) or not 1 <= ident <= MAX_MESSAGE_ID:
        return f"'messageId' must be an integer from 1 to {MAX_MESSAGE_ID}."
    sku = message.get("sku")
    if not isinstance(sku, str) or not sku:
        return "'sku' is required and must be a non-empty string."
    op = message.get("operationType")
    if op not in OPERATIONS:
        return f"'operationType' must be one of {', '.join(OPERATIONS)}."
    required, forbidden = COMBOS[op]
    for name in required:
        if name not in message:
            return f"'{name}' is required for operationType {op}."
    for name in forbidden:
        if name in message:
            return f"'{name}' is not allowed for operationType {op}."
    return _field_problem(message)


def _field_problem(message: dict[str, Any]) -> str | None:
    if "productType" in message and (
        not isinstance(message["productType"], str) or not message["productType"]
    ):
        return "'productType' must be a non-empty string."
    if "requirements" in message and message["requirements"] not in REQUIREMENTS:
        return f"'requirements' must be one of {', '.join(REQUIREMENTS)}."
    if "attributes" in message and (
        not isinstance(message["attributes"], dict) or not message["attributes"]
    ):
        return "'attributes' must be an object with at least one attribute."
    if "patches" in message:
        return shape_error(message["patches"])
    return None


def _message_id(message: Any) -> int | None:
    ident = message.get("messageId") if isinstance(message, dict) else None
    return ident if isinstance(ident, int) and not isinstance(ident, bool) and ident >= 1 else None


def _issue(message: Any, code: str, text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "severity": "ERROR", "message": text}
    ident = _message_id(message)
    if ident is not None and ident <= MAX_MESSAGE_ID:
        out["messageId"] = ident
    sku = message.get("sku") if isinstance(message, dict) else None
    if isinstance(sku, str) and sku:
        out["sku"] = sku
    return out
