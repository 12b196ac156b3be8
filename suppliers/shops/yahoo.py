"""Yahoo! Shopping / PayPay Mall (store.shopping.yahoo.co.jp and friends).

Yahoo! Shopping has no clean in-stock marker, so the buy area decides together with the
structured data: a cart button ``#CartButtonUltLog`` with ``disabled``, or a disabled button
reading 在庫がありません, -> OUT_OF_STOCK; JSON-LD / microdata availability next; an enabled
カートに入れる button -> IN_STOCK. Price: ``.elPriceNumber`` / ``.ItemPrice_price``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from suppliers import narrow, phrases
from suppliers.base import ParseOptions, ShopAdapter, Verdict, out_of_stock
from suppliers.page import Page
from suppliers.prices import parse_price
from suppliers.shops.generic import read_standard

_CART_BUTTON = re.compile(r"<[a-z]+\b[^>]*id\s*=\s*[\"']CartButtonUltLog[\"'][^>]*>", re.I)
_DISABLED_BUTTON = r"<button\b[^>]*class\s*=\s*[\"'][^\"']*isDisabled"
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
_PRICE = r"<[a-z]+\b[^>]*class\s*=\s*[\"'][^\"']*(?:elPriceNumber|ItemPrice_price)"


class YahooShoppingAdapter(ShopAdapter):
    """Yahoo! Shopping and PayPay Mall item pages."""

    name = "yahoo"
    hosts = ("store.shopping.yahoo.co.jp", "shopping.yahoo.co.jp", "paypaymall.yahoo.co.jp")
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Verdict:
        text = page.text
        price_cut = narrow.find_tags(text, _PRICE, limit=1)
        price = parse_price(narrow.fragment_text(price_cut[0].html), "JPY") if price_cut else None
        button = _CART_BUTTON.search(text)
        if button and re.search(r"\sdisabled\b", button.group(0)):
            return out_of_stock("#CartButtonUltLog is disabled", price=price)
        for cut in narrow.find_tags(text, _DISABLED_BUTTON, limit=3):
            said = narrow.fragment_text(cut.html)
            if phrases.find(said, phrases.OUT_OF_STOCK):
                return out_of_stock(f"disabled button: {said}", price=price)
        verdict = read_standard(page, options, "JPY", _BUY_AREA)
        if verdict.price is None and price is not None:
            return replace(verdict, price=price)
        return verdict


ADAPTER = YahooShoppingAdapter()
