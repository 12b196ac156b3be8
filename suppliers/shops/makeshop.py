"""MakeShop shops (any domain; recognised from makeshop asset hosts in the page).

Not verified against a real page (none was available): structured data first, then the
buy area, which on MakeShop is the basket form (``/shop/basket.html``) or a block named
like ``cart`` / ``soldout``, read for 売り切れ / SOLD OUT / 在庫切れ and カートに入れる.
"""

from __future__ import annotations

from stockguard.suppliers.base import ParseOptions, Reading, ShopAdapter
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import read_standard

_MARKERS = ("makeshop-multi-images", "gigaplus.makeshop.jp", "makeshop.jp/", "MakeShop")
_BUY_AREA = (  # a CSS selector: the shop's buy box when no buy control is found
    "form[action*=basket], "
    "[class*=cart], "
    "[id*=cart], "
    "[class*=basket], "
    "[class*=soldout], "
    "[class*=sold_out], "
    "form[name=form1]"
)


class MakeShopAdapter(ShopAdapter):
    """MakeShop product pages (/shopdetail/…)."""

    name = "makeshop"
    hosts = ()
    currency = "JPY"

    def recognises(self, page: Page) -> bool:
        return any(marker in page.scan for marker in _MARKERS)

    def read(self, page: Page, options: ParseOptions) -> Reading:
        return read_standard(page, options, self.currency_for(page, options), _BUY_AREA)


ADAPTER = MakeShopAdapter()
