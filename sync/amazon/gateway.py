"""The only importer of ``sp_api``: every call stockguard makes to Amazon goes through here.

(Stub: the public interface other modules code against; the implementation is in progress.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sync.amazon.results import FeedResult, SubmissionResult
from sync.clock import Clock, SystemClock
from sync.config import AmazonSettings, Secrets
from sync.domain import Order, QuantityUpdate


class AmazonGateway:
    """Rate-limited, retrying access to the Selling Partner API for one seller account."""

    def __init__(
        self, settings: AmazonSettings, secrets: Secrets, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self._secrets = secrets
        self.clock = clock or SystemClock()

    def patch_quantity(self, update: QuantityUpdate) -> SubmissionResult:
        """patchListingsItem with the ``merge`` op (keeps the handling time)."""
        raise NotImplementedError

    def submit_quantity_feed(self, updates: Sequence[QuantityUpdate]) -> str:
        """Create, upload and submit a JSON_LISTINGS_FEED; return the feed id."""
        raise NotImplementedError

    def wait_for_feed(self, feed_id: str) -> FeedResult:
        """Poll a feed until it ends and read its processing report (JSON or XML)."""
        raise NotImplementedError

    def get_quantity(self, sku: str) -> int | None:
        """Amazon's current MFN quantity (getListingsItem, fulfillmentAvailability)."""
        raise NotImplementedError

    def search_orders(self, updated_after: datetime) -> list[Order]:
        """Orders updated after ``updated_after`` with their items (v2026-01-01, v0 fallback)."""
        raise NotImplementedError

    def submit_order_acknowledgements(self, xml: bytes) -> str:
        """Submit a POST_ORDER_ACKNOWLEDGEMENT_DATA feed; return the feed id."""
        raise NotImplementedError

    def request_account_health(self) -> dict[str, Any]:
        """Request and download GET_V2_SELLER_PERFORMANCE_REPORT as parsed JSON."""
        raise NotImplementedError
