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

from suppliers import narrow, phrases
from suppliers.base import ParseOptions, ShopAdapter, Verdict, in_stock, out_of_stock, unknown
from suppliers.page import Page
from suppliers.prices import price_from_value
from sync.domain import Money, UnknownReason

_CONDITION = re.compile(r'"purchaseBySellType"\s*:\s*\{\s*"purchaseCondition"\s*:\s*"([^"]+)"')
_MIN_PRICE = re.compile(r'"minPrice"\s*:\s*"?(\d+(?:\.\d+)?)')
_QUANTITY = re.compile(r'"newPurchaseSku"\s*:\s*\{[^{}]*?"quantity"\s*:\s*(\d+)')
_INVENTORY_SHOWN = re.compile(r'"inventoryDisplay"\s*:\s*true')
_OLD_SOLDOUT = r"<[a-z][a-z0-9]*\b[^>]*class\s*=\s*[\"'][^\"']*\bsoldout_msg\b"
_OLD_CART = r"<[a-z][a-z0-9]*\b[^>]*class\s*=\s*[\"'][^\"']*\bcart-button-container\b"
_OLD_PRICE = (
    r"<[a-z][a-z0-9]*\b[^>]*(?:class\s*=\s*[\"'][^\"']*\bprice2\b|itemprop\s*=\s*[\"']?price\b)"
)


class RakutenAdapter(ShopAdapter):
    """Rakuten Ichiba item pages."""

    name = "rakuten"
    hosts = ("item.rakuten.co.jp",)
    currency = "JPY"

    def read(self, page: Page, options: ParseOptions) -> Verdict:
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


def read_variant(text: str, variant: str, condition: str, price: Money | None) -> Verdict:
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


def read_old_layout(page: Page) -> Verdict:
    """Pre-React item pages: the sold-out message or the cart button near the price."""
    text = page.text
    price_cut = narrow.find_tags(text, _OLD_PRICE, limit=1)
    price = None
    if price_cut:
        attrs = narrow.attributes(price_cut[0].html)
        price = price_from_value(
            attrs.get("content") or narrow.fragment_text(price_cut[0].html), "JPY"
        )
    soldout = narrow.find_tags(text, _OLD_SOLDOUT, limit=1)
    if soldout:
        said = narrow.fragment_text(soldout[0].html) or "present"
        return out_of_stock(f".soldout_msg: {phrases.snippet(said)}", price=price)
    if narrow.find_tags(text, _OLD_CART, limit=1):
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
