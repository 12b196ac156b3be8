"""Queries on ``api_codes``: the item code an API gave for a page URL (see api_code_tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from stockguard.core.store.api_code_tables import api_codes


def stored_codes(db: Engine, api: str) -> dict[str, str]:
    """Page URL -> item code, for every URL resolved at ``api``."""
    query = select(api_codes.c.url, api_codes.c.code).where(api_codes.c.api == api)
    with db.connect() as conn:
        return {row.url: row.code for row in conn.execute(query)}


def save_code(db: Engine, api: str, url: str, code: str, now: datetime) -> None:
    """Store (or replace) the code ``api`` gave for ``url``."""
    with db.begin() as conn:
        conn.execute(delete(api_codes).where(api_codes.c.api == api, api_codes.c.url == url))
        conn.execute(insert(api_codes).values(api=api, url=url, code=code, resolved_at=now))
