"""What shops write about stock: phrase tables per language (``phrases.toml``), matched whole.

The tables are data: each phrase has a meaning (in, out, ended, preorder, backorder, ships,
cart, …; see the header of ``phrases.toml``). Texts and phrases are normalised the same way
(NFKC width, case, Latin accents, spaces) and matched whole: the longest phrase starting
first wins, and a Latin phrase must stand at word boundaries. So "not in stock",
"在庫ありません" and "Indisponible" read as out of stock, never as the shorter in-stock
phrase inside them. Phrase lists are matched only against text an adapter has scoped to
the item's own buy area, never against a whole page.

A seller's own phrases for a shop or a source (``SellerPhrases``, from the config) are active
for one read (``ShopAdapter.observe`` sets them: a context variable, so concurrent reads in
other threads keep their own). They are matched first, on the same normalised text, and the
built-in tables only read what they leave: a seller's "在庫切れ間近" (in) is never the
built-in "在庫切れ" (out). Every seller phrase handed back to an adapter (by ``find`` or
``classify``) is recorded, so the evidence can name it (``suppliers.seller_phrases``).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stockguard.core.domain import Availability

if TYPE_CHECKING:
    from stockguard.suppliers.seller_phrases import SellerPhrase, SellerPhrases

TABLES = Path(__file__).with_name("phrases.toml")

# Meanings (the keys of each language table); adapters pass these to ``find``.
OUT_OF_STOCK = "out"
ENDED = "ended"
IN_STOCK = "in"
AWAITING = "preorder"
BACKORDER = "backorder"
SHIPS_WITHIN = "ships"
CART = "cart"
OTHER_SELLERS = "other_sellers"
CANNOT_SHIP = "cannot_ship"
RELATED = "related"
NOT_FOUND = "not_found"
NEUTRAL = "none"
MEANINGS = (
    OUT_OF_STOCK, ENDED, IN_STOCK, AWAITING, BACKORDER, SHIPS_WITHIN, CART,
    OTHER_SELLERS, CANNOT_SHIP, RELATED, NOT_FOUND, NEUTRAL,
)  # fmt: skip
BACKORDER_DAYS_ASSUMED = 14  # お取り寄せ with no stated time: assume two weeks (conservative)

_LATIN = "0-9a-z\u00c0-\u024f"  # after normalising: what a Latin phrase must not touch
_QUANTITY = (
    re.compile(r"残り\s*(\d+)\s*(?:点|個|本|枚|着|冊|セット)"),
    re.compile(r"在庫(?:数)?\s*[:：]?\s*(\d+)\s*(?:点|個|本|枚|着|冊|セット)?\s*(?:$|[^\d])"),
    re.compile(r"only\s+(\d+)\s+left"),
    re.compile(r"(?<![\d.,$€£¥])(\d+)\s+(?:in stock|left in stock)"),
    re.compile(r"nur noch\s+(\d+)"),
    re.compile(r"il ne reste plus que\s+(\d+)"),
    re.compile(r"(?:solo|quedan|apenas|restam)\s+(\d+)"),
)
_RANGE = r"(\d+)\s*(?:[~〜\-–]|から|to|a|bis)\s*(\d+)"
_DAY, _WEEK = (
    r"(?:営業日|日|days?|jours?|tage?n?|dias)",
    r"(?:週間|weeks?|semaines?|wochen|semanas)",
)
_MONTH = r"(?:[かヶケカ]月|months?|mois|monaten?|meses)"
_UNITS = (
    (re.compile(_RANGE + r"\s*" + _DAY), 1),
    (re.compile(_RANGE + r"\s*" + _WEEK), 7),
    (re.compile(_RANGE + r"\s*" + _MONTH), 30),
    (re.compile(r"(\d+)\s*" + _DAY), 1),
    (re.compile(r"(\d+)\s*" + _WEEK), 7),
    (re.compile(r"(\d+)\s*" + _MONTH), 30),
)
_AWAITING_DATE = re.compile(r"in stock on |disponible le |lieferbar ab |disponibile dal ")


def normal(text: str) -> str:
    """NFKC width, lower case, Latin accents dropped, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():  # drop U+0300–036F only: Japanese voicing marks must stay
        decomposed = unicodedata.normalize("NFD", folded)
        folded = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
        )
    return " ".join(folded.split())


