"""Item pages an official item API can read instead: a page URL -> (API name, item code).

An Amazon product page (``/dp/ASIN`` on a marketplace's storefront) and a Yahoo! Shopping
item page (``/STORE/ITEM.html`` -> ``STORE_ITEM``) map by their URL alone; a Rakuten item
page only by the code resolved for it at import (its URL slug is not its ``itemCode``).
Never guessed: anything else is None. The hosts are the ones the marketplaces and the shop
adapters declare.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from stockguard.core.domain import MARKETPLACES, MARKETPLACES_BY_STOREFRONT
from stockguard.suppliers.apis.yahoo import code_from_url
from stockguard.suppliers.shops.rakuten import ITEM_HOST as RAKUTEN_ITEM_HOST
from stockguard.suppliers.shops.yahoo import ITEM_HOST as YAHOO_ITEM_HOST

_DP_PATH = re.compile(r"/(?:dp|gp/product|gp/aw/d)/([A-Za-z0-9]{10})(?=[/?#]|$)")


def page_item(url: str, resolved: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(API name, code) an item page is the same item as (``resolved``: URL -> Rakuten
    ``itemCode``, from ``api_codes``)."""
    try:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return None
    market = MARKETPLACES_BY_STOREFRONT.get(host)
    if market is not None:
        found = _DP_PATH.search(urlsplit(url).path)
        return (f"amazon-{market.code.lower()}", found.group(1).upper()) if found else None
    if host == YAHOO_ITEM_HOST and urlsplit(url).path.endswith(".html"):
        try:
            return "yahoo", code_from_url(url)
        except ValueError:
            return None
    if host == RAKUTEN_ITEM_HOST and resolved and url in resolved:
        return "rakuten", resolved[url]
    return None


def page_url(name: str, code: str) -> str | None:
    """The public page of an API item (for the audit sample), when one is derivable."""
    if name.startswith("amazon-") and name.removeprefix("amazon-").upper() in MARKETPLACES:
        storefront = MARKETPLACES[name.removeprefix("amazon-").upper()].storefront
        return f"https://www.{storefront}/dp/{code}"
    if name == "yahoo" and "_" in code:
        store, item_code = code.split("_", 1)
        return f"https://{YAHOO_ITEM_HOST}/{store}/{item_code}.html"
    return None  # Rakuten: the item id is not the URL slug
