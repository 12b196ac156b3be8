"""Every table of the store, gathered: the core's and the cancellations' own."""

from __future__ import annotations

from stockguard.cancellations.store import mail_tables  # noqa: F401
from stockguard.core.store.schema import metadata

__all__ = ["metadata"]
