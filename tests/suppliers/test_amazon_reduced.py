"""Amazon pages reduced to a few elements (mobile and test pages): the rules that must hold
beyond the golden cases in tests/fixtures/suppliers/amazon/*-reduced-*.html."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stockguard.core.domain import Availability
from stockguard.suppliers.base import OfferKind, ParseOptions
from stockguard.suppliers.registry import parse_page
from stockguard.suppliers.shops.amazon_signs import REDUCED, AmazonSign, Button, Signs, read_reduced

FETCHED_AT = datetime(2026, 5, 1, tzinfo=UTC)
EVERY_KIND = ParseOptions(accept=frozenset(OfferKind))

# A shop page (not Amazon) that happens to use Amazon's ids and phrases.
LOOKALIKE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bottle</title>
</head><body><main><h1>Steel bottle</h1>
<div id="availability"><span class="a-color-success">In Stock</span></div>
<input id="add-to-cart-button" type="submit" value="Add to cart">
</main></body></html>"""

READINGS = st.sampled_from(
    [
        AmazonSign("#availability: 在庫あり。", kind=OfferKind.NEW),
        AmazonSign("#availability: 残り2点", kind=OfferKind.NEW, quantity=2),
        AmazonSign("#availability: 現在在庫切れです。", availability=Availability.OUT_OF_STOCK),
        AmazonSign("#availability: Available from these sellers", kind=OfferKind.OTHER_SELLERS),
        AmazonSign("#availability: cannot be shipped", kind=OfferKind.CANNOT_SHIP),
    ]
)
OUT_BOXES = st.sampled_from(
    [
        None,
        AmazonSign("#outOfStock: Currently unavailable.", availability=Availability.OUT_OF_STOCK),
        AmazonSign("#outOfStock: cannot be shipped", kind=OfferKind.CANNOT_SHIP),
    ]
)
BUTTONS = st.builds(
    Button,
    st.sampled_from(["add-to-cart-button", "buy-now-button"]),
    st.sampled_from([None, "disabled", "hidden", 'aria-disabled="true"']),
)
SIGNS = st.builds(
    Signs,
    OUT_BOXES,
    st.lists(READINGS, max_size=3).map(tuple),
    st.sampled_from(["", "こちらからもご購入いただけます"]),
    st.lists(BUTTONS, max_size=3).map(tuple),
)


def test_a_non_amazon_page_with_amazon_ids_is_not_read_as_amazon() -> None:
    seen = parse_page(LOOKALIKE, "https://shop.example.jp/items/1", fetched_at=FETCHED_AT)
    assert seen.adapter != "amazon"
    assert REDUCED not in seen.evidence


def test_the_same_page_on_an_amazon_host_reads_by_its_ids() -> None:
    seen = parse_page(LOOKALIKE, "https://www.amazon.com/dp/B0TESTASIN", fetched_at=FETCHED_AT)
    assert seen.adapter == "amazon"
    assert seen.availability is Availability.IN_STOCK
    assert f"{REDUCED}: #availability: In Stock and #add-to-cart-button" in seen.evidence


def test_decoys_in_scripts_and_carousel_classes_are_not_signs() -> None:
    page = """<html><body><script>var t = '<div id="availability">In Stock</div>';</script>
    <input id="a-autoid-3" class="a-button-input add-to-cart-button" type="submit">
    <span class="a-color-success">在庫あり。</span></body></html>"""
    seen = parse_page(page, "https://www.amazon.co.jp/dp/B0TESTASIN", fetched_at=FETCHED_AT)
    assert seen.availability is Availability.UNKNOWN
    assert "no detail-page markup" in seen.evidence


@given(SIGNS)
def test_in_stock_needs_an_in_stock_line_and_a_pressable_button_and_nothing_against(
    signs: Signs,
) -> None:
    verdict = read_reduced(signs, ParseOptions(), None)
    if verdict is None or verdict.availability is not Availability.IN_STOCK:
        return
    assert signs.out_box is None
    assert signs.said
    assert all(r.kind is OfferKind.NEW for r in signs.said)
    assert any(b.blocked is None for b in signs.buttons)


@given(SIGNS)
def test_a_pressable_button_against_a_stop_sign_is_never_decided(signs: Signs) -> None:
    verdict = read_reduced(signs, EVERY_KIND, None)
    stops = signs.out_box is not None or any(r.kind is not OfferKind.NEW for r in signs.said)
    if stops and any(b.blocked is None for b in signs.buttons):
        assert verdict is not None
        assert verdict.availability is Availability.UNKNOWN
        assert verdict.reason is not None
