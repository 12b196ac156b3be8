"""Product-page markup in the style of the shops stockguard reads (see docs/fetch-and-feeds.md).

Each page carries what the real shop shows (buy box, stock phrase, structured data) and the
decoys real pages carry too: a recommendation carousel with 在庫切れ items and carousel
"add to cart" buttons, and script string tables mentioning out-of-stock, so an adapter that
searches the whole page gets it wrong here exactly as it would on the real shop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from stockguard.doubles.demoshop.model import DemoProduct


@dataclass(frozen=True)
class PageState:
    """What a page shows right now."""

    product: DemoProduct
    in_stock: bool
    quantity: int | None

    @property
    def title(self) -> str:
        return escape(self.product.title or f"デモ商品 {self.product.product_id}")

    @property
    def yen(self) -> str:
        return f"{self.product.price:,.0f}"

    @property
    def schema_availability(self) -> str:
        return "InStock" if self.in_stock else "OutOfStock"

    @property
    def lead(self) -> str:
        days = self.product.ships_within_days
        return f"通常{max(days - 1, 1)}～{days}日以内に発送します。" if days else ""


def _doc(state: PageState, head: str, body: str, body_class: str = "") -> str:
    charset = escape(state.product.charset)
    return (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="{charset}">'
        f'<title>{state.title}</title>{head}</head><body class="{body_class}">{body}'
        f"{_carousel()}</body></html>"
    )


def _carousel() -> str:
    """Other products, some sold out: must never decide this product's stock."""
    return (
        '<div id="sims-consolidated" class="a-carousel recommendations"><h2>'
        "この商品を見た後に買っているのは?</h2><ol>"
        '<li><span class="price">￥2,480</span><span class="soldout">在庫切れ</span>'
        '<span class="sold-out-badge">売り切れました</span></li>'
        '<li><button id="a-autoid-7" class="add-to-cart-button" '
        'data-asins="[&quot;B0DECOY001&quot;]">'
        "カートに入れる</button></li></ol></div>"
        '<script>var i18n = {"OUT_OF_STOCK":"現在在庫切れです","outOfStock":"OutOfStock"};</script>'
    )


def _json_ld(state: PageState, escaped_slashes: bool = False) -> str:
    data = {
        "@context": "https://schema.org/",
        "@type": "Product",
        "name": state.product.title or state.product.product_id,
        "sku": state.product.product_id,
        "offers": {
            "@type": "Offer",
            "price": str(state.product.price),
            "priceCurrency": state.product.currency,
            "availability": f"https://schema.org/{state.schema_availability}",
        },
    }
    text = json.dumps(data, ensure_ascii=False)
    if escaped_slashes:
        text = text.replace("/", "\\/")
    return f'<script type="application/ld+json">{text}</script>'


def amazon(state: PageState) -> str:
    """Amazon.co.jp: #availability in the buy box, #add-to-cart-button by id."""
    if state.in_stock:
        text = "在庫あり。"
        if state.quantity:
            text = f"残り{state.quantity}点 ご注文はお早めに"
        if state.lead:
            text = state.lead
        availability = (
            f'<div id="availability" class="a-section a-spacing-base">'
            f'<span class="a-size-medium a-color-success">{text}</span></div>'
        )
        buttons = (
            '<input id="add-to-cart-button" name="submit.add-to-cart" type="submit" '
            'value="カートに入れる" class="a-button-input">'
            '<input id="buy-now-button" type="submit" value="今すぐ買う">'
        )
    else:
        availability = (
            '<div id="availability" class="a-section a-spacing-base">'
            '<span class="a-size-medium a-color-price">現在在庫切れです。</span>'
            "<br>この商品の再入荷予定は立っておりません。</div>"
            '<div id="outOfStock" class="a-box"><div class="a-box-inner">'
            '<span class="a-color-price a-text-bold">現在在庫切れです。</span>'
            "</div></div>"
        )
        buttons = ""
    body = (
        f'<div id="dp" class="a-container"><h1 id="title"><span id="productTitle">{state.title}'
        '</span></h1><div id="corePrice_feature_div"><span class="a-price" data-a-size="xl">'
        f'<span class="a-offscreen">￥{state.yen}</span><span aria-hidden="true">'
        f'<span class="a-price-symbol">￥</span><span class="a-price-whole">{state.yen}</span>'
        '</span></span></div><div id="buybox"><div id="availability_feature_div">'
        f"{availability}</div>{buttons}"
        '<div id="merchant-info">出荷元 Amazon 販売元 Amazon</div></div></div>'
    )
    return _doc(state, "", body, "a-m-jp a-aui_72554-c")


