"""The shared vocabulary of stockguard: frozen values that every package speaks.

Only the standard library is imported here. Money is ``Decimal`` with a currency, times are
timezone-aware UTC, and every state that can be "not known" says so explicitly
(``Availability.UNKNOWN``) instead of defaulting to something hopeful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Availability(StrEnum):
    """What a supplier check concluded. UNKNOWN is a state of its own, never "maybe in stock"."""

    IN_STOCK = "IN_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    UNKNOWN = "UNKNOWN"


class UnknownReason(StrEnum):
    """Why a check could not decide; carried by every UNKNOWN observation."""

    BLOCKED = "blocked"  # captcha, bot check, 403/429/503
    ERROR = "error"  # network error, 5xx, empty or truncated body
    LAYOUT_CHANGED = "layout-changed"  # a product page, but no decisive evidence found
    NOT_A_PRODUCT_PAGE = "not-a-product-page"  # search/top page, redirect, collection page
    NOT_IN_FEED = "not-in-feed"  # the item is absent from a feed configured not to imply 0
    UNCONFIRMED = "unconfirmed"  # a negative an API is known to give falsely, not yet confirmed


class SourceKind(StrEnum):
    """Where a supplier's stock is read from."""

    PAGE = "page"  # a product page URL, read by a page adapter
    FEED = "feed"  # an item code in a supplier's CSV feed
    API = "api"  # an item at an official item API: ref "api:NAME:CODE" (sync/api_refs.py)


class Reason(StrEnum):
    """Why a decision shows what it shows (sync/policy.py's table says when each applies)."""

    NO_SOURCES = "no-sources"
    NO_OBSERVATION = "no-observation"
    STALE = "stale"
    UNKNOWN = "unknown"
    UNKNOWN_HOLD = "unknown-hold"
    OUT_OF_STOCK = "out-of-stock"
    SHIPPING_DELAY = "shipping-delay"
    OVER_MAX_COST = "over-max-cost"
    CURRENCY_MISMATCH = "currency-mismatch"
    LOW_QUANTITY = "low-quantity"
    SOLD_THROUGH = "sold-through"
    RESTORE_PENDING = "restore-pending"
    IN_STOCK = "in-stock"


class FulfilmentChannel(StrEnum):
    """Who ships an order: the seller (merchant-fulfilled, stockguard's business) or Amazon
    (FBA), as the Orders API v0 and the listings say it."""

    MERCHANT = "MFN"
    AMAZON = "AFN"


class CancelReason(StrEnum):
    """CancelReason values of the order-acknowledgement feed (OrderAcknowledgement.xsd)."""

    NO_INVENTORY = "NoInventory"
    SHIPPING_ADDRESS_UNDELIVERABLE = "ShippingAddressUndeliverable"
    CUSTOMER_EXCHANGE = "CustomerExchange"
    BUYER_CANCELED = "BuyerCanceled"
    GENERAL_ADJUSTMENT = "GeneralAdjustment"
    CARRIER_CREDIT_DECISION = "CarrierCreditDecision"
    RISK_ASSESSMENT_INFORMATION_NOT_VALID = "RiskAssessmentInformationNotValid"
    CARRIER_COVERAGE_FAILURE = "CarrierCoverageFailure"
    CUSTOMER_RETURN = "CustomerReturn"
    MERCHANDISE_NOT_RECEIVED = "MerchandiseNotReceived"


class OrderStatus(StrEnum):
    """An order's fulfilment status, normalised across Orders v0 and v2026-01-01."""

    PENDING_AVAILABILITY = "PENDING_AVAILABILITY"
    PENDING = "PENDING"
    UNSHIPPED = "UNSHIPPED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"
    UNFULFILLABLE = "UNFULFILLABLE"
    INVOICE_UNCONFIRMED = "INVOICE_UNCONFIRMED"


class Party(StrEnum):
    """Who requested or executed a cancellation (v2026 requester / cancelledBy)."""

    BUYER = "BUYER"
    MERCHANT = "MERCHANT"
    AMAZON = "AMAZON"


