"""BASE shops (thebase.in and BASE's other shop domains; recognised from the page).

Not verified against a real page (none was available): structured data first, then the
purchase area (a block named like ``purchase`` / ``cart`` / ``soldOut``), read for
SOLD OUT / 売り切れ / 在庫切れ and カートに入れる / 購入手続きへ.
"""

from __future__ import annotations

from stockguard.suppliers.base import ParseOptions, Reading, ShopAdapter
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import read_standard

_MARKERS = ("thebase.in", "baseec-img-mng.akamaized.net", "static.thebase.in", "base.shop/")
_BUY_AREA = (  # a CSS selector: the shop's buy box when no buy control is found
    "[class*=purchase], "
    "[class*=Purchase], "
    "[id*=purchase], "
    "[class*=cart], "
    "[id*=cart], "
    "[class*=soldOut], "
    "[class*=soldout], "
    "[class*=itemDetail]"
)


class BaseShopAdapter(ShopAdapter):
    """BASE product pages (/items/…)."""

    name = "base"
    hosts = ("thebase.in", "base.shop", "base.ec")
    currency = "JPY"

    def recognises(self, page: Page) -> bool:
        return any(marker in page.scan for marker in _MARKERS)

    def read(self, page: Page, options: ParseOptions) -> Reading:
        return read_standard(page, options, self.currency_for(page, options), _BUY_AREA)


ADAPTER = BaseShopAdapter()
