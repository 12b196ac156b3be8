"""Rakuten Ichiba (item.rakuten.co.jp): the ``itemInfoSku`` JSON island decides.

``purchaseBySellType.purchaseCondition`` is the only reliable signal: "enabled" means
buyable, anything else not. The anchor pattern is the full ``"purchaseBySellType":
{"purchaseCondition": …`` sequence so recommended items cannot match. schema.org
``OutOfStock`` and ``quantity: 0`` are NOT used: shops that hide their stock
("HIDDEN_STOCK") report both on items that can be bought, and ``displayNormalCartButton``
is true on sold-out items. Older item pages: ``.soldout_msg`` near the cart -> OUT_OF_STOCK,
``.cart-button-container`` / かごに追加 -> IN_STOCK. Old pages are EUC-JP (decoded by
``<meta charset>``).
"""

from __future__ import annotations

import re

from stockguard.core.domain import Money, UnknownReason
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
from stockguard.suppliers.prices import price_from_value

_CONDITION = re.compile(r'"purchaseBySellType"\s*:\s*\{\s*"purchaseCondition"\s*:\s*"([^"]+)"')
_MIN_PRICE = re.compile(r'"minPrice"\s*:\s*"?(\d+(?:\.\d+)?)')
_QUANTITY = re.compile(r'"newPurchaseSku"\s*:\s*\{[^{}]*?"quantity"\s*:\s*(\d+)')
_INVENTORY_SHOWN = re.compile(r'"inventoryDisplay"\s*:\s*true')
_OLD_SOLDOUT = ".soldout_msg"
_OLD_CART = ".cart-button-container"
_OLD_PRICE = '.price2, [itemprop="price"]'


ITEM_HOST = "item.rakuten.co.jp"  # a shop's item pages: /SHOP/ITEM/


class RakutenAdapter(ShopAdapter):
    """Rakuten Ichiba item pages."""

    name = "rakuten"
    hosts = (ITEM_HOST,)
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Reading:
        text = page.scan
        match = _CONDITION.search(text)
        if match is None:
            return read_old_layout(page)
        region = text[match.start() : match.start() + 20_000]
        amount = _MIN_PRICE.search(region)
        price = price_from_value(amount.group(1), "JPY") if amount else None
        if options.variant:
            return read_variant(text, options.variant, match.group(1), price)
        evidence = f'itemInfoSku purchaseBySellType.purchaseCondition="{match.group(1)}"'
        if match.group(1) != "enabled":
            return out_of_stock(evidence, price=price)
        stated = _QUANTITY.search(region)
        quantity = int(stated.group(1)) if stated and int(stated.group(1)) > 0 else None
        return in_stock(evidence, price=price, quantity=quantity)


def read_variant(text: str, variant: str, condition: str, price: Money | None) -> Reading:
    """A named SKU: its stated quantity when the shop shows stock; else UNKNOWN."""
    if condition != "enabled":
        return out_of_stock(f'purchaseCondition="{condition}" (whole item)', price=price)
    pattern = re.compile(
        r'\{[^{}]*"(?:merchantDefinedSkuId|variantId|skuId)"\s*:\s*"'
        + re.escape(variant) + r'"[^{}]*\}'
    )  # fmt: skip
    block = pattern.search(text)
    quantity = re.search(r'"quantity"\s*:\s*(\d+)', block.group(0)) if block else None
    if block is None or quantity is None:
        return unknown(
            UnknownReason.LAYOUT_CHANGED, f"SKU {variant!r}: no stated quantity", price=price
        )
    count = int(quantity.group(1))
    evidence = f"SKU {variant!r} quantity={count}"
    if count > 0:
        return in_stock(evidence, price=price, quantity=count)
    if _INVENTORY_SHOWN.search(text):
        return out_of_stock(evidence + " (inventoryDisplay=true)", price=price)
    return unknown(
        UnknownReason.LAYOUT_CHANGED, evidence + " but the shop hides its stock", price=price
    )


def read_old_layout(page: Page) -> Reading:
    """Pre-React item pages: the sold-out message or the cart button near the price."""
    doc = page.dom
    cut = doc.first(_OLD_PRICE)
    price = None
    if cut is not None:
        price = price_from_value(cut.attributes.get("content") or text_of(cut), "JPY")
    soldout = doc.first(_OLD_SOLDOUT)
    if soldout is not None:
        said = text_of(soldout) or "present"
        return out_of_stock(f".soldout_msg: {phrases.snippet(said)}", price=price)
    if doc.first(_OLD_CART) is not None:
        return in_stock(".cart-button-container present", price=price)
    if price is None:
        return unknown(
            UnknownReason.NOT_A_PRODUCT_PAGE, "no itemInfoSku, price or cart on the page"
        )
    return unknown(
        UnknownReason.LAYOUT_CHANGED,
        "no purchaseCondition, .soldout_msg or cart button",
        price=price,
    )


ADAPTER = RakutenAdapter()
