"""GET_MERCHANT_LISTINGS_ALL_DATA, Amazon's "All Listings Report", for one marketplace.

A tab-delimited text document, first line the header (the 29 columns Amazon documents), one
line per listing of the marketplace, lines ending in ``\\n``. ``quantity`` is the merchant-
fulfilled (DEFAULT) quantity and is empty on FBA rows (``fulfillment-channel`` AMAZON_NA...);
``status`` is Active when the listing can sell (MFN quantity > 0, or FBA) and Inactive
otherwise. The emulator always writes UTF-8 with English headers; real reports are
windows-1252 or UTF-8 (US, EU) and Shift_JIS (Cp932) with Japanese headers (JP), which the
gateway's reader (sync/amazon/listings_report.py) accepts as well. Tabs and line breaks inside
a value become spaces, as they cannot be represented in the format.
"""

from __future__ import annotations

import zlib
from zoneinfo import ZoneInfo

from sync.amazon.emulator.state import MFN_CHANNEL, EmulatorState, ListingState
from sync.domain import MARKETPLACES_BY_ID

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
CONTENT_TYPE = "text/tab-separated-values; charset=UTF-8"
COLUMNS = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "zshop-shipping-fee",
    "item-note",
    "item-condition",
    "zshop-category1",
    "zshop-browse-path",
    "zshop-storefront-feature",
    "asin1",
    "asin2",
    "asin3",
    "will-ship-internationally",
    "expedited-shipping",
    "zshop-boldface",
    "product-id",
    "bid-for-featured-placement",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
)
_UNSAFE = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def document(state: EmulatorState, marketplace_id: str) -> bytes:
    """The report's bytes (UTF-8): every listing of ``marketplace_id``, oldest first."""
    zone = ZoneInfo(_timezone(marketplace_id))
    listings = sorted(
        (ls for ls in state.every_listing() if ls.marketplace_id == marketplace_id),
        key=lambda ls: (ls.created_at, ls.sku),
    )
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(v.translate(_UNSAFE) for v in _row(ls, zone)) for ls in listings]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _timezone(marketplace_id: str) -> str:
    market = MARKETPLACES_BY_ID.get(marketplace_id)
    return market.timezone if market else "UTC"


def _row(listing: ListingState, zone: ZoneInfo) -> list[str]:
    """One line's values, in COLUMNS order."""
    channel = listing.fulfillment_channel
    mfn = channel == MFN_CHANNEL
    quantity = listing.quantity
    live = (quantity is not None and quantity > 0) if mfn else True
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        {
            "item-name": listing.item_name or listing.sku,
            "listing-id": _listing_id(listing),
            "seller-sku": listing.sku,
            "price": str(listing.price) if listing.price is not None else "",
            "quantity": str(quantity) if mfn and quantity is not None else "",
            "open-date": listing.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            "item-is-marketplace": "y",
            "product-id-type": "1",  # 1 = ASIN
            "item-condition": "11",  # 11 = New
            "asin1": listing.asin,
            "product-id": listing.asin,
            "pending-quantity": "0" if mfn else "",
            "fulfillment-channel": channel,
            "merchant-shipping-group": "Migrated Template" if mfn else "",
            "status": "Active" if live else "Inactive",
        }
    )
    return [values[c] for c in COLUMNS]


def _listing_id(listing: ListingState) -> str:
    """A stable listing id in Amazon's shape (MMDD + letters/digits)."""
    digest = zlib.crc32(f"{listing.marketplace_id}:{listing.sku}".encode())
    return f"{listing.created_at:%m%d}X{digest:010d}"
