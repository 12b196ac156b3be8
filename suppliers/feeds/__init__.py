"""CSV supplier feeds: encodings, column maps, row checks, the drift guard, the import.

Entry point: ``import_feed(path, supplier, settings, store, clock)``; see docs/fetch-and-feeds.md.
"""

from __future__ import annotations

from stockguard.suppliers.feeds.drift import FeedSummary, check_drift
from stockguard.suppliers.feeds.importer import (
    FeedStore,
    ImportReport,
    import_feed,
    import_feed_data,
)
from stockguard.suppliers.feeds.reading import FeedRefused, RawFeed, read_feed
from stockguard.suppliers.feeds.rows import FeedItem, ParsedFeed, RowProblem, parse_feed

__all__ = [
    "FeedItem",
    "FeedRefused",
    "FeedStore",
    "FeedSummary",
    "ImportReport",
    "ParsedFeed",
    "RawFeed",
    "RowProblem",
    "check_drift",
    "import_feed",
    "import_feed_data",
    "parse_feed",
    "read_feed",
]
