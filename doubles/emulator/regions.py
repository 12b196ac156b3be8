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

# The storefront of each marketplace: Orders v0 ``SalesChannel``, v2026 ``marketplaceName``.
_SALES_CHANNELS = {
    "US": "Amazon.com",
    "CA": "Amazon.ca",
    "MX": "Amazon.com.mx",
    "BR": "Amazon.com.br",
    "UK": "Amazon.co.uk",
    "DE": "Amazon.de",
    "FR": "Amazon.fr",
    "IT": "Amazon.it",
    "ES": "Amazon.es",
    "NL": "Amazon.nl",
    "SE": "Amazon.se",
    "PL": "Amazon.pl",
    "BE": "Amazon.com.be",
    "IE": "Amazon.ie",
    "JP": "Amazon.co.jp",
    "AU": "Amazon.com.au",
    "SG": "Amazon.sg",
}
SALES_CHANNELS = {MARKETPLACES[code].marketplace_id: name for code, name in _SALES_CHANNELS.items()}


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
