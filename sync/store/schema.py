"""All tables, gathered: importing this module declares every table on ``metadata``."""

from __future__ import annotations

from stockguard.sync.store import (
    api_code_tables,  # noqa: F401
    feed_tables,  # noqa: F401
    listing_tables,  # noqa: F401
    lock_tables,  # noqa: F401
    mail_tables,  # noqa: F401
    observation_tables,  # noqa: F401
    order_tables,  # noqa: F401
    outbox_tables,  # noqa: F401
    review_tables,  # noqa: F401
)
from stockguard.sync.store.metadata import metadata

__all__ = ["metadata"]
