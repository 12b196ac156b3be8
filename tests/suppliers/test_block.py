"""Never a false "in stock": every page that cannot be read is UNKNOWN with its reason.

Each case wraps an otherwise in-stock product page (JSON-LD InStock, an Amazon buy box with
"In Stock" and #add-to-cart-button) in the failure it stands for, so a passing test proves
the block detection, not a missing buy box, made the answer UNKNOWN.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockguard.core.domain import Availability, UnknownReason
from stockguard.suppliers.block import url_kind
from stockguard.suppliers.registry import parse_page

NOW = datetime(2026, 5, 1, tzinfo=UTC)
AMAZON = "https://www.amazon.co.jp/dp/B0TESTASIN"
SHOP = "https://shop.example.com/products/bowl"
IN_STOCK_SHOP = (
    "<!doctype html><html><head><title>Bowl</title>"
    '<script type="application/ld+json">{"@type":"Product","offers":{"@type":"Offer",'
    '"price":"10","priceCurrency":"USD","availability":"http://schema.org/InStock"}}</script>'
    "</head><body><h1>Bowl</h1></body></html>"
)
IN_STOCK_AMAZON = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Amazon.co.jp: テスト</title></head>'
    '<body><div id="dp"><span id="productTitle">テスト</span><div id="buybox">'
    '<div id="availability"><span class="a-color-success">在庫あり。</span></div>'
    '<input id="add-to-cart-button" type="submit"></div></div></body></html>'
)


def _read(html: str, url: str = SHOP, *, status: int = 200, final_url: str | None = None):  # type: ignore[no-untyped-def]
    return parse_page(html, url, status=status, final_url=final_url, fetched_at=NOW)


def test_the_unwrapped_pages_are_in_stock() -> None:
    assert _read(IN_STOCK_SHOP).availability is Availability.IN_STOCK
    assert _read(IN_STOCK_AMAZON, AMAZON).availability is Availability.IN_STOCK


@pytest.mark.parametrize("status", [403, 429, 503])
def test_refusing_status_is_blocked(status: int) -> None:
    seen = _read(IN_STOCK_SHOP, status=status)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.BLOCKED)
    assert seen.evidence == f"HTTP {status}"
    assert seen.http_status == status


@pytest.mark.parametrize("status", [404, 410, 500, 502])
def test_error_status_is_an_error(status: int) -> None:
    seen = _read(IN_STOCK_SHOP, status=status)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)


@pytest.mark.parametrize(
    "marker",
    [
        '<form action="/errors/validateCaptcha">',
        "<p>Enter the characters you see below</p>",
        "<title>Robot Check</title>",
        "<p>ロボットではないことを確認してください</p>",
        "<p>自動アクセスと判断しました</p>",
        "<p>アクセスが拒否されました</p>",
    ],
)
def test_captcha_and_bot_checks_are_blocked(marker: str) -> None:
    page = IN_STOCK_AMAZON.replace("<body>", "<body>" + marker)
    seen = _read(page, AMAZON)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.BLOCKED)
    assert seen.evidence.startswith("bot check")


def test_a_large_product_page_with_captcha_words_in_scripts_is_not_blocked() -> None:
    filler = "<script>var s='Robot Check';</script>" + "<p>" + "x" * 400_000 + "</p>"
    seen = _read(IN_STOCK_AMAZON.replace("</body>", filler + "</body>"), AMAZON)
    assert seen.availability is Availability.IN_STOCK


@pytest.mark.parametrize(
    ("final", "reason"),
    [
        ("https://www.amazon.co.jp/s?k=bottle", UnknownReason.NOT_A_PRODUCT_PAGE),
        ("https://www.amazon.co.jp/", UnknownReason.NOT_A_PRODUCT_PAGE),
        ("https://www.amazon.co.jp/ap/signin?openid=x", UnknownReason.BLOCKED),
    ],
)
def test_redirect_away_from_the_product_is_unknown(final: str, reason: UnknownReason) -> None:
    seen = _read(IN_STOCK_AMAZON, AMAZON, final_url=final)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, reason)
    assert seen.url == final


def test_redirect_to_another_product_url_is_read() -> None:
    seen = _read(IN_STOCK_AMAZON, AMAZON, final_url="https://www.amazon.co.jp/dp/B0TESTASIN?th=1")
    assert seen.availability is Availability.IN_STOCK


@pytest.mark.parametrize("body", ["", "   \n", b""])
def test_empty_body_is_an_error(body: str | bytes) -> None:
    seen = parse_page(body, SHOP, fetched_at=NOW)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)


def test_truncated_body_is_an_error() -> None:
    cut = IN_STOCK_AMAZON[: IN_STOCK_AMAZON.index("</div></div></body>")]
    seen = _read(cut, AMAZON)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.ERROR)
    assert "truncated" in seen.evidence


def test_no_decisive_evidence_is_layout_changed() -> None:
    page = IN_STOCK_AMAZON.replace("在庫あり。", "").replace(
        '<input id="add-to-cart-button" type="submit">', ""
    )
    seen = _read(page, AMAZON)
    assert (seen.availability, seen.reason) == (Availability.UNKNOWN, UnknownReason.LAYOUT_CHANGED)


def test_decoys_outside_the_buy_box_do_not_decide() -> None:
    decoys = (
        '<div class="carousel"><span>現在在庫切れです。</span>'
        '<input id="a-autoid-3" class="add-to-cart-button" type="submit"></div>'
        "<script>var t={'x':'Currently unavailable.'};</script>"
    )
    seen = _read(IN_STOCK_AMAZON.replace("</div></body>", decoys + "</div></body>"), AMAZON)
    assert seen.availability is Availability.IN_STOCK


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.amazon.co.jp/dp/B0X", "product"),
        ("https://www.amazon.co.jp/s?k=a", "search"),
        ("https://shop.example/search?q=a", "search"),
        ("https://shop.example/", "top"),
        ("https://shop.example/login", "sign-in"),
    ],
)
def test_url_kinds(url: str, kind: str) -> None:
    assert url_kind(url) == kind
