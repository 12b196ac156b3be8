"""A seller's own phrases per shop host and per source (``[suppliers.phrases."…"]``).

End to end: pages served by a real HTTP server on 127.0.0.1, a real config file, the real
``stockguard check`` command and the engine's page checker (real fetcher). The seller's
phrases beat the built-in tables for that host, are matched after normalising case, width,
accents and spaces, and the evidence names the one that decided; they never turn a page
whose buy control says sold out into IN_STOCK.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stockguard.cli import cli
from stockguard.cli.wiring import page_checker
from stockguard.core.config import SellerPhraseSettings, SupplierSettings, parse_settings
from stockguard.core.domain import Availability, Source, SourceKind
from stockguard.core.errors import ConfigError
from stockguard.suppliers import phrases
from stockguard.suppliers.base import ParseOptions
from stockguard.suppliers.fetch import Fetcher
from stockguard.suppliers.registry import parse_page
from stockguard.suppliers.seller_phrases import SellerPhrase, SellerPhrases, for_url
from tests.suppliers.test_fetch import LocalServer, html_pages

NOW = datetime(2026, 5, 1, tzinfo=UTC)
_HEAD = '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{0} | 山田商店</title>'
_CART = (
    '<form action="/cart/add" method="post"><button type="submit">カートに入れる</button></form>'
)


def _page(name: str, status: str, form: str = _CART) -> bytes:
    """A small Japanese shop's product page: name, price, a status line, the cart form."""
    return (
        _HEAD.format(name) + "</head><body><header><a href='/'>山田商店</a></header>"
        f'<main><div class="item-detail"><h1>{name}</h1><p class="price">2,480円（税込）</p>'
        f'<p class="item-status">{status}</p>{form}</div></main>'
        "<footer>© 山田商店</footer></body></html>"
    ).encode()


PAGES = {
    "/items/backorder": _page("南部鉄器 急須", "只今お取り寄せ中"),
    "/items/fr": _page("Théière en fonte", "ÉPUISÉ   Temporairement"),
    "/items/width": _page("鉄瓶 小", "ＳＴＯＣＫ　ＯＫ"),
    "/items/nearly": _page("鉄瓶 大", "売り切れ御免", form=""),
    "/items/preorder": _page("茶托 5枚組", "入荷次第発送"),
    "/items/soldout": _page(
        "茶筒", "売り切れ御免", form='<button type="button" disabled>SOLD OUT</button>'
    ),
}


@pytest.fixture
def shop() -> Iterator[str]:
    server = LocalServer(routes=html_pages({path: (200, body) for path, body in PAGES.items()}))
    yield server.url("")
    server.close()


def _config(tmp_path: Path, phrases: str) -> Path:
    path = tmp_path / "stockguard.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
        '[suppliers]\nretries = 0\nmin_gap_seconds = 0.0\nallow_private = ["127.0.0.1"]\n'
        + phrases,
        encoding="utf-8",
    )
    return path


HOST_PHRASES = """
[suppliers.phrases."127.0.0.1"]
out_of_stock = ["只今お取り寄せ中", "epuise temporairement"]
in_stock = ["stock ok", "売り切れ御免"]
preorder = ["入荷次第発送"]
"""


def _check(config: Path, url: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "check", url, "--json"], standalone_mode=False
    )
    if result.exception is not None:
        raise result.exception
    data: dict[str, object] = json.loads(result.output)
    return data


def test_without_seller_phrases_the_built_in_tables_read_the_page(
    tmp_path: Path, shop: str
) -> None:
    config = _config(tmp_path, "")
    backorder = _check(config, f"{shop}/items/backorder")
    assert (backorder["availability"], backorder["ships_within_days"]) == ("IN_STOCK", 14)
    assert _check(config, f"{shop}/items/nearly")["availability"] == "OUT_OF_STOCK"
    assert "seller phrase" not in str(backorder["evidence"])


def test_a_seller_out_of_stock_phrase_beats_the_built_in_backorder(
    tmp_path: Path, shop: str
) -> None:
    seen = _check(_config(tmp_path, HOST_PHRASES), f"{shop}/items/backorder")
    assert seen["availability"] == "OUT_OF_STOCK"
    assert 'seller phrase "只今お取り寄せ中" = out_of_stock' in str(seen["evidence"])
    assert '[suppliers.phrases."127.0.0.1"]' in str(seen["evidence"])


@pytest.mark.parametrize(
    ("path", "availability", "phrase"),
    [
        ("/items/fr", "OUT_OF_STOCK", "epuise temporairement"),  # case, accents, spaces
        ("/items/width", "IN_STOCK", "stock ok"),  # full-width letters and space
        ("/items/nearly", "IN_STOCK", "売り切れ御免"),  # not the built-in 売り切れ inside it
        ("/items/preorder", "OUT_OF_STOCK", "入荷次第発送"),  # pre-order, no stated delay
    ],
)
def test_seller_phrases_match_after_normalising_and_name_themselves(
    tmp_path: Path, shop: str, path: str, availability: str, phrase: str
) -> None:
    seen = _check(_config(tmp_path, HOST_PHRASES), f"{shop}{path}")
    assert seen["availability"] == availability
    assert f'seller phrase "{phrase}"' in str(seen["evidence"])