def rakuten(state: PageState) -> str:
    """Rakuten Ichiba: the item-page-app-data JSON island; purchaseCondition decides."""
    sku = {
        "purchaseInfo": {
            "purchaseBySellType": {
                "purchaseCondition": "enabled" if state.in_stock else "soldOut",
                "normalPurchase": {
                    "price": {
                        "minPrice": int(state.product.price),
                        "maxPrice": int(state.product.price),
                    }
                },
            },
            "newPurchaseSku": {"quantity": state.quantity or 0},
        },
        "features": {"inventoryDisplay": state.quantity is not None},
        "sellType": "NORMAL",
    }
    island = json.dumps({"api": {"data": {"itemInfoSku": sku}}}, ensure_ascii=False)
    notice = "" if state.in_stock else '<div class="soldout_msg">売り切れました</div>'
    body = (
        f'<div id="rakutenLimitedId_aroundCart"><h1 class="normal_reserve_item_name"><b>'
        f'{state.title}</b></h1><span class="price2">{state.yen}円</span>{notice}</div>'
        f'<script id="item-page-app-data" type="application/json">{island}</script>'
    )
    return _doc(state, '<meta itemprop="price" content="' + str(state.product.price) + '">', body)


def yahoo(state: PageState) -> str:
    """Yahoo! Shopping: elPriceNumber, #CartButtonUltLog disabled with 在庫がありません."""
    if state.in_stock:
        button = (
            '<button id="CartButtonUltLog" class="elButton"><span>カートに入れる</span></button>'
        )
    else:
        button = (
            '<button id="CartButtonUltLog" class="elButton isDisabled" disabled>'
            "<span>在庫がありません</span></button>"
        )
    body = (
        f'<div class="elItemInfo"><h1 class="elName">{state.title}</h1>'
        f'<p class="elPrice"><span class="elPriceNumber">{state.yen}</span>'
        f'<span class="elPriceUnit">円</span></p><div class="elCartButton">{button}</div></div>'
    )
    return _doc(state, _json_ld(state), body)


def yodobashi(state: PageState) -> str:
    """Yodobashi: #js_buyBoxMain; 販売休止中です; store stock is not online stock."""
    if state.in_stock:
        info = (
            "在庫残少 ご注文はお早めに！" if state.quantity and state.quantity < 5 else "在庫あり"
        )
        if state.lead:
            info = f"お取り寄せ　{state.lead}"
        cart = (
            '<a href="javascript:void(0);" class="btn-cart js_addCart yBtnPrimary">'
            "ショッピングカートに入れる</a>"
        )
    else:
        info, cart = "販売休止中です", ""
    body = (
        f'<div id="productDetail"><h1><span itemprop="name">{state.title}</span></h1>'
        '<div class="buyBox"><div id="js_buyBoxMain" class="buyBoxMain">'
        f'<span class="productPrice fs16 alignM" id="js_scl_unitPrice">￥{state.yen}</span>'
        f'<span class="taxInfo">（税込）</span><div class="salesInfo"><p>{info}</p></div>{cart}'
        '</div></div><div id="js_storeStockBox">在庫のある店舗（0）</div></div>'
    )
    return _doc(state, "", body)


