"""Tables for what arrives outside the Orders API: Amazon's notification emails (buyer
cancellation requests, return requests), the IMAP resume mark, and Amazon's account-health
cancellation figures (GET_V2_SELLER_PERFORMANCE_REPORT) kept beside the local rate.

``mail_messages`` is the ledger of applied emails, keyed by Message-ID: an email is applied
once however often it is read (.eml, mbox and IMAP may carry the same message). Mail that is
not Amazon's is never recorded (no subjects of unrelated mail in the store).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from stockguard.core.domain import DEFAULT_ACCOUNT
from stockguard.core.store.metadata import UTCDateTime, metadata

mail_messages = Table(
    "mail_messages",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("kind", String(30), nullable=False),  # cancel-request | return-request
    Column("order_id", String(40), nullable=False),
    Column("origin", Text, nullable=False),  # file path, mbox#n or imap://user@host/folder;UID=n
    Column("subject", Text, nullable=False),
    Column("received_at", UTCDateTime()),  # the Date header
    Column("recorded_at", UTCDateTime(), nullable=False),
)

# An official buyer cancellation request seen in email, with the Orders API cross-check.
mail_cancel_requests = Table(
    "mail_cancel_requests",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("marketplace_id", String(20)),  # from the sender's Amazon domain, when it tells
    Column("reason", Text),  # the buyer's stated reason
    Column("api_check", String(20), nullable=False),  # agree | disagree | not-in-store
    Column("requested_at", UTCDateTime()),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index("ix_mail_cancel_requests_order", "order_id"),
)

# A return the seller has to authorise or close, with the buyer's comment.
mail_returns = Table(
    "mail_returns",
    metadata,
    Column("message_id", String(500), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("marketplace_id", String(20)),
    Column("item", Text),
    Column("sku", String(200)),
    Column("quantity", Integer),
    Column("reason", Text, nullable=False),
    Column("comment", Text),
    Column("state", String(20), nullable=False),  # to-decide (decisions are made in Seller Central)
    Column("requested_at", UTCDateTime()),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index("ix_mail_returns_order", "order_id"),
)

# Where IMAP intake stopped: the last UID applied in one mailbox (valid for one UIDVALIDITY).
imap_state = Table(
    "imap_state",
    metadata,
    Column("mailbox", String(500), primary_key=True),  # user@host:port/folder
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Amazon's pre-fulfilment cancellation figure per marketplace, one row per fetched report.
# rate / target are fractions kept as decimal text: exact on both backends.
account_health = Table(
    "account_health",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("metric_key", String(60), nullable=False),
    Column("date_from", UTCDateTime(), nullable=False),
    Column("date_to", UTCDateTime(), nullable=False),
    Column("order_count", Integer, nullable=False),
    Column("cancellation_count", Integer, nullable=False),
    Column("rate", String(40), nullable=False),
    Column("target", String(40), nullable=False),
    Column("target_condition", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("fetched_at", UTCDateTime(), nullable=False),
    # whose figure: Amazon measures the rate per seller account (migration 7)
    Column("account", String(40), nullable=False, server_default=DEFAULT_ACCOUNT),
    Index("ix_account_health_marketplace", "marketplace_id", "fetched_at"),
)