def test_a_seller_in_stock_phrase_never_beats_a_sold_out_button(tmp_path: Path, shop: str) -> None:
    seen = _check(_config(tmp_path, HOST_PHRASES), f"{shop}/items/soldout")
    assert seen["availability"] == "OUT_OF_STOCK"
    assert "SOLD OUT" in str(seen["evidence"])


def test_a_source_s_own_phrases_beat_its_host_s(tmp_path: Path, shop: str) -> None:
    source = f"{shop}/items/backorder"
    own = f'\n[suppliers.phrases."{source}"]\nin_stock = ["只今お取り寄せ中"]\n'
    config = _config(tmp_path, HOST_PHRASES + own)
    seen = _check(config, source)
    assert seen["availability"] == "IN_STOCK"
    assert f'= in_stock ([suppliers.phrases."{source}"])' in str(seen["evidence"])
    other = _check(config, f"{shop}/items/fr")  # the host's phrases still apply elsewhere
    assert other["availability"] == "OUT_OF_STOCK"


def test_another_host_s_phrases_do_not_apply(tmp_path: Path, shop: str) -> None:
    other = '[suppliers.phrases."shop.example.jp"]\nout_of_stock = ["只今お取り寄せ中"]\n'
    seen = _check(_config(tmp_path, other), f"{shop}/items/backorder")
    assert seen["availability"] == "IN_STOCK"


def test_a_phrase_under_two_meanings_is_refused_naming_the_key(tmp_path: Path) -> None:
    bad = '[suppliers.phrases."127.0.0.1"]\nin_stock = ["在庫OK"]\nout_of_stock = ["在庫ok"]\n'
    with pytest.raises(ConfigError, match=r'suppliers.phrases."127.0.0.1"\] out_of_stock'):
        _check(_config(tmp_path, bad), "http://127.0.0.1:9/items/x")


def test_a_phrase_list_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    bad = '[suppliers.phrases."127.0.0.1"]\nin_stock = "在庫OK"\n'
    with pytest.raises(ConfigError, match="in_stock: expected a list"):
        _check(_config(tmp_path, bad), "http://127.0.0.1:9/items/x")


def test_the_engine_s_page_checker_reads_with_the_seller_phrases(shop: str, clock: Any) -> None:
    table = parse_settings(tomllib.loads("[suppliers]\n" + HOST_PHRASES)).suppliers.phrases
    settings = SupplierSettings(retries=0, min_gap_seconds=0.0, allow_private=("127.0.0.1",))
    sources = [Source(SourceKind.PAGE, f"{shop}/items/backorder")]
    with Fetcher(settings, clock) as fetcher:
        (seen,) = list(page_checker(fetcher, seller_phrases=table)(sources))
    assert seen.availability is Availability.OUT_OF_STOCK
    assert 'seller phrase "只今お取り寄せ中"' in seen.evidence


AMAZON_JP = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Amazon.co.jp: 鉄瓶</title></head>'
    '<body><div id="dp"><span id="productTitle">鉄瓶</span><div id="buybox">'
    '<div id="availability"><span class="a-color-success">只今お取り寄せ中</span></div>'
    '<input id="add-to-cart-button" type="submit"></div></div></body></html>'
)


def test_amazon_reads_a_seller_phrase_in_availability() -> None:
    url = "https://www.amazon.co.jp/dp/B0TESTSELL"
    table = {"amazon.co.jp": SellerPhraseSettings(out_of_stock=("只今お取り寄せ中",))}
    plain = parse_page(AMAZON_JP, url, fetched_at=NOW)
    assert plain.availability is Availability.IN_STOCK  # built-in: お取り寄せ (backorder)
    seen = parse_page(
        AMAZON_JP, url, fetched_at=NOW, options=ParseOptions(seller_phrases=for_url(url, table))
    )
    assert seen.availability is Availability.OUT_OF_STOCK
    assert '[suppliers.phrases."amazon.co.jp"]' in seen.evidence


def test_seller_phrases_for_a_url_host_then_subdomain_host_then_source() -> None:
    table = {
        "example.jp": SellerPhraseSettings(in_stock=("a",), out_of_stock=("b",)),
        "shop.example.jp": SellerPhraseSettings(out_of_stock=("a",)),
        "https://shop.example.jp/item/1": SellerPhraseSettings(preorder=("b",)),
        "other.jp": SellerPhraseSettings(in_stock=("c",)),
    }
    found = {
        p.text: (p.meaning, p.origin)
        for p in for_url("https://shop.example.jp/item/1", table).phrases
    }
    assert found == {
        "a": (phrases.OUT_OF_STOCK, "shop.example.jp"),
        "b": (phrases.AWAITING, "https://shop.example.jp/item/1"),
    }
    assert not for_url("https://www.example.com/x", table)


def test_seller_phrases_are_active_only_inside_their_read() -> None:
    table = SellerPhrases((SellerPhrase(phrases.IN_STOCK, "売り切れ御免", "x"),))
    with phrases.seller_phrases(table) as decisive:
        assert (
            phrases.find("売り切れ御免！", phrases.IN_STOCK, phrases.OUT_OF_STOCK) == "売り切れ御免"
        )
        assert [hit.meaning for hit in phrases.hits("売り切れ御免 在庫切れ")] == ["in", "out"]
    assert decisive == list(table.phrases)
    assert phrases.find("売り切れ御免", phrases.IN_STOCK, phrases.OUT_OF_STOCK) == "売り切れ"
