"""Reading Amazon's notification emails (pure: raw RFC 5322 bytes in, a MailEvent out).

Two kinds matter (seller-rules.md):

* "Order cancellation request from Amazon customer…" (Japanese: "…注文キャンセルリクエスト…"):
  the buyer used the official Request Cancellation option -> a buyer request for the order;
* "Return authorization request for order # …" (Japanese: "…返品リクエスト…" / "返品承認…"):
  a return the seller must authorise or close, with the buyer's comment.

Everything else is IGNORED (nothing recorded). A message whose subject is one of those two but
that fails a check is MALFORMED: not sent from an Amazon domain, no order id, an order id not
shaped ``\\d{3}-\\d{7}-\\d{7}``, two different order ids, or (returns) no return reason. A
MALFORMED message is never applied; its ``problem`` names what is wrong.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from enum import StrEnum

from bs4 import BeautifulSoup

from stockguard.core.domain import MARKETPLACES, MARKETPLACES_BY_STOREFRONT
from stockguard.core.storable import Unstorable, parse_integer

ORDER_ID = re.compile(r"\d{3}-\d{7}-\d{7}")
_CANCEL_SUBJECT = re.compile(
    r"order cancell?ation request from amazon customer|注文キャンセルリクエスト", re.I
)
_RETURN_SUBJECT = re.compile(
    r"return authori[sz]ation request for order|返品(?:承認)?リクエスト", re.I
)
# An order id as written after "order #", "(Order: …)" or 注文番号 in a subject.
_SUBJECT_ID = re.compile(
    r"(?:order\s*(?:id)?\s*[:#＃]|注文番号\s*[:：#＃]?)\s*[#＃]?\s*([0-9A-Za-z-]+)", re.I
)
_FIELD = re.compile(r"^\s*([^:：\n]{1,40}?)\s*[:：]\s*(.*)$")
_FIELD_NAMES = {
    "order": ("order id", "order #", "order number", "order", "注文番号"),
    "reason": ("reason", "cancellation reason", "cancelation reason", "キャンセル理由", "理由"),
    "return_reason": ("return reason", "reason for return", "返品理由"),
    "comment": (
        "customer comments",
        "customer comment",
        "buyer comments",
        "buyer comment",
        "購入者のコメント",
        "お客様のコメント",
        "購入者からのコメント",
    ),
    "item": ("item", "item name", "product", "商品名", "商品"),
    "sku": ("sku", "seller sku", "出品者sku"),
    "quantity": ("quantity", "数量"),
}


class MailKind(StrEnum):
    """What an email is to stockguard."""

    CANCEL_REQUEST = "cancel-request"
    RETURN_REQUEST = "return-request"
    IGNORED = "ignored"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class MailEvent:
    """One email, read."""

    message_id: str
    origin: str  # the file, mbox#n or IMAP UID it came from (for messages)
    kind: MailKind
    subject: str
    received_at: datetime | None = None
    order_id: str | None = None
    marketplace_id: str | None = None
    reason: str | None = None
    comment: str | None = None
    item: str | None = None
    sku: str | None = None
    quantity: int | None = None
    problem: str | None = None  # set exactly for MALFORMED


def parse_message(raw: bytes, origin: str) -> MailEvent:
    """Read one email; never raises on a bad message (it becomes IGNORED or MALFORMED)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    subject = " ".join(str(message.get("Subject", "")).split())
    base = MailEvent(_message_id(message, raw), origin, MailKind.IGNORED, subject, _date(message))
    if _CANCEL_SUBJECT.search(subject):
        kind = MailKind.CANCEL_REQUEST
    elif _RETURN_SUBJECT.search(subject):
        kind = MailKind.RETURN_REQUEST
    else:
        return base
    return _read_request(message, base, kind)


