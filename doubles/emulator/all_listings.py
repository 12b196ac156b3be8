"""GET_MERCHANT_LISTINGS_ALL_DATA, Amazon's "All Listings Report", for one marketplace.

A tab-delimited text document, first line the header (the 29 columns Amazon documents), one
line per listing of the marketplace, lines ending in ``\\n``. ``quantity`` is the merchant-
fulfilled (DEFAULT) quantity and is empty on FBA rows (``fulfillment-channel`` AMAZON_NA...);
``status`` is Active when the listing can sell (MFN quantity > 0, or FBA) and Inactive
otherwise. The emulator always writes UTF-8 with English headers; real reports are
windows-1252 or UTF-8 (US, EU) and Shift_JIS (Cp932) with Japanese headers (JP), which the
gateway's reader (core/amazon/listings_report.py) accepts as well. Tabs and line breaks inside
a value become spaces, as they cannot be represented in the format.
"""

from __future__ import annotations

import zlib
from zoneinfo import ZoneInfo

from stockguard.core.domain import MARKETPLACES_BY_ID
from stockguard.doubles.emulator.state import MFN_CHANNEL, EmulatorState, ListingState

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
    lines = ["\t".join(COLUMNS), *(_line(ls, zone) for ls in listings)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _timezone(marketplace_id: str) -> str:
    market = MARKETPLACES_BY_ID.get(marketplace_id)
    return market.timezone if market else "UTC"


def _line(listing: ListingState, zone: ZoneInfo) -> str:
    """One listing's line, values in COLUMNS order (only the seeded texts need cleaning)."""
    channel = listing.fulfillment_channel
    mfn = channel == MFN_CHANNEL
    quantity = listing.quantity
    live = (quantity is not None and quantity > 0) if mfn else True
    sku, asin = listing.sku.translate(_UNSAFE), listing.asin.translate(_UNSAFE)
    values = (
        (listing.item_name or listing.sku).translate(_UNSAFE),  # item-name
        "",  # item-description
        _listing_id(listing),
        sku,
        str(listing.price) if listing.price is not None else "",
        str(quantity) if mfn and quantity is not None else "",
        listing.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),  # open-date
        "",  # image-url
        "y",  # item-is-marketplace
        "1",  # product-id-type: 1 = ASIN
        "",  # zshop-shipping-fee
        "",  # item-note
        "11",  # item-condition: 11 = New
        "",  # zshop-category1
        "",  # zshop-browse-path
        "",  # zshop-storefront-feature
        asin,  # asin1
        "",  # asin2
        "",  # asin3
        "",  # will-ship-internationally
        "",  # expedited-shipping
        "",  # zshop-boldface
        asin,  # product-id
        "",  # bid-for-featured-placement
        "",  # add-delete
        "0" if mfn else "",  # pending-quantity
        channel,  # fulfillment-channel
        "Migrated Template" if mfn else "",  # merchant-shipping-group
        "Active" if live else "Inactive",  # status
    )
    return "\t".join(values)


def _listing_id(listing: ListingState) -> str:
    """A stable listing id in Amazon's shape (MMDD + letters/digits)."""
    digest = zlib.crc32(f"{listing.marketplace_id}:{listing.sku}".encode())
    return f"{listing.created_at:%m%d}X{digest:010d}"
