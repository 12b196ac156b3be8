"""Color Me Shop (カラーミーショップ; any domain, recognised from shop-pro.jp / ``Colorme``).

Not verified against a real page (none was available). Color Me pages embed a
``var Colorme = {…}`` object whose ``product.stock_num`` is the stated stock (null when
the shop does not manage or show it): 0 -> OUT_OF_STOCK, N -> IN_STOCK with quantity N.
Otherwise structured data, then the cart form (SOLD OUT / 売り切れ / カートに入れる).
"""

from __future__ import annotations

import re

from stockguard.suppliers.base import ParseOptions, Reading, ShopAdapter, in_stock, out_of_stock
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import read_standard

_MARKERS = ("shop-pro.jp", "var Colorme", "colorme-repeat")
_STOCK = re.compile(r'var\s+Colorme\s*=.{0,4000}?"stock_num"\s*:\s*(null|-?\d+)', re.S)
_BUY_AREA = (  # a CSS selector: the shop's buy box when no buy control is found
    "form[action*=cart], [class*=cart], [id*=cart], [class*=soldout], form[name=product_form]"
)


class ColorMeAdapter(ShopAdapter):
    """Color Me Shop product pages (?pid=…)."""

    name = "colorme"
    hosts = ("shop-pro.jp",)
    currency = "JPY"

    def recognises(self, page: Page) -> bool:
        return any(marker in page.scan for marker in _MARKERS)

    def read(self, page: Page, options: ParseOptions) -> Reading:
        verdict = read_standard(page, options, self.currency_for(page, options), _BUY_AREA)
        stock = _STOCK.search(page.scan)
        if options.variant or stock is None or stock.group(1) == "null":
            return verdict
        count = int(stock.group(1))
        evidence = f"Colorme.product.stock_num={count}"
        if count <= 0:
            return out_of_stock(evidence, price=verdict.price)
        return in_stock(evidence, price=verdict.price, quantity=count)


ADAPTER = ColorMeAdapter()
