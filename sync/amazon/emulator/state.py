"""What the emulated Amazon knows: listings, orders, feeds, documents, reports and history.

One ``EmulatorState`` is shared by the HTTP handlers, the buyer simulation and the Python
inspection API; every reader and writer holds ``state.lock`` (an RLock), so a request is
applied atomically, as Amazon's own record of a listing would be.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sync.amazon.emulator.offers import OfferBook

MFN_CHANNEL = "DEFAULT"
QTY_ATTR = "fulfillment_availability"
LEAD_TIME_KEY = "lead_time_to_ship_max_days"

# v0 OrderStatus -> v2026 fulfillmentStatus.
V2026_STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
    "InvoiceUnconfirmed": "UNSHIPPED",
}
V0_STATUSES = tuple(V2026_STATUS)


@dataclass
class ListingState:
    """One listing: its identity and its attributes as Amazon stores them (snake_case)."""

    sku: str
    marketplace_id: str
    asin: str
    product_type: str
    created_at: datetime
    updated_at: datetime
    item_name: str = ""
    attributes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    price: Decimal | None = None  # shown in the All Listings report only

    @property
    def fulfillment_channel(self) -> str:
        """DEFAULT (merchant-fulfilled) when there is such a record, else the first code (FBA)."""
        codes = [e.get("fulfillment_channel_code") for e in self.attributes.get(QTY_ATTR, [])]
        if MFN_CHANNEL in codes or not codes:
            return MFN_CHANNEL
        return str(codes[0])

    def mfn_record(self) -> dict[str, Any] | None:
        """The merchant-fulfilled (DEFAULT) fulfillment_availability entry, if any."""
        for entry in self.attributes.get(QTY_ATTR, []):
            if entry.get("fulfillment_channel_code") == MFN_CHANNEL:
                return entry
        return None

    @property
    def quantity(self) -> int | None:
        record = self.mfn_record()
        value = record.get("quantity") if record else None
        return value if isinstance(value, int) else None

    @property
    def handling_days(self) -> int | None:
        record = self.mfn_record()
        value = record.get(LEAD_TIME_KEY) if record else None
        return value if isinstance(value, int) else None


@dataclass
class OrderItemState:
    """One order line; ``order_item_id`` is the 14-digit AmazonOrderItemCode."""

    order_item_id: str
    sku: str
    asin: str
    quantity: int
    price: Decimal = Decimal("10.00")
    quantity_shipped: int = 0
    buyer_cancel_requested: bool = False
    buyer_cancel_reason: str | None = None
    cancel_reason: str | None = None  # the reason the order was cancelled with (execution)


@dataclass
class OrderState:
    """One order in the order book, with v0 status names (``Unshipped``, ``Canceled``...)."""

    order_id: str
    marketplace_id: str
    status: str
    purchase_date: datetime
    last_update_date: datetime
    items: list[OrderItemState]
    fulfillment_channel: str = "MFN"  # MFN | AFN
    currency: str = "USD"
    latest_ship_date: datetime | None = None
    cancelled_by: str | None = None  # BUYER | MERCHANT | AMAZON
    cancel_reason: str | None = None
    acknowledged: bool = False

    @property
    def buyer_cancel_requested(self) -> bool:
        return any(item.buyer_cancel_requested for item in self.items)


@dataclass
class DocumentState:
    """A feed input, feed result or report document held at ``/_docs/<id>``."""

    doc_id: str
    content_type: str
    content: bytes | None = None
    compression: str | None = None  # "GZIP" when ``content`` is gzipped


@dataclass
class FeedState:
    """A submitted feed; its processing status follows the clock (see feeds.py)."""

    feed_id: str
    feed_type: str
    marketplace_ids: list[str]
    input_doc_id: str
    created_at: datetime
    due_seconds: float
    status: str = "IN_QUEUE"  # IN_QUEUE | IN_PROGRESS | DONE | FATAL | CANCELLED
    started_at: datetime | None = None
    done_at: datetime | None = None
    result_doc_id: str | None = None


@dataclass
class ReportState:
    """A requested report; its status follows the clock (see reports.py)."""

    report_id: str
    report_type: str
    marketplace_ids: list[str]
    created_at: datetime
    status: str = "DONE"
    doc_id: str | None = None


@dataclass
class EmulatorState:
    """The emulated seller account."""

    seller_id: str
    listings: dict[str, ListingState] = field(default_factory=dict)
    # The same SKU listed in another marketplace of the account, keyed (sku, marketplace id).
    # Only the listing reads, patches and reports see these; orders, feeds, buyers and the
    # quantity history act on the SKU's first listing (``listings``).
    elsewhere: dict[tuple[str, str], ListingState] = field(default_factory=dict)
    orders: dict[str, OrderState] = field(default_factory=dict)
    feeds: dict[str, FeedState] = field(default_factory=dict)
    documents: dict[str, DocumentState] = field(default_factory=dict)
    reports: dict[str, ReportState] = field(default_factory=dict)
    history: dict[str, list[tuple[datetime, int, str]]] = field(default_factory=dict)
    account_health: dict[str, Any] | None = None  # the seed's override, if any
    offer_book: OfferBook = field(default_factory=OfferBook)  # supplier items (Product Pricing)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def next_id(self) -> int:
        """A process-unique counter for feed, report, document and submission ids."""
        return next(self._ids)

    def find_listing(self, sku: str, marketplace_ids: list[str]) -> ListingState | None:
        """The SKU's listing in the first of ``marketplace_ids`` that has it, else None."""
        first = self.listings.get(sku)
        for marketplace_id in marketplace_ids:
            if first is not None and first.marketplace_id == marketplace_id:
                return first
            other = self.elsewhere.get((sku, marketplace_id))
            if other is not None:
                return other
        return None

    def every_listing(self) -> list[ListingState]:
        """All listings of every marketplace."""
        return [*self.listings.values(), *self.elsewhere.values()]

    def record_quantity(self, listing: ListingState, at: datetime, cause: str) -> None:
        """Append the listing's current MFN quantity to its history (None is not recorded).

        The history is the SKU's first listing's; a listing in another marketplace has none.
        """
        qty = listing.quantity
        if qty is not None and self.listings.get(listing.sku) is listing:
            self.history.setdefault(listing.sku, []).append((at, qty, cause))

    def adjust_quantity(self, sku: str, delta: int, at: datetime, cause: str) -> None:
        """Add ``delta`` to a listing's MFN quantity (never below 0), as orders and restocks do."""
        listing = self.listings.get(sku)
        record = listing.mfn_record() if listing else None
        if listing is None or record is None or not isinstance(record.get("quantity"), int):
            return
        record["quantity"] = max(0, record["quantity"] + delta)
        listing.updated_at = at
        self.record_quantity(listing, at, cause)
