"""Versioned schema migrations, applied in order and recorded in ``schema_version``.

Version 1 creates the tables of the first release, frozen as explicit DDL in ``schema_v1``
(never ``create_all`` over today's tables). A later change to a table is a new migration here
(ALTER / new table), never an edit of an applied one: databases in the wild already recorded
it. The migrations from empty must give exactly the declared ``metadata`` (a test checks).
"""

from __future__ import annotations

from sqlalchemy import Connection

from stockguard.core.store.db import Migration


def _initial_schema(conn: Connection) -> None:
    from stockguard.core.store.schema_v1 import metadata

    metadata.create_all(conn)


def _decisions_by_listing(conn: Connection) -> None:
    from stockguard.core.store.observation_tables import decisions_by_listing

    decisions_by_listing.create(conn, checkfirst=True)  # stores made before v1 was frozen have it


def _decision_reviews(conn: Connection) -> None:
    from stockguard.core.store.migrate_accounts import reviews_v3
    from stockguard.core.store.review_tables import decision_marks

    # stores made before v1 was frozen have them; an older one decides everything once.
    # The table as it was then (migration 6 adds the account to its key).
    reviews_v3.create(conn, checkfirst=True)
    decision_marks.create(conn, checkfirst=True)


def _api_codes(conn: Connection) -> None:
    from stockguard.core.store.api_code_tables import api_codes

    api_codes.create(conn, checkfirst=True)  # stores made before v1 was frozen have it


def _refused_feed_files(conn: Connection) -> None:
    from stockguard.core.store.feed_tables import refused_feed_files

    refused_feed_files.create(conn, checkfirst=True)  # stores made before v1 was frozen have it


def _seller_accounts(conn: Connection) -> None:
    from stockguard.core.store.migrate_accounts import seller_accounts

    seller_accounts(conn)


def _health_by_account(conn: Connection) -> None:
    from stockguard.core.store.migrate_accounts import health_by_account

    health_by_account(conn)


MIGRATIONS: list[Migration] = [
    (1, "initial schema", _initial_schema),
    (2, "index decisions by listing", _decisions_by_listing),
    (3, "decision reviews and marks", _decision_reviews),
    (4, "item codes resolved for page URLs", _api_codes),
    (5, "refused feed files kept for acceptance", _refused_feed_files),
    (6, "a seller account on listings, decisions, outbox and orders", _seller_accounts),
    (7, "a seller account on account-health figures", _health_by_account),
]
