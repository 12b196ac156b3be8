"""Yahoo! Shopping / PayPay Mall (store.shopping.yahoo.co.jp and friends).

Yahoo! Shopping has no clean in-stock marker, so the buy area decides together with the
structured data: a cart button ``#CartButtonUltLog`` with ``disabled``, or a disabled button
reading 在庫がありません, -> OUT_OF_STOCK; JSON-LD / microdata availability next; an enabled
カートに入れる button -> IN_STOCK. Price: ``.elPriceNumber`` / ``.ItemPrice_price``.
"""

from __future__ import annotations

from dataclasses import replace

from stockguard.suppliers import phrases
from stockguard.suppliers.base import ParseOptions, Reading, ShopAdapter, out_of_stock
from stockguard.suppliers.dom import text_of
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price
from stockguard.suppliers.shops.generic import read_standard

_CART_BUTTON = '[id="CartButtonUltLog"]'
_DISABLED_BUTTON = 'button[class*="isDisabled"]'
_BUY_AREA = (  # a CSS selector: the shop's buy box when no buy control is found
    "[class*=Cart], "
    "[class*=cart], "
    "[class*=elButton], "
    "[class*=ItemPurchase], "
    "[class*=purchase], "
    "[class*=Purchase], "
    "[class*=Stock], "
    "[class*=stock]"
)
_PRICE = '[class*="elPriceNumber"], [class*="ItemPrice_price"]'


ITEM_HOST = "store.shopping.yahoo.co.jp"  # a store's item pages: /STORE/ITEM.html


class YahooShoppingAdapter(ShopAdapter):
    """Yahoo! Shopping and PayPay Mall item pages."""

    name = "yahoo"
    hosts = (ITEM_HOST, "shopping.yahoo.co.jp", "paypaymall.yahoo.co.jp")
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        doc = page.dom
        cut = doc.first(_PRICE)
        price = parse_price(text_of(cut), "JPY") if cut is not None else None
        button = doc.first(_CART_BUTTON)
        if button is not None and "disabled" in button.attributes:
            return out_of_stock("#CartButtonUltLog is disabled", price=price)
        for disabled in doc.css(_DISABLED_BUTTON)[:3]:
            said = text_of(disabled)
            if phrases.find(said, phrases.OUT_OF_STOCK):
                return out_of_stock(f"disabled button: {said}", price=price)
        verdict = read_standard(page, options, "JPY", _BUY_AREA)
        if verdict.price is None and price is not None:
            return replace(verdict, price=price)
        return verdict


ADAPTER = YahooShoppingAdapter()
