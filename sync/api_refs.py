"""Item-API sources: ``api:NAME:CODE`` in the catalogue, and pages an API can read instead.

An API source names an official item API and the item's code there:

* ``api:amazon-jp:B0XXXXXXXX`` — an ASIN on one Amazon marketplace (``amazon-<code>`` for any
  marketplace in ``core.domain.MARKETPLACES``: ``amazon-us``, ``amazon-uk``…), read through
  SP-API Product Pricing;
* ``api:rakuten:SHOP:ITEM`` — a Rakuten Ichiba ``itemCode`` (``shopCode:itemId``; the item id
  is Rakuten's, not the slug of the item's URL);
* ``api:yahoo:STORE_ITEM`` — a Yahoo! Shopping item code (``storeId_itemCode``).

It becomes ``Source(SourceKind.API, ref="api:NAME:CODE", supplier=NAME)``: the whole text is the
ref (unique across APIs and marketplaces, and what `why` prints). A page URL maps to the same
API item (``page_item``), so the composition root can read it through the API when that API is
configured: an Amazon product page (``/dp/ASIN``) and a Yahoo! Shopping item page
(``store.shopping.yahoo.co.jp/STORE/ITEM.html`` -> ``STORE_ITEM``) by their URL alone, a
Rakuten item page only by the code resolved for it at import (its URL slug is not its code).
Pure: only the standard library and the domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from stockguard.core.domain import MARKETPLACES, Source, SourceKind

PREFIX = "api:"
# Each Amazon marketplace's storefront host (where its /dp/ASIN pages live).
AMAZON_HOSTS = {
    "US": "amazon.com",
    "CA": "amazon.ca",
    "MX": "amazon.com.mx",
    "BR": "amazon.com.br",
    "UK": "amazon.co.uk",
    "DE": "amazon.de",
    "FR": "amazon.fr",
    "IT": "amazon.it",
    "ES": "amazon.es",
    "NL": "amazon.nl",
    "SE": "amazon.se",
    "PL": "amazon.pl",
    "BE": "amazon.com.be",
    "IE": "amazon.ie",
    "JP": "amazon.co.jp",
    "AU": "amazon.com.au",
    "SG": "amazon.sg",
}
_MARKET_BY_HOST = {host: code for code, host in AMAZON_HOSTS.items()}
_ASIN = re.compile(r"[A-Z0-9]{10}")
YAHOO_ITEM_HOST = "store.shopping.yahoo.co.jp"
RAKUTEN_ITEM_HOST = "item.rakuten.co.jp"
_YAHOO_PATH = re.compile(r"/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9_.-]+)\.html")
_DP_PATH = re.compile(r"/(?:dp|gp/product|gp/aw/d)/([A-Za-z0-9]{10})(?=[/?#]|$)")
# API family -> (code pattern, what the message shows). Amazon's family is per marketplace.
CODE_SYNTAX: dict[str, tuple[re.Pattern[str], str]] = {
    "amazon": (_ASIN, "an ASIN of 10 letters or digits"),
    "rakuten": (re.compile(r"[a-z0-9_-]+:[^\s:]+"), "SHOP:ITEM, the itemCode (shopCode:itemId)"),
    "yahoo": (re.compile(r"[a-z0-9-]+_\S+"), "STORE_ITEM, the item code (storeId_itemCode)"),
}


def family(name: str) -> str:
    """The API family of an API name: ``amazon-jp`` -> ``amazon``, ``rakuten`` -> ``rakuten``."""
    return "amazon" if name.startswith("amazon-") else name


def lane(name: str) -> str:
    """The planner's budget lane (and the observations' adapter) for an API: ``api:NAME``."""
    return PREFIX + name


def amazon_marketplace(name: str) -> str | None:
    """``amazon-jp`` -> ``JP`` (None when the name is not a known Amazon marketplace's)."""
    if not name.startswith("amazon-"):
        return None
    code = name.removeprefix("amazon-").upper()
    return code if code in MARKETPLACES else None


def parse(ref: str) -> Source:
    """``api:NAME:CODE`` -> an API Source; ValueError with a message naming what is wrong."""
    _, name, code = [*ref.split(":", 2), "", ""][:3]
    name, code = name.strip().lower(), code.strip()
    if not name or not code:
        raise ValueError(f"bad API source {ref!r}: expected api:NAME:CODE")
    kind = family(name)
    if kind == "amazon" and amazon_marketplace(name) is None:
        raise ValueError(
            f"bad API source {ref!r}: unknown Amazon marketplace {name!r} "
            "(amazon-jp, amazon-us, amazon-uk…)"
        )
    syntax = CODE_SYNTAX.get(kind)
    if syntax is None:
        known = ", ".join(
            ["amazon-<marketplace>", *sorted(k for k in CODE_SYNTAX if k != "amazon")]
        )
        raise ValueError(f"bad API source {ref!r}: unknown API {name!r} (known: {known})")
    if kind == "amazon":
        code = code.upper()
    if not syntax[0].fullmatch(code):
        raise ValueError(f"bad API source {ref!r}: the code must be {syntax[1]}")
    return Source(SourceKind.API, f"{PREFIX}{name}:{code}", supplier=name)


def item(source: Source) -> tuple[str, str] | None:
    """(API name, item code) of an API source, else None."""
    if source.kind is not SourceKind.API:
        return None
    _, name, code = source.ref.split(":", 2)
    return name, code


def page_item(url: str, resolved: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(API name, code) an item page is the same item as: an Amazon ``/dp/ASIN`` page, a Yahoo!
    Shopping item page, or a Rakuten item page whose code was resolved (``resolved``: URL ->
    Rakuten ``itemCode``, from ``api_codes``). Never guessed: anything else is None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    market = _MARKET_BY_HOST.get(host)
    if market is not None:
        found = _DP_PATH.search(parts.path)
        return (f"amazon-{market.lower()}", found.group(1).upper()) if found else None
    if host == YAHOO_ITEM_HOST:
        path = _YAHOO_PATH.fullmatch(parts.path)
        return ("yahoo", f"{path.group(1).lower()}_{path.group(2)}") if path else None
    if host == RAKUTEN_ITEM_HOST and resolved and url in resolved:
        return "rakuten", resolved[url]
    return None


def page_url(name: str, code: str) -> str | None:
    """The public page of an API item (for the audit sample), when one is derivable."""
    market = amazon_marketplace(name)
    if market is not None:
        return f"https://www.{AMAZON_HOSTS[market]}/dp/{code}"
    if name == "yahoo" and "_" in code:
        store, item_code = code.split("_", 1)
        return f"https://store.shopping.yahoo.co.jp/{store}/{item_code}.html"
    return None  # Rakuten: the item id is not the URL slug