@dataclass(frozen=True)
class Money:
    """An amount of money: Decimal, never float, always with its ISO currency code."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class Marketplace:
    """An Amazon marketplace: short code, SP-API id, region, currency, local time zone and
    storefront host (where its ``/dp/ASIN`` pages live, and its mails come from)."""

    code: str
    marketplace_id: str
    region: str  # NA / EU / FE
    currency: str
    timezone: str
    storefront: str


MARKETPLACES: dict[str, Marketplace] = {
    m.code: m
    for m in (
        Marketplace("US", "ATVPDKIKX0DER", "NA", "USD", "America/Los_Angeles", "amazon.com"),
        Marketplace("CA", "A2EUQ1WTGCTBG2", "NA", "CAD", "America/Los_Angeles", "amazon.ca"),
        Marketplace("MX", "A1AM78C64UM0Y8", "NA", "MXN", "America/Los_Angeles", "amazon.com.mx"),
        Marketplace("BR", "A2Q3Y263D00KWC", "NA", "BRL", "America/Sao_Paulo", "amazon.com.br"),
        Marketplace("UK", "A1F83G8C2ARO7P", "EU", "GBP", "Europe/London", "amazon.co.uk"),
        Marketplace("DE", "A1PA6795UKMFR9", "EU", "EUR", "Europe/Berlin", "amazon.de"),
        Marketplace("FR", "A13V1IB3VIYZZH", "EU", "EUR", "Europe/Paris", "amazon.fr"),
        Marketplace("IT", "APJ6JRA9NG5V4", "EU", "EUR", "Europe/Rome", "amazon.it"),
        Marketplace("ES", "A1RKKUPIHCS9HS", "EU", "EUR", "Europe/Madrid", "amazon.es"),
        Marketplace("NL", "A1805IZSGTT6HS", "EU", "EUR", "Europe/Amsterdam", "amazon.nl"),
        Marketplace("SE", "A2NODRKZP88ZB9", "EU", "SEK", "Europe/Stockholm", "amazon.se"),
        Marketplace("PL", "A1C3SOZRARQ6R3", "EU", "PLN", "Europe/Warsaw", "amazon.pl"),
        Marketplace("BE", "AMEN7PMS3EDWL", "EU", "EUR", "Europe/Brussels", "amazon.com.be"),
        Marketplace("IE", "A28R8C7NBKEWEA", "EU", "EUR", "Europe/Dublin", "amazon.ie"),
        Marketplace("JP", "A1VC38T7YXB528", "FE", "JPY", "Asia/Tokyo", "amazon.co.jp"),
        Marketplace("AU", "A39IBJ37TRP1C6", "FE", "AUD", "Australia/Sydney", "amazon.com.au"),
        Marketplace("SG", "A19VAU5U5O7RUS", "FE", "SGD", "Asia/Singapore", "amazon.sg"),
        Marketplace("TR", "A33AVAJ2PDY3EV", "EU", "TRY", "Europe/Istanbul", "amazon.com.tr"),
        Marketplace("AE", "A2VIGQ35RCS4UG", "EU", "AED", "Asia/Dubai", "amazon.ae"),
        Marketplace("SA", "A17E79C6D8DWNP", "EU", "SAR", "Asia/Riyadh", "amazon.sa"),
        Marketplace("EG", "ARBP9OOSHTCHU", "EU", "EGP", "Africa/Cairo", "amazon.eg"),
        Marketplace("IN", "A21TJRUUN4KGV", "EU", "INR", "Asia/Kolkata", "amazon.in"),
    )
}
MARKETPLACES_BY_ID: dict[str, Marketplace] = {m.marketplace_id: m for m in MARKETPLACES.values()}
MARKETPLACES_BY_STOREFRONT: dict[str, Marketplace] = {
    m.storefront: m for m in MARKETPLACES.values()
}


DEFAULT_ACCOUNT = "default"  # the account of a store without [[amazon.accounts]]


def marketplace(code_or_id: str) -> Marketplace:
    """Look a marketplace up by short code (``US``, ``uk``) or SP-API id; KeyError if unknown."""
    key = code_or_id.strip()
    found = MARKETPLACES.get(key.upper()) or MARKETPLACES_BY_ID.get(key)
    if found is None:
        raise KeyError(code_or_id)
    return found


def market_id(code: str) -> str:
    """The SP-API id of a short marketplace code (``US`` -> ``ATVPDKIKX0DER``); KeyError if
    unknown. The catalogue stores codes: this is the edge where they become ids."""
    found = MARKETPLACES.get(code)
    return found.marketplace_id if found is not None else marketplace(code).marketplace_id


@dataclass(frozen=True, order=True)
class PoolKey:
    """One merchant-fulfilled quantity on Amazon: seller account + SKU.

    Amazon keeps the quantity (and lead time) of a seller's SKU once for every marketplace
    the SKU is listed in (amzn/selling-partner-api-docs#3167): a change in one marketplace
    changes them all. So the engine decides, pushes and compares quantities per pool.
    """

    sku: str
    account: str = DEFAULT_ACCOUNT

    @property
    def label(self) -> str:
        """One string per pool, for the planner's schedule: the SKU in the default account,
        ``ACCOUNT::SKU`` in another (an account name never holds a colon)."""
        return self.sku if self.account == DEFAULT_ACCOUNT else f"{self.account}::{self.sku}"


@dataclass(frozen=True, order=True)
class ListingKey:
    """Which listing: a seller account's SKU in one marketplace (its SP-API id, never the
    short code: codes live at the edges, the catalogue CSV and what is displayed)."""

    sku: str
    marketplace_id: str
    account: str = DEFAULT_ACCOUNT

    @classmethod
    def of(cls, sku: str, code_or_id: str, account: str = DEFAULT_ACCOUNT) -> ListingKey:
        """The key of ``sku`` in a marketplace given by short code or id; KeyError if unknown."""
        return cls(sku, market_id(code_or_id), account)

    @property
    def pool(self) -> PoolKey:
        """The quantity this listing shares with the SKU's other marketplaces."""
        return PoolKey(self.sku, self.account)

    @property
    def code(self) -> str:
        """The marketplace's short code (``US``), for display."""
        return MARKETPLACES_BY_ID[self.marketplace_id].code

    def __str__(self) -> str:
        return f"{self.sku} ({self.code})"


