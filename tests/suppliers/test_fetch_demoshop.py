"""The demo shop, fetched for real: markup per shop style, stock over time, ETag, faults."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from stockguard.core.clock import ManualClock
from stockguard.core.config import SupplierSettings
from stockguard.doubles.demoshop import STYLES, DemoProduct, DemoShop
from stockguard.suppliers.fetch import Fetcher

FAST = SupplierSettings(min_gap_seconds=0.0, retries=0, allow_private=("127.0.0.0/29",))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fetcher(clock: ManualClock) -> Iterator[Fetcher]:
    with Fetcher(FAST, clock) as f:
        yield f


def test_every_style_serves_its_shop_markup(clock: ManualClock, fetcher: Fetcher) -> None:
    markers = {
        "amazon": ('id="add-to-cart-button"', "現在在庫切れです。"),
        "rakuten": ('"purchaseCondition": "enabled"', '"purchaseCondition": "soldOut"'),
        "yahoo": ('class="elButton"><span>カートに入れる', "在庫がありません"),
        "yodobashi": ("ショッピングカートに入れる", "販売休止中です"),
        "shopify": ('"available": true', '"available": false'),
        "woocommerce": ("status-publish instock", "status-publish outofstock"),
        "generic": ("https://schema.org/InStock", "https://schema.org/OutOfStock"),
    }
    products = [DemoProduct(f"{s}-1", s, title="抹茶", price=Decimal("2480")) for s in STYLES]
    with DemoShop(products, clock) as shop:
        for product in products:
            in_stock_marker, out_marker = markers[product.style]
            page = fetcher.fetch(shop.url_for(product.product_id))
            assert page.ok
            assert in_stock_marker in page.text
            assert out_marker not in page.text
            assert "2,480" in page.text
            shop.set_stock(product.product_id, False)
            page = fetcher.fetch(shop.url_for(product.product_id))
            assert out_marker in page.text
            assert in_stock_marker not in page.text


def test_pages_carry_decoys_outside_the_buy_box(clock: ManualClock, fetcher: Fetcher) -> None:
    with DemoShop([DemoProduct("B01", "amazon")], clock) as shop:
        text = fetcher.fetch(shop.url_for("B01")).text
    assert 'id="add-to-cart-button"' in text  # in stock...
    assert "在庫切れ" in text
    assert "OutOfStock" in text


def test_schedule_changes_stock_on_the_injected_clock(clock: ManualClock) -> None:
    product = DemoProduct("p1", "yodobashi", schedule=((60.0, False, None), (120.0, True, 3)))
    with DemoShop([product], clock) as shop:
        assert shop.stock("p1") == (True, None)
        clock.advance(61)
        assert shop.stock("p1") == (False, 0)
        clock.advance(60)
        assert shop.stock("p1") == (True, 3)
        causes = [(c.cause, c.in_stock) for c in shop.stock_history()]
    assert causes == [("start", True), ("schedule", False), ("schedule", True)]


def test_random_flips_are_reproducible_with_a_seed() -> None:
    def history(seed: int) -> list[tuple[float, bool]]:
        clock = ManualClock()
        products = [DemoProduct(f"p{n}", mean_flip_seconds=30.0) for n in range(5)]
        with DemoShop(products, clock, seed=seed) as shop:
            clock.advance(600)
            start = shop.book.started
            return [((c.at - start).total_seconds(), c.in_stock) for c in shop.stock_history()]

    first = history(7)
    assert first == history(7)
    assert first != history(8)
    assert len(first) > 5 + 20  # about 100 flips expected in 10 minutes


def test_etag_gives_304_until_the_stock_changes(clock: ManualClock, fetcher: Fetcher) -> None:
    with DemoShop([DemoProduct("s1", "shopify")], clock) as shop:
        url = shop.url_for("s1")
        first = fetcher.fetch(url)
        again = fetcher.fetch(url, etag=first.etag)
        shop.set_stock("s1", False)
        changed = fetcher.fetch(url, etag=first.etag)
    assert again.not_modified
    assert again.status == 304
    assert changed.status == 200
    assert "売り切れ" in changed.text


def test_faults_per_host(clock: ManualClock, fetcher: Fetcher) -> None:
    products = [DemoProduct("a", "amazon"), DemoProduct("b", "rakuten", host="127.0.0.2")]
    with DemoShop(products, clock) as shop:
        shop.set_fault("127.0.0.1", "captcha")
        captcha = fetcher.fetch(shop.url_for("a"))
        other = fetcher.fetch(shop.url_for("b"))
        shop.set_fault("127.0.0.1", "503", retry_after=30)
        busy = fetcher.fetch(shop.url_for("a"))
        shop.set_fault("127.0.0.1", None)
        back = fetcher.fetch(shop.url_for("a"))
    assert captcha.status == 200
    assert "/errors/validateCaptcha" in captcha.text
    assert other.ok
    assert "itemInfoSku" in other.text
    assert busy.status == 503
    assert busy.headers["Retry-After"] == "30"
    assert back.ok
    assert "productTitle" in back.text


def test_one_shop_answers_on_several_loopback_hosts(clock: ManualClock) -> None:
    products = [DemoProduct(f"p{n}", host=f"127.0.0.{n % 3 + 1}") for n in range(9)]
    with DemoShop(products, clock) as shop, Fetcher(FAST, clock) as fetcher:
        results = list(fetcher.fetch_many(shop.url_for(p.product_id) for p in products))
        stats = shop.stats()
    assert all(r.ok for r in results)
    assert {host: s.requests for host, s in stats.items()} == {
        "127.0.0.1": 3,
        "127.0.0.2": 3,
        "127.0.0.3": 3,
    }


def test_legacy_charset_pages_decode(clock: ManualClock, fetcher: Fetcher) -> None:
    product = DemoProduct("e1", "rakuten", title="湯呑み ㈱髙橋", charset="EUC-JP")
    with DemoShop([product], clock) as shop:
        page = fetcher.fetch(shop.url_for("e1"))
    assert page.encoding == "euc_jp"
    assert "湯呑み" in page.text
