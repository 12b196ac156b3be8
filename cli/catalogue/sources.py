"""A catalogue's source cells: refused at import when they could never be checked safely.

The same rules as the rest of stockguard, not a second copy of them:

- ``feed:SUPPLIER:CODE`` codes are read by the feed importer's own reader
  (suppliers/feeds/values.py ``read_code``) with that supplier's ``[feeds.X]`` settings, so
  full-width digits are normalised, leading zeros padded, Excel's ``4.90123E+12`` refused and
  a JAN's check digit checked exactly as the feed will read it. For a supplier without a
  ``[feeds.X]`` section, a 13-digit code is taken as a JAN/EAN-13 and its check digit checked.
- ``api:NAME:CODE`` is an item of an official API (sync/api_refs.py checks its code).
- ``page:ADAPTER:URL`` names an adapter of the registry (suppliers/registry.py).
- A page URL passes the fetcher's address policy as written (suppliers/addresses.py): no
  loopback, private or link-local address, no ``user:pass@``, a valid port; host names are
  resolved and checked again at every fetch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from stockguard.core.config import FeedSettings, Settings
from stockguard.core.domain import Source, SourceKind
from stockguard.suppliers.addresses import AddressPolicy, policy_of
from stockguard.suppliers.feeds.values import CellError, read_code
from stockguard.suppliers.registry import ADAPTERS
from stockguard.sync import api_refs


class SourceError(ValueError):
    """One source cell that cannot be used; the message says why."""


@dataclass(frozen=True)
class SourceRules:
    """What a source must satisfy: the address policy and each supplier's feed settings."""

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    feeds: Mapping[str, FeedSettings] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings) -> SourceRules:
        """The rules the configured fetcher and feed importer apply."""
        return cls(policy_of(settings.suppliers), settings.feeds)


def parse_sources(cells: list[str], rules: SourceRules) -> tuple[Source, ...]:
    """Every source of a row's source cells (``|`` separates several in one cell)."""
    refs = [part.strip() for cell in cells for part in cell.split("|") if part.strip()]
    if not refs:
        raise SourceError("no source (a product page URL, feed:SUPPLIER:CODE or api:NAME:CODE)")
    found: list[Source] = []
    for ref in refs:
        source = parse_source(ref, rules)
        if source not in found:
            found.append(source)
    return tuple(found)


def parse_source(ref: str, rules: SourceRules) -> Source:
    """One source reference, checked."""
    if ref.lower().startswith(api_refs.PREFIX):
        try:
            return api_refs.parse(ref)
        except ValueError as exc:
            raise SourceError(str(exc)) from None
    if ref.lower().startswith("feed:"):
        return _feed_source(ref, rules)
    adapter = ""
    url = ref
    if ref.lower().startswith("page:"):  # page:ADAPTER:URL names the adapter (own-domain shops)
        _, adapter, url = [*ref.split(":", 2), "", ""][:3]
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", adapter):
            raise SourceError(
                f"bad page source: expected page:ADAPTER:URL, got adapter {adapter!r}"
            )
        if adapter not in ADAPTERS:
            raise SourceError(
                f"unknown adapter {adapter!r} in {ref!r} (known: {', '.join(ADAPTERS)})"
            )
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https") or re.search(r"\s", url):
        raise SourceError(
            f"bad source URL {url!r}: expected http(s)://host/path, feed:SUPPLIER:CODE "
            "or api:NAME:CODE"
        )
    problem = rules.policy.url_problem(url)
    if problem:
        raise SourceError(
            f"source URL {url!r} refused: {problem} "
            "(a private source needs [suppliers] allow_private)"
        )
    return Source(SourceKind.PAGE, url, supplier=adapter)


def _feed_source(ref: str, rules: SourceRules) -> Source:
    _, supplier, raw = [*ref.split(":", 2), "", ""][:3]
    supplier = supplier.strip()
    if not supplier or not raw.strip():
        raise SourceError(f"bad feed source {ref!r}: expected feed:SUPPLIER:CODE")
    feed = rules.feeds.get(supplier)
    try:
        if feed is not None:
            code = read_code(raw, kind=feed.code_kind, zero_pad=feed.code_zero_pad)
        else:
            code = read_code(raw)
            if len(code) == 13 and code.isdigit():
                code = read_code(code, kind="jan")
    except CellError as exc:
        raise SourceError(f"feed source {ref!r}: {exc}") from None
    return Source(SourceKind.FEED, code, supplier=supplier)