@dataclass(frozen=True)
class Hit:
    """One whole phrase found in a normalised text."""

    meaning: str
    text: str  # the phrase as matched (normalised)
    start: int
    seller: SellerPhrase | None = None  # the seller's phrase it is, None for a built-in one


@dataclass
class _Active:
    """The seller phrases of the read in progress and those handed back to it."""

    table: SellerPhrases
    decisive: list[SellerPhrase] = field(default_factory=list)


_ACTIVE: ContextVar[_Active | None] = ContextVar("seller_phrases", default=None)


@contextmanager
def seller_phrases(table: SellerPhrases) -> Iterator[list[SellerPhrase]]:
    """Make a seller's phrases active for one read; yields the list of those handed back."""
    active = _Active(table)
    token = _ACTIVE.set(active if table else None)
    try:
        yield active.decisive
    finally:
        _ACTIVE.reset(token)


def _handed_back(hit: Hit) -> str:
    """A phrase returned to an adapter: remember it when it is the seller's."""
    active = _ACTIVE.get()
    if hit.seller is not None and active is not None and hit.seller not in active.decisive:
        active.decisive.append(hit.seller)
    return hit.text


def seller_phrase(phrase: str) -> SellerPhrase | None:
    """The active seller phrase this (matched) phrase is, or None."""
    active = _ACTIVE.get()
    if active is None:
        return None
    wanted = normal(phrase)
    return next((p for p in active.table.phrases if normal(p.text) == wanted), None)


@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, list[str]]]:
    """The phrase tables by language, then meaning (as written in ``phrases.toml``)."""
    with TABLES.open("rb") as handle:
        data = tomllib.load(handle)
    for language, table in data.items():
        unknown = set(table) - set(MEANINGS)
        if unknown:
            raise ValueError(f"{TABLES}: [{language}] has unknown meanings {sorted(unknown)}")
    return data


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for every phrase, built as a trie (an alternation of 600 phrases would be
    tried phrase by phrase at every position of the text)."""
    meaning_of: dict[str, str] = {}
    for table in tables().values():
        for meaning, written in table.items():
            for phrase in written:
                meaning_of.setdefault(normal(phrase), meaning)
    latin = [p for p in meaning_of if _LATIN_START.match(p)]
    other = [p for p in meaning_of if not _LATIN_START.match(p)]
    pattern = f"(?<![{_LATIN}])(?:{_trie_pattern(latin)})|(?:{_trie_pattern(other)})"
    return re.compile(pattern), meaning_of


_LATIN_START = re.compile(f"[{_LATIN}]")
_END = ""  # the trie key that marks the end of a phrase


def _trie_pattern(words: list[str]) -> str:
    if not words:
        return "(?!)"  # matches nothing (an empty trie would match the empty string)
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = f"(?![{_LATIN}])" if _LATIN_START.match(word[-1]) else ""
    return _node_pattern(trie)


def _node_pattern(node: dict[str, Any]) -> str:
    """Children first, the end of a phrase last: the longest phrase wins."""
    branches = [re.escape(c) + _node_pattern(n) for c, n in node.items() if c != _END]
    if _END in node:
        branches.append(node[_END])
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


@lru_cache(maxsize=64)
def _seller_matcher(table: SellerPhrases) -> tuple[re.Pattern[str], dict[str, SellerPhrase]]:
    """One regex for a seller's phrases (the same trie and word boundaries as the tables)."""
    phrase_of = {normal(p.text): p for p in table.phrases}
    latin = [p for p in phrase_of if _LATIN_START.match(p)]
    other = [p for p in phrase_of if not _LATIN_START.match(p)]
    pattern = f"(?<![{_LATIN}])(?:{_trie_pattern(latin)})|(?:{_trie_pattern(other)})"
    return re.compile(pattern), phrase_of