def shopify(state: PageState) -> str:
    """Shopify: product JSON with variant ``available`` flags, cdn.shopify.com assets."""
    cents = int(state.product.price * 100)
    product = {
        "id": 7000000001,
        "handle": state.product.product_id,
        "title": state.product.title,
        "available": state.in_stock,
        "variants": [
            {
                "id": 42000000001,
                "title": "Default Title",
                "available": state.in_stock,
                "price": cents,
                "inventory_quantity": state.quantity,
            }
        ],
    }
    button = (
        '<button type="submit" name="add" class="product-form__submit button">カートに追加</button>'
        if state.in_stock
        else '<button type="submit" name="add" class="product-form__submit button" disabled>'
        "売り切れ</button>"
    )
    head = (
        '<link rel="stylesheet" href="//cdn.shopify.com/s/files/1/demo/t/1/assets/base.css">'
        '<script>window.Shopify = {shop: "demo-shop.myshopify.com"};</script>' + _json_ld(state)
    )
    body = (
        f'<product-info class="product"><h1 class="product__title">{state.title}</h1>'
        '<div class="price"><span class="price-item price-item--regular">'
        f'¥{state.yen} JPY</span></div><form action="/cart/add" class="product-form">{button}'
        '</form><script type="application/json" data-product-json>'
        f"{json.dumps(product, ensure_ascii=False)}</script></product-info>"
    )
    return _doc(state, head, body, "template-product")


def woocommerce(state: PageState) -> str:
    """WooCommerce: div.product instock/outofstock, p.stock, Yoast JSON-LD with \\/ slashes."""
    css = "instock" if state.in_stock else "outofstock"
    if state.in_stock:
        stock = f'<p class="stock in-stock">在庫 {state.quantity}</p>' if state.quantity else ""
        form = (
            '<form class="cart" method="post"><button type="submit" name="add-to-cart" '
            'class="single_add_to_cart_button button alt">カートに追加</button></form>'
        )
    else:
        stock, form = '<p class="stock out-of-stock">在庫切れ</p>', ""
    body = (
        f'<div id="product-101" class="product type-product post-101 status-publish {css} '
        f'product-type-simple"><h1 class="product_title entry-title">{state.title}</h1>'
        '<p class="price"><span class="woocommerce-Price-amount amount"><bdi>'
        '<span class="woocommerce-Price-currencySymbol">&yen;</span>'
        f"{state.yen}</bdi></span></p>{stock}{form}</div>"
    )
    head = (
        '<link rel="stylesheet" href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css">'
        + _json_ld(state, escaped_slashes=True)
    )
    return _doc(state, head, body, "single-product woocommerce woocommerce-page")


def generic(state: PageState) -> str:
    """Any other shop: JSON-LD plus a visible phrase in the product's own box."""
    phrase = "在庫あり" if state.in_stock else "在庫切れ"
    body = (
        f'<main class="product"><h1>{state.title}</h1><p class="price">{state.yen}円</p>'
        f'<p class="stock">{phrase}</p></main>'
    )
    return _doc(state, _json_ld(state), body)


RENDERERS = {
    "amazon": amazon,
    "rakuten": rakuten,
    "yahoo": yahoo,
    "yodobashi": yodobashi,
    "shopify": shopify,
    "woocommerce": woocommerce,
    "generic": generic,
}

PATHS = {
    "amazon": "/dp/{id}",
    "rakuten": "/demo-shop/{id}/",
    "yahoo": "/demo-store/{id}.html",
    "yodobashi": "/product/{id}/",
    "shopify": "/products/{id}",
    "woocommerce": "/shop/{id}/",
    "generic": "/item/{id}",
}


def render(state: PageState) -> str:
    """The product page as the product's shop would show it."""
    return RENDERERS[state.product.style](state)


def captcha_page(style: str) -> str:
    """A bot check, served with 200 like the real ones."""
    if style == "amazon":
        return (
            '<!DOCTYPE html><html lang="ja"><head><title>Amazon.co.jp</title></head><body>'
            '<div class="a-container"><form method="get" action="/errors/validateCaptcha">'
            '<h4>下に表示されている文字を入力してください</h4><p class="a-last">'
            "申し訳ありませんが、お客様がロボットでないことを確認させていただく必要があります。"
            '</p><input id="captchacharacters" name="field-keywords" type="text">'
            '<button type="submit">買い物を続ける</button></form></div></body></html>'
        )
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        "<title>アクセスが制限されています</title></head><body><h1>ロボットではないことを確認してください</h1><p>"
        "お客様のアクセスは自動アクセスと判断されました。</p></body></html>"
    )
