"""What the emulated Amazon knows: listings, orders, feeds, documents, reports and history.

One ``EmulatorState`` is shared by the HTTP handlers, the buyer simulation and the Python
inspection API; every reader and writer holds ``state.lock`` (an RLock), so a request is
applied atomically, as Amazon's own record of a listing would be.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from stockguard.core.domain import FulfilmentChannel
from stockguard.doubles.emulator.offers import OfferBook

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


class Inventory:
    """The merchant-fulfilled inventory of one SKU: seller + SKU, not marketplace.

    Amazon keeps the MFN quantity, lead time and restock date once per SKU of a seller
    account and shows it in every marketplace that lists the SKU (amzn/selling-partner-api-
    docs#3167, selling-partner-api-models#4356): a change in one marketplace is a change in
    all. ``records`` is the ``fulfillment_availability`` attribute (None: not set).
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] | None = None

    def mfn_record(self) -> dict[str, Any] | None:
        """The merchant-fulfilled (DEFAULT) fulfillment_availability entry, if any."""
        for entry in self.records or []:
            if entry.get("fulfillment_channel_code") == MFN_CHANNEL:
                return entry
        return None

    @property
    def quantity(self) -> int | None:
        record = self.mfn_record()
        value = record.get("quantity") if record else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class ListingAttributes(MutableMapping[str, list[dict[str, Any]]]):
    """A listing's attributes as one mapping: ``fulfillment_availability`` lives in the SKU's
    shared Inventory, every other attribute (the offer) in the marketplace's own listing."""

    def __init__(self, own: dict[str, list[dict[str, Any]]], inventory: Inventory) -> None:
        self._own = own
        self._inventory = inventory

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        if name != QTY_ATTR:
            return self._own[name]
        if self._inventory.records is None:
            raise KeyError(name)
        return self._inventory.records

    def __setitem__(self, name: str, value: list[dict[str, Any]]) -> None:
        if name == QTY_ATTR:
            self._inventory.records = value
        else:
            self._own[name] = value

    def __delitem__(self, name: str) -> None:
        if name != QTY_ATTR:
            del self._own[name]
        elif self._inventory.records is None:
            raise KeyError(name)
        else:
            self._inventory.records = None

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        if self._inventory.records is not None:
            yield QTY_ATTR

    def __len__(self) -> int:
        return len(self._own) + (self._inventory.records is not None)


@dataclass
class ListingState:
    """One listing: a SKU's offer in one marketplace, over the SKU's shared inventory."""

    sku: str
    marketplace_id: str
    asin: str
    product_type: str
    created_at: datetime
    updated_at: datetime
    item_name: str = ""
    price: Decimal | None = None  # shown in the All Listings report only
    inventory: Inventory = field(default_factory=Inventory)
    offer: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # other attributes

    @property
    def attributes(self) -> ListingAttributes:
        """Every attribute, snake_case, as Amazon stores them (the quantity is the SKU's)."""
        return ListingAttributes(self.offer, self.inventory)

    @property
    def fulfillment_channel(self) -> str:
        """DEFAULT (merchant-fulfilled) when there is such a record, else the first code (FBA)."""
        codes = [e.get("fulfillment_channel_code") for e in self.inventory.records or []]
        if MFN_CHANNEL in codes or not codes:
            return MFN_CHANNEL
        return str(codes[0])

    def mfn_record(self) -> dict[str, Any] | None:
        """The merchant-fulfilled (DEFAULT) fulfillment_availability entry, if any."""
        return self.inventory.mfn_record()

    @property
    def quantity(self) -> int | None:
        return self.inventory.quantity

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
    fulfillment_channel: str = FulfilmentChannel.MERCHANT  # MFN | AFN
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
    """The emulated seller account: one region, its listings, orders, feeds and reports."""

    seller_id: str
    region: str = "NA"  # NA | EU | FE: the marketplaces this account sells in
    default_marketplace: str = "ATVPDKIKX0DER"
    # Offers by SKU, then by marketplace id, in the order they were listed.
    listings: dict[str, dict[str, ListingState]] = field(default_factory=dict)
    # One inventory per SKU, shared by the SKU's listings in every marketplace.
    inventories: dict[str, Inventory] = field(default_factory=dict)
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

    def add_listing(
        self, sku: str, marketplace_id: str, product_type: str, at: datetime
    ) -> ListingState:
        """A new offer for ``sku`` in a marketplace, over the SKU's inventory (made if new)."""
        inventory = self.inventories.setdefault(sku, Inventory())
        listing = ListingState(sku, marketplace_id, "", product_type, at, at, inventory=inventory)
        self.listings.setdefault(sku, {})[marketplace_id] = listing
        return listing

    def remove_listing(self, listing: ListingState) -> None:
        """Delist an offer; the inventory goes with the SKU's last listing."""
        offers = self.listings.get(listing.sku, {})
        offers.pop(listing.marketplace_id, None)
        if not offers:
            self.listings.pop(listing.sku, None)
            self.inventories.pop(listing.sku, None)

    def find_listing(self, sku: str, marketplace_ids: list[str]) -> ListingState | None:
        """The SKU's listing in the first of ``marketplace_ids`` that has it, else None."""
        offers = self.listings.get(sku, {})
        for marketplace_id in marketplace_ids:
            if marketplace_id in offers:
                return offers[marketplace_id]
        return None

    def listings_of(self, sku: str) -> list[ListingState]:
        """The SKU's listings in every marketplace, in the order they were listed."""
        return list(self.listings.get(sku, {}).values())

    def first_listing(self, sku: str) -> ListingState | None:
        """The SKU's first listing (where an order without a marketplace is placed)."""
        return next(iter(self.listings.get(sku, {}).values()), None)

    def every_listing(self) -> list[ListingState]:
        """All listings of every marketplace."""
        return [ls for offers in self.listings.values() for ls in offers.values()]

    def record_quantity(self, sku: str, at: datetime, cause: str) -> None:
        """Append the SKU's current MFN quantity to its history (None is not recorded)."""
        inventory = self.inventories.get(sku)
        qty = inventory.quantity if inventory else None
        if qty is not None:
            self.history.setdefault(sku, []).append((at, qty, cause))

    def adjust_quantity(self, sku: str, delta: int, at: datetime, cause: str) -> None:
        """Add ``delta`` to a SKU's MFN quantity (never below 0), as orders and restocks do."""
        inventory = self.inventories.get(sku)
        record = inventory.mfn_record() if inventory else None
        if record is None or inventory is None or inventory.quantity is None:
            return
        record["quantity"] = max(0, record["quantity"] + delta)
        for listing in self.listings_of(sku):
            listing.updated_at = at
        self.record_quantity(sku, at, cause)
