"""Yodobashi (yodobashi.com): the buy box ``#js_buyBoxMain`` and its ``.salesInfo`` decide.

The price (``#js_scl_unitPrice`` ￥1,980) is shown on suspended items too, and
``#js_storeStockBox`` "在庫のある店舗（0）" is shop-floor stock: neither says anything about
online stock. Inside the buy box: 販売休止中です / 販売を終了しました / 予定数の販売を終了しました
-> OUT_OF_STOCK; 在庫あり / 在庫残少 / a "ショッピングカートに入れる" button -> IN_STOCK;
お取り寄せ with its stated time -> IN_STOCK with ships_within_days.
"""

from __future__ import annotations

from stockguard.core.domain import Availability, UnknownReason
from stockguard.suppliers import phrases
from stockguard.suppliers.base import (
    ParseOptions,
    Reading,
    ShopAdapter,
    in_stock,
    out_of_stock,
    unknown,
)
from stockguard.suppliers.dom import text_of
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price


class YodobashiAdapter(ShopAdapter):
    """yodobashi.com product pages."""

    name = "yodobashi"
    hosts = ("yodobashi.com",)
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        doc = page.dom
        box = doc.first('[id="js_buyBoxMain"]')
        cut = doc.first('[id="js_scl_unitPrice"]')
        price = parse_price(text_of(cut), "JPY") if cut is not None else None
        if box is None:
            if doc.first('[id="productDetail"]') is not None or cut is not None:
                return unknown(UnknownReason.LAYOUT_CHANGED, "no #js_buyBoxMain", price=price)
            return unknown(UnknownReason.NOT_A_PRODUCT_PAGE, "no product buy box (#js_buyBoxMain)")
        said = text_of(box)
        evidence = f"#js_buyBoxMain: {phrases.snippet(said)}"
        found = phrases.classify(said)
        if found is not None and found.availability is Availability.OUT_OF_STOCK:
            return out_of_stock(evidence, price=price)
        if found is not None:
            return in_stock(
                evidence, price=price, quantity=found.quantity, ships_within_days=found.days
            )
        if phrases.find(said, phrases.CART):
            return in_stock(f"#js_buyBoxMain: {phrases.find(said, phrases.CART)}", price=price)
        return unknown(UnknownReason.LAYOUT_CHANGED, evidence, price=price)


ADAPTER = YodobashiAdapter()
