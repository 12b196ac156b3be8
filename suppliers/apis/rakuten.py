"""Rakuten Ichiba Item Search (the 2026 system) as an item API: ``api:rakuten:SHOP:ITEM``.

The code is Rakuten's ``itemCode``, ``shopCode:itemId``: the item id is Rakuten's internal
number, **not** the slug in the item URL (``book:17798676`` is
``item.rakuten.co.jp/book/13770163/``). ``resolve_item_code(url)`` finds it once, at import,
by searching the shop for the slug and matching ``itemUrl``; store the result.

Requests follow the official SDK after its 2026 migration: host ``openapi.rakuten.co.jp``,
path ``/ichibams/api/IchibaItem/Search/{version}``, ``applicationId`` (a UUID) as a query
parameter and the ``accessKey`` (``pk_…``) in an ``accessKey`` header; ``Origin``/``Referer``
only for apps registered as web applications. Every read sends ``availability=0``: the
default (1) drops a sold-out item from the answer instead of returning ``availability: 0``.

Reading: ``availability`` 1 is IN_STOCK, 0 is OUT_OF_STOCK; anything else, a code missing
from the answer, 404, errors and refusals are UNKNOWN with a reason (401/403/429 ``blocked``;
400/5xx/network/malformed ``error``; 404 or absent ``not-in-feed``). The API knows no
per-variant stock: ``availability: 1`` means some variant can be bought.

Quota: one call per second per application id (no daily cap published); one code per call.
Credentials come from the environment only (``RakutenCredentials.from_env``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from stockguard.core.clock import Clock
from stockguard.core.domain import UnknownReason
from stockguard.core.errors import ConfigError, SupplierBlocked, SupplierError, SupplierUnavailable
from stockguard.suppliers.apis.base import ApiQuota
from stockguard.suppliers.apis.http_answers import (
    Pause,
    Redactor,
    error_text,
    json_body,
    retry_after_seconds,
)
from stockguard.suppliers.apis.rakuten_answers import answer_items, item_verdict
from stockguard.suppliers.base import Reading, unknown
from stockguard.suppliers.shops.rakuten import ITEM_HOST

log = logging.getLogger(__name__)

ENV_APP_ID = "STOCKGUARD_RAKUTEN_APP_ID"
ENV_ACCESS_KEY = "STOCKGUARD_RAKUTEN_ACCESS_KEY"
ENV_ORIGIN = "STOCKGUARD_RAKUTEN_ORIGIN"  # only for apps registered as "web application"
DEFAULT_BASE_URL = "https://openapi.rakuten.co.jp"
SEARCH_PATH = "/ichibams/api/IchibaItem/Search"
DEFAULT_VERSION = "20260701"
ELEMENTS = "itemCode,itemUrl,itemPrice,availability,postageFlag,taxFlag,itemPriceMin3,itemPriceMax3"
ITEM_CODE = re.compile(r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")
RETIRED_VERSION = "API Configuration not found"


@dataclass(frozen=True)
class RakutenCredentials:
    """An app of the 2026 system: application id (UUID) and access key. Never printed."""

    application_id: str = field(repr=False)
    access_key: str = field(repr=False)
    origin: str | None = None  # the registered site, for "web application" apps

    def __repr__(self) -> str:
        return f"RakutenCredentials(origin={self.origin!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RakutenCredentials | None:
        """From STOCKGUARD_RAKUTEN_APP_ID and _ACCESS_KEY (None when neither is set)."""
        env = os.environ if env is None else env
        app_id, key = env.get(ENV_APP_ID, ""), env.get(ENV_ACCESS_KEY, "")
        if not app_id and not key:
            return None
        missing = [
            name for name, value in ((ENV_APP_ID, app_id), (ENV_ACCESS_KEY, key)) if not value
        ]
        if missing:
            raise ConfigError(f"Rakuten API: set {', '.join(missing)} in the environment too")
        return cls(app_id, key, env.get(ENV_ORIGIN) or None)


def check_item_code(code: str) -> str:
    """``code`` if it is ``SHOP:ITEM``; else ValueError naming it."""
    if not ITEM_CODE.match(code):
        raise ValueError(f"{code!r} is not a Rakuten item code SHOP:ITEM (e.g. book:17798676)")
    return code


def item_url_parts(url: str) -> tuple[str, str]:
    """(shop code, slug) of an ``https://item.rakuten.co.jp/SHOP/SLUG/`` URL; else ValueError."""
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() != ITEM_HOST or len(segments) != 2:
        raise ValueError(f"{url!r} is not a Rakuten item URL https://{ITEM_HOST}/SHOP/ITEM/")
    return segments[0].lower(), segments[1]


