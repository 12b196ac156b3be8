"""Queries for the mail and account-health tables (``cancellations.store.mail_tables``).

Applying an email is one transaction: the ledger row, its request row and (for IMAP) the new
resume mark commit together, so a crash never leaves an email half applied or a UID marked
done without its request. Times are stored as UTC and come back timezone-aware on both
backends (SQLite keeps no zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from stockguard.cancellations.store.mail_tables import (
    account_health,
    imap_state,
    mail_cancel_requests,
    mail_messages,
    mail_returns,
)
from stockguard.core.domain import DEFAULT_ACCOUNT

CANCEL_REQUEST = "cancel-request"
RETURN_REQUEST = "return-request"


@dataclass(frozen=True)
class MailRecord:
    """One applied Amazon email and what it asked for."""

    message_id: str
    kind: str  # CANCEL_REQUEST | RETURN_REQUEST
    order_id: str
    origin: str
    subject: str
    received_at: datetime | None
    marketplace_id: str | None = None
    reason: str | None = None
    comment: str | None = None
    item: str | None = None
    sku: str | None = None
    quantity: int | None = None
    api_check: str = "not-in-store"  # cancel requests: agree | disagree | not-in-store


@dataclass(frozen=True)
class ImapMark:
    """Where IMAP intake of one mailbox stopped."""

    mailbox: str
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class HealthFigure:
    """Amazon's pre-fulfilment cancellation figure for one marketplace and period."""

    marketplace_id: str
    metric_key: str
    date_from: datetime
    date_to: datetime
    order_count: int
    cancellation_count: int
    rate: Decimal  # a fraction: 0.005 = 0.5%
    target: Decimal  # a fraction
    target_condition: str
    status: str
    fetched_at: datetime | None = None
    account: str = DEFAULT_ACCOUNT  # the seller account whose report it came from


def is_recorded(db: Engine, message_id: str) -> bool:
    """True when an email with this Message-ID was applied before."""
    with db.connect() as conn:
        found = conn.scalar(
            select(mail_messages.c.message_id).where(mail_messages.c.message_id == message_id)
        )
    return found is not None


def record_mail(
    db: Engine, record: MailRecord, now: datetime, mark: ImapMark | None = None
) -> bool:
    """Apply one email (and move the IMAP mark); False when its Message-ID was applied before."""
    try:
        with db.begin() as conn:
            if mark is not None:
                _save_mark(conn, mark, now)
            conn.execute(
                insert(mail_messages).values(
                    message_id=record.message_id,
                    kind=record.kind,
                    order_id=record.order_id,
                    origin=record.origin,
                    subject=record.subject,
                    received_at=record.received_at,
                    recorded_at=now,
                )
            )
            conn.execute(_detail_insert(record, now))
    except IntegrityError:
        if mark is not None:  # a duplicate still moves the mark on
            save_mark(db, mark, now)
        return False
    return True


def _detail_insert(record: MailRecord, now: datetime) -> Insert:
    common = {
        "message_id": record.message_id,
        "order_id": record.order_id,
        "marketplace_id": record.marketplace_id,
        "reason": record.reason,
        "requested_at": record.received_at,
        "recorded_at": now,
    }
    if record.kind == CANCEL_REQUEST:
        return insert(mail_cancel_requests).values(api_check=record.api_check, **common)
    return insert(mail_returns).values(
        item=record.item,
        sku=record.sku,
        quantity=record.quantity,
        comment=record.comment,
        state="to-decide",
        **{**common, "reason": record.reason or ""},
    )


def save_mark(db: Engine, mark: ImapMark, now: datetime) -> None:
    """Record that ``mark.last_uid`` of the mailbox is done (an ignored email, a duplicate)."""
    with db.begin() as conn:
        _save_mark(conn, mark, now)


def _save_mark(conn: Connection, mark: ImapMark, now: datetime) -> None:
    values = {"uidvalidity": mark.uidvalidity, "last_uid": mark.last_uid, "updated_at": now}
    changed = conn.execute(
        update(imap_state).where(imap_state.c.mailbox == mark.mailbox).values(**values)
    )
    if changed.rowcount == 0:
        conn.execute(insert(imap_state).values(mailbox=mark.mailbox, **values))


