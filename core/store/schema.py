"""The core's tables, gathered: importing this module declares each of them on ``metadata``.

The cancellations keep their own tables (``cancellations.store.mail_tables``) on the same
``metadata``; ``cancellations.store.schema`` gathers everything.
"""

from __future__ import annotations

from stockguard.core.store import (
    api_code_tables,  # noqa: F401
    feed_tables,  # noqa: F401
    listing_tables,  # noqa: F401
    lock_tables,  # noqa: F401
    observation_tables,  # noqa: F401
    order_tables,  # noqa: F401
    outbox_tables,  # noqa: F401
    review_tables,  # noqa: F401
)
from stockguard.core.store.metadata import metadata

__all__ = ["metadata"]
