"""The phrase tables (suppliers/phrases.toml) and whole-phrase matching with negations."""

from __future__ import annotations

import pytest

from stockguard.core.domain import Availability
from stockguard.suppliers import phrases

LANGUAGES = ("ja", "en", "zh", "de", "fr", "es", "it", "pt")
IN, OUT = Availability.IN_STOCK, Availability.OUT_OF_STOCK


def test_every_language_has_in_out_and_cart_phrases() -> None:
    tables = phrases.tables()
    for language in LANGUAGES:
        for meaning in (phrases.IN_STOCK, phrases.OUT_OF_STOCK, phrases.CART):
            assert tables[language].get(meaning), f"[{language}] has no {meaning} phrases"


def test_every_table_uses_known_meanings_only() -> None:
    for language, table in phrases.tables().items():
        assert set(table) <= set(phrases.MEANINGS), language


@pytest.mark.parametrize(
    ("text", "meaning"),
    [(p, m) for t in phrases.tables().values() for m, ps in t.items() for p in ps],
)
def test_every_phrase_reads_with_its_own_meaning(text: str, meaning: str) -> None:
    """Each phrase, alone, is found whole with the meaning its table gives it."""
    found = phrases.hits(text)
    assert [(h.meaning, h.text) for h in found] == [(meaning, phrases.normal(text))]


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("在庫ありません", OUT),
        ("只今、在庫有りません", OUT),
        ("申し訳ございません。在庫がございません", OUT),
        ("Not in stock", OUT),
        ("This item is no longer in stock", OUT),
        ("Notify me when back in stock", OUT),
        ("Indisponible", OUT),
        ("Indisponível", OUT),
        ("No disponible", OUT),
        ("Non disponibile", OUT),
        ("Derzeit nicht verfügbar", OUT),
        ("暂无库存", OUT),
        ("在庫なし（入荷未定）", OUT),
        ("在庫あり", IN),
        ("In Stock.", IN),
        ("ＩＮ　ＳＴＯＣＫ", IN),
        ("En stock", IN),
        ("Disponible", IN),
        ("Em estoque", IN),
        ("Auf Lager", IN),
        ("有现货", IN),
    ],
)
def test_negations_and_languages_read_right(text: str, state: Availability) -> None:
    said = phrases.classify(text)
    assert said is not None, text
    assert said.availability is state, f"{text!r}: {said}"


@pytest.mark.parametrize(
    "text",
    ["売り切れの際はご容赦ください", "Image not available", "Chat unavailable", "Stockholm"],
)
def test_neutral_uses_say_nothing(text: str) -> None:
    assert phrases.classify(text) is None


def test_latin_phrases_match_at_word_boundaries_only() -> None:
    assert phrases.find("Indisponible", phrases.IN_STOCK) is None
    assert phrases.find("instockholm", phrases.IN_STOCK) is None
    assert phrases.find("— in stock —", phrases.IN_STOCK) == "in stock"


def test_quantity_and_delay_come_with_the_phrase() -> None:
    said = phrases.classify("在庫あり 残り２点")
    assert said is not None
    assert (said.availability, said.quantity) == (IN, 2)
    shipped = phrases.classify("通常2～3日以内に発送")
    assert shipped is not None
    assert (shipped.availability, shipped.days) == (IN, 3)
