"""Item-API sources: ``api:NAME:CODE`` in the catalogue, and pages an API can read instead.

An API source names an official item API and the item's code there:

* ``api:amazon-jp:B0XXXXXXXX`` — an ASIN on one Amazon marketplace (``amazon-<code>`` for any
  marketplace in ``core.domain.MARKETPLACES``: ``amazon-us``, ``amazon-uk``…), read through
  SP-API Product Pricing;
* ``api:rakuten:SHOP:ITEM`` — a Rakuten Ichiba ``itemCode`` (``shopCode:itemId``; the item id
  is Rakuten's, not the slug of the item's URL);
* ``api:yahoo:STORE_ITEM`` — a Yahoo! Shopping item code (``storeId_itemCode``).

It becomes ``Source(SourceKind.API, ref="api:NAME:CODE", supplier=NAME)``: the whole text is the
ref (unique across APIs and marketplaces, and what `why` prints). Which page URLs are the same
items as API items is the suppliers' knowledge (``suppliers.apis.page_items``).
Pure: only the standard library and the domain.
"""

from __future__ import annotations

import re

from stockguard.core.domain import MARKETPLACES, Source, SourceKind

PREFIX = "api:"
_ASIN = re.compile(r"[A-Z0-9]{10}")
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