def hits(text: str) -> list[Hit]:
    """Every whole phrase in ``text``, left to right, none overlapping; the active seller
    phrases first, the built-in tables in what they leave."""
    pattern, meaning_of = _matcher()
    folded = normal(text)
    active = _ACTIVE.get()
    if active is None:
        return [
            Hit(meaning_of[m.group(0)], m.group(0), m.start()) for m in pattern.finditer(folded)
        ]
    seller_pattern, phrase_of = _seller_matcher(active.table)
    found: list[Hit] = []
    for match in seller_pattern.finditer(folded):
        mine = phrase_of[match.group(0)]
        found.append(Hit(mine.meaning, match.group(0), match.start(), mine))
        # a mark no phrase contains: the built-in tables cannot read inside a seller phrase
        folded = folded[: match.start()] + "\0" * len(match.group(0)) + folded[match.end() :]
    found += [Hit(meaning_of[m.group(0)], m.group(0), m.start()) for m in pattern.finditer(folded)]
    return sorted(found, key=lambda hit: hit.start)


def find(text: str, *meanings: str) -> str | None:
    """The first phrase in ``text`` with one of these meanings (as matched), or None."""
    hit = next((hit for hit in hits(text) if hit.meaning in meanings), None)
    return _handed_back(hit) if hit else None


def parse_quantity(text: str) -> int | None:
    """A stated quantity: 残りN点, 在庫数 N, "Only 3 left", "5 in stock"; else None."""
    folded = normal(text)
    for pattern in _QUANTITY:
        match = pattern.search(folded)
        if match:
            return int(match.group(1))
    return None


def delay_days(text: str) -> int | None:
    """The longest stated shipping or arrival delay in days (通常2～3日以内に発送 -> 3)."""
    folded = normal(text)
    for pattern, unit in _UNITS:
        match = pattern.search(folded)
        if match:
            numbers = [int(g) for g in match.groups() if g is not None]
            return max(numbers) * unit
    return None


def snippet(text: str, phrase: str | None = None, width: int = 80) -> str:
    """A short piece of ``text`` (as written) around ``phrase`` (or its start), for evidence."""
    folded = " ".join(text.split())
    if phrase:
        at = normal(folded).find(normal(phrase))
        if at > 20 and len(normal(folded)) == len(folded):
            folded = "…" + folded[at - 20 :]
    return folded if len(folded) <= width else folded[: width - 1] + "…"


@dataclass(frozen=True)
class Classified:
    """What a scoped buy-area text says: availability, the phrase, quantity and delay."""

    availability: Availability
    phrase: str
    quantity: int | None = None
    days: int | None = None


def classify(text: str) -> Classified | None:
    """Read a buy-area text: out / ended first, then awaiting and backorder, then in stock."""
    if not text.strip():
        return None
    first: dict[str, Hit] = {}
    for hit in hits(text):  # the first hit per meaning; a seller's phrase before a table's
        if hit.meaning not in first or (hit.seller and not first[hit.meaning].seller):
            first[hit.meaning] = hit
    days = delay_days(text)
    for meaning in (OUT_OF_STOCK, ENDED):
        if meaning in first:
            return Classified(Availability.OUT_OF_STOCK, _handed_back(first[meaning]), days=days)
    if AWAITING in first or _AWAITING_DATE.search(normal(text)):
        awaiting = _handed_back(first[AWAITING]) if AWAITING in first else "in stock on"
        state = Availability.IN_STOCK if days is not None else Availability.OUT_OF_STOCK
        return Classified(state, awaiting, days=days)
    if BACKORDER in first:
        phrase = _handed_back(first[BACKORDER])
        return Classified(Availability.IN_STOCK, phrase, days=days or BACKORDER_DAYS_ASSUMED)
    quantity = parse_quantity(text)
    if IN_STOCK in first or (quantity is not None and quantity > 0):
        phrase = _handed_back(first[IN_STOCK]) if IN_STOCK in first else f"{quantity} left"
        return Classified(Availability.IN_STOCK, phrase, quantity, days)
    if quantity == 0:
        return Classified(Availability.OUT_OF_STOCK, "quantity 0", 0)
    if SHIPS_WITHIN in first and days is not None:
        return Classified(Availability.IN_STOCK, first[SHIPS_WITHIN].text, days=days)
    return None