def primary_first(key: ListingKey) -> tuple[int, str]:
    """Sort key of a pool's listings: the first is the one a pool's push is addressed to
    (marketplaces in MARKETPLACES order: US before CA before MX; any of them sets the pool)."""
    return (_MARKET_ORDER.get(key.marketplace_id, len(_MARKET_ORDER)), key.marketplace_id)


_MARKET_ORDER = {m.marketplace_id: n for n, m in enumerate(MARKETPLACES.values())}


@dataclass(frozen=True)
class Source:
    """One place a listing's product can be bought: a page URL or an item code in a feed."""

    kind: SourceKind
    ref: str  # URL for PAGE; item code / JAN for FEED
    supplier: str = ""  # adapter name (PAGE, optional: chosen from the URL) or feed supplier (FEED)
    variant: str | None = None  # the size/colour a shop with variants must be read for
    required: bool = False  # every required source must be usable for the listing to be live


@dataclass(frozen=True)
class Listing:
    """A seller's Amazon listing and how to decide its quantity."""

    sku: str
    marketplace: str  # short code, see MARKETPLACES
    asin: str = ""
    product_type: str = "PRODUCT"
    handling_days: int = 2  # lead_time_to_ship_max_days on Amazon
    default_quantity: int = 1  # quantity to show while in stock
    sources: tuple[Source, ...] = ()
    max_cost: Money | None = None  # above this supplier price the listing goes to 0
    safety_buffer: int = 0  # units kept back from a supplier's stated quantity
    pack_size: int = 1  # supplier units per Amazon unit
    account: str = DEFAULT_ACCOUNT  # the seller account it is listed by

    @property
    def key(self) -> ListingKey:
        """Which listing this is (marketplace id inside, the code stays for display)."""
        return ListingKey(self.sku, market_id(self.marketplace), self.account)


