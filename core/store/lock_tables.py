"""The run lock: one row per database while a scheduled service (`stockguard run`) holds it."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from stockguard.core.store.metadata import UTCDateTime, metadata

run_lock = Table(
    "run_lock",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("owner", String(200), nullable=False),  # host:pid:token
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
)