class RakutenItemApi:
    """Rakuten Ichiba Item Search, one ``itemCode`` per call (an ``ItemApi``)."""

    name = "rakuten"
    batch_size = 1
    quota = ApiQuota(calls_per_second=1.0, burst=1)

    def __init__(
        self,
        credentials: RakutenCredentials,
        *,
        http: httpx.Client,
        clock: Clock,
        base_url: str = DEFAULT_BASE_URL,
        version: str = DEFAULT_VERSION,
    ) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self._url = f"{base_url.rstrip('/')}{SEARCH_PATH}/{version}"
        self._version = version
        self._redact = Redactor([credentials.application_id, credentials.access_key])
        self._pause = Pause()
        self._warned_retired = False

    @property
    def paused_until(self) -> datetime | None:
        """When a 429's back-off ends, while it lasts."""
        return self._pause.until if self._pause.active(self._clock.now()) else None

    def read(self, codes: Sequence[str]) -> dict[str, Reading]:
        """One call for one code: its verdict (UNKNOWN with a reason unless the answer says)."""
        if len(codes) > self.batch_size:
            raise ValueError(f"rakuten answers {self.batch_size} code per call, got {len(codes)}")
        verdicts: dict[str, Reading] = {}
        for code in codes:
            verdicts[code] = self._read_one(code)
        return verdicts

    def _read_one(self, code: str) -> Reading:
        try:
            check_item_code(code)
        except ValueError as exc:
            return unknown(UnknownReason.ERROR, f"rakuten: {exc}")
        params = {"itemCode": code, "hits": "1", "elements": ELEMENTS}
        body, failed = self._search(params, code)
        if failed is not None:
            return failed
        items = answer_items(body)
        if items is None:
            return unknown(UnknownReason.ERROR, f"rakuten {code}: 200 but no Items list")
        return item_verdict(code, items)

    def resolve_item_code(self, url: str) -> str:
        """The ``itemCode`` of an item page URL: one search of the shop for the URL's slug,
        matched on ``itemUrl``. Call once at import (it spends one call of the quota)."""
        shop, slug = item_url_parts(url)
        params = {"shopCode": shop, "keyword": slug, "hits": "30", "elements": ELEMENTS}
        body, failed = self._search(params, url)
        if failed is not None:
            kind = (
                SupplierBlocked if failed.reason is UnknownReason.BLOCKED else SupplierUnavailable
            )
            raise kind(f"{url}: Rakuten item code not resolved: {failed.evidence}")
        items = answer_items(body) or []
        codes = {
            str(i.get("itemCode")) for i in items if _is_item_url(i.get("itemUrl"), shop, slug)
        }
        if len(codes) == 1:
            return check_item_code(codes.pop())
        found = "several items" if codes else f"no item among {len(items)} results"
        raise SupplierError(f"{url}: Rakuten shop {shop} search for {slug!r} found {found}")

    def _search(self, params: dict[str, str], subject: str) -> tuple[Any, Reading | None]:
        """GET the search with ``params``: (JSON object, None) or (None, an UNKNOWN verdict)."""
        now = self._clock.now()
        if self._pause.active(now):
            why = f"rakuten {subject}: {self._pause.why}; no call before {self._pause.until}"
            return None, unknown(UnknownReason.BLOCKED, why)
        query = {
            "applicationId": self._credentials.application_id,
            "availability": "0",
            "formatVersion": "2",
            "format": "json",
            **params,
        }
        try:
            response = self._http.get(self._url, params=query, headers=self._headers())
        except httpx.HTTPError as exc:
            detail = self._redact(f"{type(exc).__name__}: {exc}")
            return None, unknown(UnknownReason.ERROR, f"rakuten {subject}: {detail}")
        body = json_body(response)
        if response.status_code != 200:
            return None, self._refusal(response, body, subject)
        if not isinstance(body, dict):
            return None, unknown(UnknownReason.ERROR, f"rakuten {subject}: 200 but not JSON")
        return body, None

    def _headers(self) -> dict[str, str]:
        # As the official SDK since its 2026 migration: the key in an "accessKey" header.
        headers = {"accessKey": self._credentials.access_key}
        if self._credentials.origin:
            origin = self._credentials.origin.rstrip("/")
            headers |= {"Origin": origin, "Referer": origin + "/"}
        return headers

    def _refusal(self, response: httpx.Response, body: Any, subject: str) -> Reading:
        status = response.status_code
        text = self._redact(error_text(response, body))
        said = f"rakuten {subject}: HTTP {status} {text}"
        if status == 429:
            seconds = retry_after_seconds(response, 1.0 / self.quota.calls_per_second)
            self._pause.start(self._clock.now() + timedelta(seconds=seconds), "429 rate limit")
            return unknown(UnknownReason.BLOCKED, f"{said} (over 1 call/s per application id)")
        if status in (401, 403) or (status == 400 and _names_credentials(text)):
            return unknown(UnknownReason.BLOCKED, f"{said} (credentials or origin refused)")
        if status == 404:
            hint = "delisted, or a wrong code (the URL slug is not the item code)"
            return unknown(UnknownReason.NOT_IN_FEED, f"{said} ({hint})")
        if status == 400 and RETIRED_VERSION in text:
            if not self._warned_retired:
                self._warned_retired = True
                log.warning(
                    "Rakuten Item Search version %s answers %r: retired? configure a newer version",
                    self._version,
                    RETIRED_VERSION,
                )
            return unknown(UnknownReason.ERROR, f"{said} (version {self._version} retired?)")
        return unknown(UnknownReason.ERROR, said)


def _is_item_url(value: object, shop: str, slug: str) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return item_url_parts(value) == (shop, slug)
    except ValueError:
        return False


def _names_credentials(text: str) -> bool:
    # 400 "specify valid applicationId (and accessKey)": a refusal, like 401/403.
    return "applicationId" in text or "accessKey" in text
