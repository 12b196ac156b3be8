"""The item-API registry: which API families exist, their published quotas, how to build one.

Adding an API is one ``FAMILIES`` line: its published quota and batch size, and a builder that
turns ``[apis.NAME]`` settings and the credentials read from the environment into an ItemApi
(plus what to close). Amazon's builder joins the pure offers reader
(``suppliers.apis.amazon``) to its HTTP transport (``core.amazon.gateway_pricing``); Rakuten
(``suppliers.apis.rakuten``) and Yahoo! Shopping (``suppliers.apis.yahoo``) get an HTTP client
of their own.

``build_readers`` gives the checker one ``ApiReader`` per configured API (its section present,
enabled, and its credentials set); ``quota_of`` gives `status` the limits without building.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal

import httpx

from stockguard.core.amazon.gateway_pricing import PricingTransport
from stockguard.core.clock import Clock
from stockguard.core.config import ApiSecrets, ApiSettings, Settings
from stockguard.core.domain import marketplace
from stockguard.core.errors import ConfigError
from stockguard.suppliers.apis import amazon, rakuten, yahoo
from stockguard.suppliers.apis.base import ApiQuota, ItemApi
from stockguard.sync import api_refs
from stockguard.sync.quota import QuotaPacer

Built = tuple[ItemApi, Callable[[], None]]  # the client, and how to close it
Builder = Callable[[str, ApiSettings, ApiSecrets, ApiQuota, Clock], Built]


@dataclass(frozen=True)
class ApiFamily:
    """An API family: its published quota, the codes one call answers, and its builder."""

    quota: ApiQuota
    batch_size: int
    build: Builder


@dataclass
class ApiReader:
    """One configured item API, ready for the checker: client, quota pacer, settings."""

    api: ItemApi
    pacer: QuotaPacer
    settings: ApiSettings
    close: Callable[[], None]


def build_amazon(
    name: str, settings: ApiSettings, secrets: ApiSecrets, quota: ApiQuota, clock: Clock
) -> Built:
    """SP-API getItemOffersBatch for an ``amazon-<marketplace>`` API."""
    code = api_refs.amazon_marketplace(name)
    if code is None:
        raise ConfigError(f"[apis.{name}]: unknown Amazon marketplace (amazon-jp, amazon-us…)")
    market = marketplace(code)
    transport = PricingTransport(
        market,
        secrets.values,
        endpoint=settings.endpoint,
        lwa_endpoint=settings.lwa_endpoint,
        timeout=settings.timeout_seconds,
        missing=secrets.missing,
    )
    return amazon.AmazonOffersApi(name, transport, sourcing_rule(name, settings), quota), (
        transport.close
    )


def sourcing_rule(name: str, settings: ApiSettings) -> amazon.SourcingRule:
    """The seller's sourcing rule from ``[apis.amazon-XX]``."""
    sold_by = None
    if settings.sold_by_amazon:
        code = api_refs.amazon_marketplace(name) or ""
        sold_by = amazon.RETAIL_SELLER_IDS.get(code)
        if sold_by is None:
            raise ConfigError(
                f"[apis.{name}] sold_by_amazon: Amazon's seller id for {code} is unknown"
            )
    price = settings.max_landed_price
    return amazon.SourcingRule(
        sold_by=sold_by,
        fulfilled_by_amazon=settings.fulfilled_by_amazon,
        prime=settings.prime,
        max_landed_price=Decimal(str(price)) if price is not None else None,
    )


def build_rakuten(
    name: str, settings: ApiSettings, secrets: ApiSecrets, quota: ApiQuota, clock: Clock
) -> Built:
    """Rakuten Ichiba Item Search with the application id and access key."""
    values = secrets.values
    credentials = rakuten.RakutenCredentials(
        values["application_id"], values["access_key"], values.get("origin") or None
    )
    http = httpx.Client(timeout=settings.timeout_seconds)
    base = settings.endpoint or rakuten.DEFAULT_BASE_URL
    return rakuten.RakutenItemApi(credentials, http=http, clock=clock, base_url=base), http.close


def build_yahoo(
    name: str, settings: ApiSettings, secrets: ApiSecrets, quota: ApiQuota, clock: Clock
) -> Built:
    """Yahoo! Shopping itemSearch with the application id."""
    credentials = yahoo.YahooCredentials(secrets.values["app_id"])
    http = httpx.Client(timeout=settings.timeout_seconds)
    base = settings.endpoint or yahoo.DEFAULT_BASE_URL
    return yahoo.YahooItemApi(credentials, http=http, clock=clock, base_url=base), http.close


FAMILIES: dict[str, ApiFamily] = {
    "amazon": ApiFamily(amazon.QUOTA, amazon.BATCH_SIZE, build_amazon),
    "rakuten": ApiFamily(
        rakuten.RakutenItemApi.quota, rakuten.RakutenItemApi.batch_size, build_rakuten
    ),
    "yahoo": ApiFamily(yahoo.YahooItemApi.quota, yahoo.YahooItemApi.batch_size, build_yahoo),
}


def quota_of(name: str, settings: ApiSettings) -> tuple[ApiQuota, int] | None:
    """The quota API ``name`` is held to (the published one, or the settings' overrides) and
    its batch size; None when the family is not registered."""
    family = FAMILIES.get(api_refs.family(name))
    if family is None:
        return None
    quota = replace(
        family.quota,
        calls_per_second=settings.calls_per_second or family.quota.calls_per_second,
        burst=settings.burst or family.quota.burst,
        calls_per_day=settings.calls_per_day or family.quota.calls_per_day,
    )
    return quota, family.batch_size


def build_readers(
    settings: Settings, clock: Clock, only: Collection[str] | None = None
) -> dict[str, ApiReader]:
    """One reader per configured API (or only those named in ``only``); ConfigError naming the
    section for a bad one. APIs whose credentials are not all set are left out (their page
    sources are read as pages)."""
    readers: dict[str, ApiReader] = {}
    try:
        for name, api in settings.apis.items():
            if only is not None and name not in only:
                continue
            secrets = settings.api_secrets.get(name, ApiSecrets())
            if not api.enabled or secrets.missing or not secrets.values:
                continue
            found = quota_of(name, api)
            if found is None:
                known = ", ".join(["amazon-<marketplace>", *sorted(set(FAMILIES) - {"amazon"})])
                raise ConfigError(f"[apis.{name}]: unknown API (known: {known})")
            if not 0.0 <= api.audit_share <= 1.0:
                raise ConfigError(f"[apis.{name}] audit_share: expected a share from 0 to 1")
            quota, _ = found
            build = FAMILIES[api_refs.family(name)].build
            client, close = build(name, api, secrets, quota, clock)
            pacer = QuotaPacer(clock, quota.calls_per_second, quota.burst, quota.calls_per_day)
            readers[name] = ApiReader(client, pacer, api, close)
    except BaseException:
        for reader in readers.values():
            reader.close()
        raise
    return readers


def hourly_capacity(settings: Settings) -> dict[str, int]:
    """Items per hour each configured API's quota allows, by lane (for `status`)."""
    found: dict[str, int] = {}
    for name, api in settings.apis.items():
        quota = quota_of(name, api)
        if quota is None or not api.enabled:
            continue
        calls = quota[0].calls_per_second * 3600
        if quota[0].calls_per_day is not None:
            calls = min(calls, quota[0].calls_per_day / 24)
        found[api_refs.lane(name)] = int(calls * quota[1])
    return found
