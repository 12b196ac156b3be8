"""All tables, gathered: importing this module declares every table on ``metadata``."""

from __future__ import annotations

from stockguard.core.store.metadata import metadata

__all__ = ["metadata"]
