"""Mercari and Mercari Shops: read only what a plain fetch can tell.

jp.mercari.com renders items in the browser: the static HTML usually holds no item state,
so the answer is UNKNOWN (layout-changed, "rendered by JavaScript") rather than a guess.
Where the server does send state, it is read: JSON-LD / microdata availability, or a
``__NEXT_DATA__`` / embedded item ``"status"`` of on_sale / sold_out / trading.
"""

from __future__ import annotations

import re

from stockguard.core.domain import UnknownReason
from stockguard.suppliers.base import (
    ParseOptions,
    Reading,
    ShopAdapter,
    in_stock,
    out_of_stock,
    unknown,
)
from stockguard.suppliers.extract import structured_offers
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import decide

_STATUS = re.compile(
    r'"(?:status|itemStatus)"\s*:\s*"(on_sale|sold_out|trading|ITEM_STATUS_\w+|STATUS_\w+)"'
)
_SOLD = ("sold_out", "trading", "ITEM_STATUS_SOLD_OUT", "ITEM_STATUS_TRADING", "STATUS_SOLD_OUT")


class MercariAdapter(ShopAdapter):
    """Mercari items and Mercari Shops products."""

    name = "mercari"
    hosts = ("jp.mercari.com", "mercari.com", "mercari-shops.com")
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        offers = structured_offers(page.dom, page.final_url, "JPY")
        if offers:
            return decide(offers, None, lambda *_: [], offers[0].price)
        status = _STATUS.search(page.scan)
        if status:
            evidence = f'item "status":"{status.group(1)}"'
            if status.group(1) in _SOLD:
                return out_of_stock(evidence)
            if status.group(1) in ("on_sale", "ITEM_STATUS_ON_SALE", "STATUS_OPENED"):
                return in_stock(evidence)
        return unknown(
            UnknownReason.LAYOUT_CHANGED,
            "item rendered by JavaScript: no stock state in the static page",
        )


ADAPTER = MercariAdapter()
