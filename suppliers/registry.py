"""Which adapter reads which page: an explicit table of names and dotted paths, loaded lazily.

Shops with their own domains are chosen by URL host: each adapter declares its ``hosts`` (the
one place they are written), gathered here on the first lookup (suffix match, so
``www.amazon.co.jp`` and ``amazon.co.jp`` both go to amazon). Shop platforms run on each
shop's own domain, so ``PLATFORMS`` recognise themselves from the page. Anything else is read
by the generic adapter. Adapter modules are imported when first needed (the first host
lookup imports them all), never by importing this module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import parse_qs, urlsplit

from stockguard.core.domain import Observation
from stockguard.core.errors import ConfigError
from stockguard.suppliers.base import DEFAULT_OPTIONS, PageAdapter, ParseOptions
from stockguard.suppliers.page import Page, host_of

ADAPTERS: dict[str, str] = {
    "amazon": "stockguard.suppliers.shops.amazon:ADAPTER",
    "rakuten": "stockguard.suppliers.shops.rakuten:ADAPTER",
    "yahoo": "stockguard.suppliers.shops.yahoo:ADAPTER",
    "yodobashi": "stockguard.suppliers.shops.yodobashi:ADAPTER",
    "biccamera": "stockguard.suppliers.shops.biccamera:ADAPTER",
    "mercari": "stockguard.suppliers.shops.mercari:ADAPTER",
    "shopify": "stockguard.suppliers.shops.shopify:ADAPTER",
    "woocommerce": "stockguard.suppliers.shops.woocommerce:ADAPTER",
    "makeshop": "stockguard.suppliers.shops.makeshop:ADAPTER",
    "colorme": "stockguard.suppliers.shops.colorme:ADAPTER",
    "base": "stockguard.suppliers.shops.base:ADAPTER",
    "generic": "stockguard.suppliers.shops.generic:ADAPTER",
}
PLATFORMS = ("shopify", "woocommerce", "makeshop", "colorme", "base")
# Adapters that read a product's variant list: without a named variant, variants that differ
# in availability read UNKNOWN (``listings import`` warns about such sources).
VARIANT_ADAPTERS = ("shopify", "woocommerce")
_loaded: dict[str, PageAdapter] = {}


def load(name: str) -> PageAdapter:
    """The adapter registered under ``name`` (imported on first use)."""
    if name not in ADAPTERS:
        raise ConfigError(f"unknown supplier adapter {name!r} (known: {', '.join(ADAPTERS)})")
    if name not in _loaded:
        module_name, _, attribute = ADAPTERS[name].partition(":")
        adapter = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(adapter, PageAdapter):
            raise ConfigError(f"{ADAPTERS[name]} is not a PageAdapter")
        _loaded[name] = adapter
    return _loaded[name]


@cache
def served_hosts() -> dict[str, tuple[str, ...]]:
    """Adapter name -> the hosts it declares (adapters serving no host of their own left out)."""
    return {name: load(name).hosts for name in ADAPTERS if load(name).hosts}


def by_host(url: str) -> str | None:
    """The adapter name serving a URL's host, or None (longest host suffix wins)."""
    host = host_of(url)
    best: tuple[int, str] | None = None
    for name, hosts in served_hosts().items():
        for served in hosts:
            if (host == served or host.endswith("." + served)) and (
                best is None or len(served) > best[0]
            ):
                best = (len(served), name)
    return best[1] if best else None


def unnamed_variant(url: str, adapter: str = "", variant: str | None = None) -> str | None:
    """The variant-reading adapter of a page source that names no variant, else None.

    The adapter is the one the source names (``page:shopify:URL``) or its host serves (a
    platform on the shop's own domain is only known once the page is read); Shopify's
    ``?variant=ID`` in the URL names one."""
    if variant:
        return None
    name = adapter or by_host(url)
    if name not in VARIANT_ADAPTERS:
        return None
    if name == "shopify" and "variant" in parse_qs(urlsplit(url).query):
        return None
    return name


def choose(page: Page, name: str | None = None) -> PageAdapter:
    """The adapter for a page: the one named, else by host, else a platform, else generic."""
    if name:
        return load(name)
    hosted = by_host(page.final_url) or by_host(page.url)
    if hosted:
        return load(hosted)
    for platform in PLATFORMS:
        adapter = load(platform)
        if adapter.recognises(page):
            return adapter
    return load("generic")


def parse_page(
    html: str | bytes,
    url: str,
    *,
    fetched_at: datetime,
    status: int = 200,
    final_url: str | None = None,
    options: ParseOptions = DEFAULT_OPTIONS,
    adapter: str | None = None,
    encoding: str | None = None,
) -> Observation:
    """Choose the adapter for a page and parse it into an Observation."""
    page = Page(html, url, status=status, final_url=final_url, encoding=encoding)
    chosen = choose(page, adapter)
    observe = getattr(chosen, "observe", None)
    if observe is not None:  # a ShopAdapter: reuse the already decoded page
        result: Observation = observe(page, fetched_at=fetched_at, options=options)
        return result
    return chosen.parse(
        html, url, status=status, fetched_at=fetched_at, options=options, final_url=final_url
    )


@dataclass(frozen=True)
class AdapterInfo:
    """One row of ``stockguard suppliers list``."""

    name: str
    hosts: tuple[str, ...]
    recognised_from_page: bool
    dotted_path: str


def describe() -> list[AdapterInfo]:
    """Every registered adapter with the hosts it serves."""
    return [
        AdapterInfo(name, load(name).hosts, name in PLATFORMS, path)
        for name, path in ADAPTERS.items()
    ]
