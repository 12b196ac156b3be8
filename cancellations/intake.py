"""Email intake: Amazon's notification emails from .eml files, an mbox or IMAP into the store.

A buyer cancellation request becomes a row in ``mail_cancel_requests`` with the Orders API
cross-check: ``agree`` (the stored order carries the official buyer-request flag),
``disagree`` (the order is stored without it: not synced yet, or not an official request —
never cancel it as BuyerCanceled on the email alone) or ``not-in-store``. A return request
becomes a return ``to-decide`` (``stockguard returns list``). Other mail is ignored and not
recorded; a malformed look-alike is ignored with a warning naming its origin, and so is an
email with a value neither store holds (a NUL character: ``core.storable``), the other emails
of the run applied. Each email is applied once, keyed by Message-ID, however many sources
carry it.
"""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine

import stockguard.core.storable as storable
from stockguard.cancellations.mail import MailEvent, MailKind, parse_message
from stockguard.cancellations.rate import is_official_request
from stockguard.cancellations.store.mail import (
    CANCEL_REQUEST,
    RETURN_REQUEST,
    ImapMark,
    MailRecord,
    record_mail,
    save_mark,
)
from stockguard.core.clock import Clock
from stockguard.core.domain import Order
from stockguard.core.errors import InputError

log = logging.getLogger("stockguard.intake")

OrderLookup = Callable[[str], Order | None]
AGREE, DISAGREE, NOT_IN_STORE = "agree", "disagree", "not-in-store"
MESSAGE_ID_LENGTH, SKU_LENGTH = 500, 200  # mail_messages.message_id, mail_returns.sku


@dataclass(frozen=True)
class RawMail:
    """One email's bytes and where they came from."""

    origin: str
    data: bytes


@dataclass
class IntakeSummary:
    """What one intake run did."""

    applied: list[tuple[MailEvent, str]] = field(default_factory=list)  # (event, api check)
    duplicates: list[MailEvent] = field(default_factory=list)
    malformed: list[MailEvent] = field(default_factory=list)
    ignored: int = 0

    @property
    def warnings(self) -> list[str]:
        return [warning_for(event) for event in self.malformed]


def warning_for(event: MailEvent) -> str:
    """The one-line warning for a malformed look-alike."""
    return f"{event.origin}: ignored, looks like an Amazon email but {event.problem}"


def api_check(order: Order | None) -> str:
    """How the Orders API's flag compares with an emailed cancellation request."""
    if order is None:
        return NOT_IN_STORE
    return AGREE if is_official_request(order) else DISAGREE


class MailIntake:
    """Applies emails to the store; one instance per run, collecting its summary."""

    def __init__(self, db: Engine, lookup: OrderLookup, clock: Clock) -> None:
        self.db = db
        self.lookup = lookup
        self.clock = clock
        self.summary = IntakeSummary()

    def take(self, mail: RawMail, mark: ImapMark | None = None) -> MailEvent:
        """Read and apply one email; ``mark`` (IMAP) moves on in the same transaction."""
        event = parse_message(mail.data, mail.origin)
        record = self._record(event) if event.order_id is not None else None
        problem = unstorable(record) if record is not None else None
        if problem is not None:  # reported and skipped like a malformed one; the rest go on
            event = replace(event, kind=MailKind.MALFORMED, problem=problem)
        if event.kind is MailKind.MALFORMED:
            log.warning(warning_for(event))
            self.summary.malformed.append(event)
        elif event.kind is MailKind.IGNORED:
            self.summary.ignored += 1
        else:
            assert record is not None  # a request always has its order id
            self._apply(event, record, mark)
            return event
        if mark is not None:
            save_mark(self.db, mark, self.clock.now())
        return event

    def _apply(self, event: MailEvent, record: MailRecord, mark: ImapMark | None) -> None:
        check = record.api_check if event.kind is MailKind.CANCEL_REQUEST else ""
        if record_mail(self.db, record, self.clock.now(), mark):
            self.summary.applied.append((event, check))
        else:
            self.summary.duplicates.append(event)

    def _record(self, event: MailEvent) -> MailRecord:
        """The row an email becomes (a cancel request is checked against the Orders API)."""
        assert event.order_id is not None
        check = ""
        if event.kind is MailKind.CANCEL_REQUEST:
            check = api_check(self.lookup(event.order_id))
        return MailRecord(
            message_id=event.message_id,
            kind=CANCEL_REQUEST if event.kind is MailKind.CANCEL_REQUEST else RETURN_REQUEST,
            order_id=event.order_id,
            origin=event.origin,
            subject=event.subject,
            received_at=event.received_at,
            marketplace_id=event.marketplace_id,
            reason=event.reason,
            comment=event.comment,
            item=event.item,
            sku=event.sku,
            quantity=event.quantity,
            api_check=check or NOT_IN_STORE,
        )

    def take_all(self, mails: Iterable[RawMail]) -> IntakeSummary:
        """Apply every email of ``mails``."""
        for mail in mails:
            self.take(mail)
        return self.summary


def unstorable(record: MailRecord) -> str | None:
    """Why neither store can hold this email's row (a NUL character, a length), if so."""
    try:
        storable.text("Message-ID", record.message_id, MESSAGE_ID_LENGTH)
        storable.text("origin", record.origin)
        storable.text("subject", record.subject)
        storable.optional_text("reason", record.reason)
        storable.optional_text("comment", record.comment)
        storable.optional_text("item", record.item)
        storable.optional_text("SKU", record.sku, SKU_LENGTH)
        storable.optional_integer("quantity", record.quantity, 0)
    except storable.Unstorable as exc:
        return f"its {exc}"
    return None


def read_eml_files(paths: Iterable[Path]) -> Iterator[RawMail]:
    """Each .eml file as one email."""
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if not data.strip():
            raise InputError(f"{path}: empty file, not an email")
        yield RawMail(str(path), data)


def read_mbox(path: Path) -> Iterator[RawMail]:
    """Each email of an mbox file, as ``path#n`` (1-based)."""
    if not path.is_file():
        raise InputError(f"{path}: no such mbox file")
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.keys(), start=1):
            yield RawMail(f"{path}#{number}", box.get_bytes(key))
    finally:
        box.close()