def _read_request(message: EmailMessage, base: MailEvent, kind: MailKind) -> MailEvent:
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    marketplace_code = _amazon_marketplace(sender.rpartition("@")[2])
    if marketplace_code is None:
        return _malformed(base, f"not sent from an Amazon domain (From: {sender or 'missing'})")
    fields = _fields(_body_text(message))
    order_id, problem = _order_id(base.subject, fields.get("order"))
    if problem is not None:
        return _malformed(base, problem)
    if kind is MailKind.RETURN_REQUEST and not fields.get("return_reason"):
        return _malformed(base, "return request without a 'Return reason' line")
    try:
        quantity = _quantity(fields.get("quantity"))
    except Unstorable as exc:
        return _malformed(base, f"its {exc}")
    return MailEvent(
        message_id=base.message_id,
        origin=base.origin,
        kind=kind,
        subject=base.subject,
        received_at=base.received_at,
        order_id=order_id,
        marketplace_id=MARKETPLACES[marketplace_code].marketplace_id,
        reason=fields.get("return_reason" if kind is MailKind.RETURN_REQUEST else "reason"),
        comment=fields.get("comment"),
        item=fields.get("item"),
        sku=fields.get("sku"),
        quantity=quantity,
    )


def _malformed(base: MailEvent, problem: str) -> MailEvent:
    return MailEvent(
        base.message_id,
        base.origin,
        MailKind.MALFORMED,
        base.subject,
        base.received_at,
        problem=problem,
    )


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = " ".join(str(message.get("Message-ID", "")).split())
    if not value or len(value) > 400:
        # Without a usable Message-ID the content itself identifies the email.
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    return value


def _date(message: EmailMessage) -> datetime | None:
    header = message.get("Date")
    try:
        moment = getattr(header, "datetime", None)
    except (TypeError, ValueError):
        return None
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment
    return None


def _amazon_marketplace(domain: str) -> str | None:
    """The marketplace code of an Amazon sender domain (a storefront or a subdomain of one, the
    longest match first), or None when it is not Amazon's."""
    labels = domain.split(".")
    for start in range(len(labels)):
        found = MARKETPLACES_BY_STOREFRONT.get(".".join(labels[start:]))
        if found is not None:
            return found.code
    return None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return BeautifulSoup(content, "html.parser").get_text("\n")
    return content


def _fields(text: str) -> dict[str, str]:
    """Labelled values ("Order ID: …"); a label alone on its line takes the following line."""
    found: dict[str, str] = {}
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    for index, line in enumerate(lines):
        match = _FIELD.match(line)
        if not match:
            continue
        name = _field_name(match.group(1))
        if name is None or name in found:
            continue
        value = match.group(2).strip()
        if not value and index + 1 < len(lines) and not _FIELD.match(lines[index + 1]):
            value = lines[index + 1]
        if value:
            found[name] = value
    return found


def _field_name(label: str) -> str | None:
    wanted = " ".join(label.lower().split())
    for name, labels in _FIELD_NAMES.items():
        if wanted in labels:
            return name
    return None


def _order_id(subject: str, body_value: str | None) -> tuple[str | None, str | None]:
    """The one order id of the message, or the problem with it."""
    seen = [m.group(1) for m in _SUBJECT_ID.finditer(subject)]
    if body_value:
        seen.append(body_value.lstrip("#＃ ").split()[0] if body_value.strip("#＃ ") else "")
    seen = [token for token in seen if token]
    if not seen:
        return None, "no order id"
    bad = [token for token in seen if not ORDER_ID.fullmatch(token)]
    if bad:
        return None, f"bad order id {bad[0]!r} (expected 3-7-7 digits like 123-1234567-1234567)"
    if len(set(seen)) > 1:
        return None, f"two different order ids: {', '.join(sorted(set(seen)))}"
    return seen[0], None


def _quantity(value: str | None) -> int | None:
    """The stated quantity; None when it is no number; Unstorable when past any INTEGER."""
    if value is None:
        return None
    digits = value.strip()
    return parse_integer("quantity", digits, 0) if digits.isdecimal() else None