@dataclass(frozen=True)
class Observation:
    """What one check of one source saw, with the evidence that decided it."""

    source_ref: str
    availability: Availability
    checked_at: datetime
    evidence: str  # e.g. "#availability: 現在在庫切れです"
    reason: UnknownReason | None = None  # set exactly when availability is UNKNOWN
    quantity: int | None = None  # stated quantity (残りN点, "Only 3 left", feed column)
    price: Money | None = None
    ships_within_days: int | None = None  # stated shipping delay (お取り寄せ, 通常2～3日以内に発送)
    http_status: int | None = None
    content_hash: str | None = None
    adapter: str = ""
    url: str | None = None  # the final URL, after redirects

    def __post_init__(self) -> None:
        if (self.availability is Availability.UNKNOWN) != (self.reason is not None):
            raise ValueError("an UNKNOWN observation needs a reason, and only an UNKNOWN one")
        if self.checked_at.tzinfo is None:
            raise ValueError("checked_at must be timezone-aware")


@dataclass(frozen=True)
class Decision:
    """The quantity a listing should show on Amazon, and why."""

    sku: str
    marketplace: str
    target_quantity: int
    reason: str  # a Reason's value ("out-of-stock", "unknown", "in-stock"...)
    evidence: str  # the evidence of the observation behind it
    decided_at: datetime
    source_ref: str | None = None
    review_at: datetime | None = None  # when time alone could change it (evidence ageing)
    account: str = DEFAULT_ACCOUNT

    @property
    def key(self) -> ListingKey:
        """The listing this decision is for."""
        return ListingKey(self.sku, market_id(self.marketplace), self.account)


@dataclass(frozen=True)
class QuantityUpdate:
    """One quantity to set on Amazon for a merchant-fulfilled SKU."""

    sku: str
    quantity: int
    marketplace_id: str  # the marketplace the request names; the quantity is the pool's
    product_type: str = "PRODUCT"
    account: str = DEFAULT_ACCOUNT  # whose quantity: sent through this account's gateway

    @property
    def pool(self) -> PoolKey:
        """The quantity this update sets (every marketplace of the SKU)."""
        return PoolKey(self.sku, self.account)


@dataclass(frozen=True)
class OrderItem:
    """One line of an order."""

    order_item_id: str  # the 14-digit AmazonOrderItemCode
    sku: str
    quantity: int
    asin: str = ""
    quantity_shipped: int = 0
    buyer_requested_cancel: bool = False
    buyer_cancel_reason: str | None = None


@dataclass(frozen=True)
class Order:
    """A seller-fulfilled (or Amazon-fulfilled) order, as far as stockguard needs it."""

    order_id: str
    marketplace_id: str
    status: OrderStatus
    purchased_at: datetime
    last_updated_at: datetime
    fulfilled_by: str = "MERCHANT"  # MERCHANT (MFN) or AMAZON (AFN)
    items: tuple[OrderItem, ...] = field(default_factory=tuple)
    cancel_requested_by: Party | None = None
    cancelled_by: Party | None = None
    cancel_reason: str | None = None
    latest_ship_date: datetime | None = None
    account: str = DEFAULT_ACCOUNT  # the seller account it was pulled through


@dataclass(frozen=True)
class FeedImportRecord:
    """One supplier feed file's import, as the importer hands it to the store to be recorded."""

    supplier: str
    file_name: str
    file_sha256: str
    imported_at: datetime
    status: str  # applied | refused
    rows_total: int  # data rows read from the file
    rows_refused: int  # rows that failed their checks
    totals: tuple[int, int, int]  # (items, out_of_stock, total_quantity) of the usable rows
    missing: int  # items a full feed no longer lists
    accepted_drift: bool  # applied despite drift, because the operator said so
    encoding: str
    message: str  # why it was refused (the drift found); empty when applied
