"""A seller's own stock phrases, per shop host or per source, from the config.

```toml
[suppliers.phrases."shop.example.jp"]            # this host and its subdomains
in_stock = ["在庫あります"]
out_of_stock = ["只今お取り寄せ中"]
preorder = ["予約受付開始前"]

[suppliers.phrases."https://shop.example.jp/item/42"]   # this one source only
in_stock = ["即日発送"]
```

``for_url`` gathers the phrases that apply to one source: the host's (the more specific
host last) and then the source's own, a later one replacing an earlier one of the same
normalised phrase. They are matched after the same normalising as the built-in tables (case,
NFKC width, accents, spaces) and take precedence over them (``suppliers.phrases``); the
evidence names a seller phrase that decided (``annotate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stockguard.core.config import SellerPhraseSettings
from stockguard.core.errors import ConfigError
from stockguard.suppliers import phrases
from stockguard.suppliers.page import host_of

SELLER_MEANINGS = {
    "in_stock": phrases.IN_STOCK,
    "out_of_stock": phrases.OUT_OF_STOCK,
    "preorder": phrases.AWAITING,
}
_LABELS = {meaning: key for key, meaning in SELLER_MEANINGS.items()}


@dataclass(frozen=True)
class SellerPhrase:
    """A phrase a seller wrote in the config for a shop host or a source, with its meaning."""

    meaning: str  # phrases.IN_STOCK, OUT_OF_STOCK or AWAITING
    text: str  # as written in the config
    origin: str  # the config key: a shop host or a source URL

    def describe(self) -> str:
        """How it reads in evidence."""
        label = _LABELS[self.meaning]
        return f'seller phrase "{self.text}" = {label} ([suppliers.phrases."{self.origin}"])'


@dataclass(frozen=True)
class SellerPhrases:
    """The seller phrases active for one source, at most one per normalised phrase."""

    phrases: tuple[SellerPhrase, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phrases)


NO_SELLER_PHRASES = SellerPhrases()


def _is_source(key: str) -> bool:
    return "://" in key


def _same_source(key: str, url: str) -> bool:
    return key.strip().rstrip("/") == url.strip().rstrip("/")


def _serves(key: str, host: str) -> bool:
    wanted = key.strip().lower().removeprefix("www.")
    return host == wanted or host.endswith("." + wanted)


def for_url(url: str, table: Mapping[str, SellerPhraseSettings]) -> SellerPhrases:
    """The seller phrases for one source URL: its host's, then its own (see the module doc)."""
    if not table:
        return NO_SELLER_PHRASES
    host = host_of(url)
    hosts = sorted((k for k in table if not _is_source(k) and _serves(k, host)), key=len)
    keys = hosts + [k for k in table if _is_source(k) and _same_source(k, url)]
    chosen: dict[str, SellerPhrase] = {}
    for key in keys:
        for phrase in entries(key, table[key]):
            chosen[phrases.normal(phrase.text)] = phrase
    return SellerPhrases(tuple(chosen.values()))


def entries(key: str, settings: SellerPhraseSettings) -> list[SellerPhrase]:
    """One config table's phrases; refused (ConfigError naming the key) when a phrase is
    empty once normalised or listed under two meanings."""
    found: dict[str, SellerPhrase] = {}
    for name, meaning in SELLER_MEANINGS.items():
        for text in getattr(settings, name):
            folded = phrases.normal(text)
            where = f'[suppliers.phrases."{key}"] {name}'
            if not folded:
                raise ConfigError(f"{where}: an empty phrase {text!r}")
            other = found.get(folded)
            if other is not None and other.meaning != meaning:
                raise ConfigError(
                    f"{where}: {text!r} is also under {_LABELS[other.meaning]} (one meaning each)"
                )
            found[folded] = SellerPhrase(meaning, text, key)
    return list(found.values())


def validate(table: Mapping[str, SellerPhraseSettings]) -> None:
    """Refuse a config whose seller phrases cannot be used (raises ConfigError)."""
    for key, settings in table.items():
        if not key.strip():
            raise ConfigError("[suppliers.phrases]: an empty host or source key")
        entries(key, settings)


def annotate(evidence: str, decisive: list[SellerPhrase]) -> str:
    """The evidence with the seller phrases it quotes named as such."""
    folded = phrases.normal(evidence)
    named = [p for p in decisive if phrases.normal(p.text) in folded]
    return evidence + "".join(f" [{p.describe()}]" for p in named)
