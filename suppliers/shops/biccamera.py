"""Bic Camera (biccamera.com).

No real Bic Camera page was available to check against (shop-markup.md): this adapter
reads the structured data first, then a buy area found by the names Bic Camera's markup
is known to use for its cart and stock blocks (``bcs_`` prefixed classes, ``PROD-CART``),
with the Japanese stock phrases (在庫あり, 在庫僅少, お取り寄せ, 販売を終了しました, 売り切れ).
Anything else is UNKNOWN, never in stock by default.
"""

from __future__ import annotations

from stockguard.suppliers.base import ParseOptions, Reading, ShopAdapter
from stockguard.suppliers.page import Page
from stockguard.suppliers.shops.generic import read_standard

_BUY_AREA = (  # a CSS selector: the shop's buy box when no buy control is found
    "[class*=bcs_cart], "
    "[class*=bcs_stock], "
    "[class*=bcs_basket], "
    "[class*=PROD-CART], "
    "[class*=cart], "
    "[class*=stock], "
    "[class*=basket]"
)


class BicCameraAdapter(ShopAdapter):
    """biccamera.com product pages."""

    name = "biccamera"
    hosts = ("biccamera.com",)
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        return read_standard(page, options, self.currency_for(page, options), _BUY_AREA)


ADAPTER = BicCameraAdapter()