def load_mark(db: Engine, mailbox: str) -> ImapMark | None:
    """Where intake of ``mailbox`` stopped, if it ever ran."""
    with db.connect() as conn:
        row = conn.execute(select(imap_state).where(imap_state.c.mailbox == mailbox)).first()
    return None if row is None else ImapMark(mailbox, row.uidvalidity, row.last_uid)


def list_returns(db: Engine, *, state: str | None = "to-decide") -> list[MailRecord]:
    """Return requests, oldest first (``state=None``: all)."""
    query = select(mail_returns, mail_messages.c.origin, mail_messages.c.subject).join(
        mail_messages, mail_messages.c.message_id == mail_returns.c.message_id
    )
    if state is not None:
        query = query.where(mail_returns.c.state == state)
    with db.connect() as conn:
        rows = conn.execute(query.order_by(mail_returns.c.requested_at, mail_returns.c.order_id))
        return [
            _request_record(
                r, RETURN_REQUEST, comment=r.comment, item=r.item, sku=r.sku, quantity=r.quantity
            )
            for r in rows
        ]


def list_cancel_requests(db: Engine) -> list[MailRecord]:
    """Buyer cancellation requests seen in email, oldest first (for the reason router)."""
    query = select(mail_cancel_requests, mail_messages.c.origin, mail_messages.c.subject).join(
        mail_messages, mail_messages.c.message_id == mail_cancel_requests.c.message_id
    )
    with db.connect() as conn:
        rows = conn.execute(query.order_by(mail_cancel_requests.c.requested_at))
        return [_request_record(r, CANCEL_REQUEST, api_check=r.api_check) for r in rows]


def _request_record(row: Row[Any], kind: str, **details: Any) -> MailRecord:
    # The read side of _detail_insert's ``common``: the columns both request tables share,
    # joined to their email's origin and subject; ``details`` are the kind's own columns.
    return MailRecord(
        message_id=row.message_id,
        kind=kind,
        order_id=row.order_id,
        origin=row.origin,
        subject=row.subject,
        received_at=row.requested_at,
        marketplace_id=row.marketplace_id,
        reason=row.reason,
        **details,
    )


def save_health(
    db: Engine, figures: list[HealthFigure], fetched_at: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    """Keep the cancellation figures of one account-health report, fetched for ``account``."""
    if not figures:
        return
    with db.begin() as conn:
        conn.execute(
            insert(account_health),
            [
                {
                    "marketplace_id": f.marketplace_id,
                    "metric_key": f.metric_key,
                    "date_from": f.date_from,
                    "date_to": f.date_to,
                    "order_count": f.order_count,
                    "cancellation_count": f.cancellation_count,
                    "rate": str(f.rate),
                    "target": str(f.target),
                    "target_condition": f.target_condition,
                    "status": f.status,
                    "fetched_at": fetched_at,
                    "account": account,
                }
                for f in figures
            ],
        )


def latest_health(db: Engine, account: str = DEFAULT_ACCOUNT) -> dict[str, HealthFigure]:
    """``account``'s most recently fetched figure per marketplace id."""
    return health_by_account(db).get(account, {})


def health_by_account(db: Engine) -> dict[str, dict[str, HealthFigure]]:
    """Per seller account, its most recently fetched figure per marketplace id."""
    newest = (
        select(func.max(account_health.c.id).label("id"))
        .group_by(account_health.c.account, account_health.c.marketplace_id)
        .subquery()
    )
    query = select(account_health).join(newest, newest.c.id == account_health.c.id)
    with db.connect() as conn:
        rows = list(conn.execute(query))
    found: dict[str, dict[str, HealthFigure]] = {}
    for figure in map(_health_figure, rows):
        found.setdefault(figure.account, {})[figure.marketplace_id] = figure
    return found


def _health_figure(r: Row[Any]) -> HealthFigure:
    return HealthFigure(
        marketplace_id=r.marketplace_id,
        metric_key=r.metric_key,
        date_from=r.date_from,
        date_to=r.date_to,
        order_count=r.order_count,
        cancellation_count=r.cancellation_count,
        rate=Decimal(r.rate),
        target=Decimal(r.target),
        target_condition=r.target_condition,
        status=r.status,
        fetched_at=r.fetched_at,
        account=r.account,
    )
