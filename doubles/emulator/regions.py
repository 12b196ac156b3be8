"""Regions: a seller account sells in the marketplaces of one region (NA, EU or FE).

An SP-API endpoint serves one region, and a request naming a marketplace of another region is
refused as Amazon refuses it: 403 ``Unauthorized`` with the details "The marketplaces you
provided are not valid for region." (amzn/selling-partner-api-models#5126). A marketplace id
Amazon does not know is 400 ``InvalidInput`` "Invalid 'marketplaceIds' provided.". Each
marketplace's orders carry its own sales channel (``Amazon.co.jp``, ``Amazon.de``...).
"""

from __future__ import annotations

from stockguard.core.domain import MARKETPLACES, MARKETPLACES_BY_ID
from stockguard.doubles.emulator.wire import UNAUTHORIZED, Response, error

NOT_IN_REGION = "The marketplaces you provided are not valid for region."
INVALID_MARKETPLACES = "Invalid 'marketplaceIds' provided."

# Orders v0 ``SalesChannel`` and v2026 ``marketplaceName``: the storefront host, capitalised.
SALES_CHANNELS = {
    m.marketplace_id: m.storefront[:1].upper() + m.storefront[1:] for m in MARKETPLACES.values()
}


def sales_channel(marketplace_id: str) -> str:
    """``Amazon.co.jp`` for JP and so on; ``Amazon.com`` for a marketplace it does not know."""
    return SALES_CHANNELS.get(marketplace_id, "Amazon.com")


def region_codes(region: str) -> list[str]:
    """The short codes of a region's marketplaces (``US, CA, MX, BR`` for NA)."""
    return [m.code for m in MARKETPLACES.values() if m.region == region]


def outside_region(region: str, marketplace_ids: list[str]) -> list[str]:
    """The known marketplace ids of ``marketplace_ids`` that belong to another region."""
    return [
        i
        for i in marketplace_ids
        if i in MARKETPLACES_BY_ID and MARKETPLACES_BY_ID[i].region != region
    ]


def refusal(region: str, marketplace_ids: list[str]) -> Response | None:
    """Amazon's answer to marketplace ids an endpoint of ``region`` cannot serve, or None."""
    unknown = [i for i in marketplace_ids if i not in MARKETPLACES_BY_ID]
    if unknown:
        return error(400, "InvalidInput", INVALID_MARKETPLACES, ", ".join(unknown))
    if outside_region(region, marketplace_ids):
        return error(403, *UNAUTHORIZED, NOT_IN_REGION)
    return None
