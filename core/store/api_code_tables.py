"""The item codes an API gave for supplier page URLs, resolved once at import.

Rakuten's ``itemCode`` is not the slug of the item's URL, so a Rakuten page is read through
the API only after `listings import` has asked the API which item the URL is and stored the
answer here (``cli.api_codes``). A URL without a row stays a page source.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, UniqueConstraint

from stockguard.core.store.metadata import UTCDateTime, metadata

api_codes = Table(
    "api_codes",
    metadata,
    Column("api", String(40), nullable=False),  # the API name: rakuten
    Column("url", String(2000), nullable=False),  # the page source's ref, as imported
    Column("code", String(200), nullable=False),  # the item's code at that API
    Column("resolved_at", UTCDateTime(), nullable=False),
    UniqueConstraint("api", "url", name="uq_api_codes_api_url"),
)
