"""Yahoo! Shopping as an item API: ``api:yahoo:STORE_ITEM`` or ``api:yahoo:STORE_ITEM@JAN``.

The code is Yahoo's own item ``code``: the store id, an underscore, the store's item code
(``STORE_ITEM``; store ids have no underscore, so the first one splits). It is the item URL
``https://store.shopping.yahoo.co.jp/STORE/ITEM.html`` rewritten (``code_from_url``), so no
call is needed to find it. An optional ``@JAN`` (8 or 13 digits) makes the search exact.

Two ways to read (``via``), both with ``appid`` as a query parameter (no OAuth):
- ``"search"`` (default): V3 ``itemSearch`` with ``seller_id=STORE`` and ``jan_code=JAN``
  or else ``query=ITEM``, matched on the exact ``code``. ``in_stock`` is never sent: it is a
  filter (true = in stock only, false = sold out only) that would make a sold-out item vanish
  instead of answering ``inStock: false``. Duplicates (ad slot + organic) must agree.
- ``"lookup"``: V1 ``itemLookup`` by ``itemcode`` (legacy, still served): ``Availability``
  ``instock`` / ``outofstock``; anything else is UNKNOWN.

Quota: 50,000 calls a day per app id (counted from 00:00 Japan time; no raise on request)
and about one call a second. A 403 means the day's calls are spent: every read answers
UNKNOWN (blocked) without calling until the next 00:00 JST, and the pause is logged once.
Credentials come from the environment only (``YahooCredentials.from_env``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from stockguard.core.clock import Clock
from stockguard.core.domain import Money, UnknownReason
from stockguard.suppliers.apis.base import ApiQuota
from stockguard.suppliers.apis.http_answers import (
    Pause,
    Redactor,
    error_text,
    json_body,
    next_midnight_jst,
    retry_after_seconds,
    yen,
)
from stockguard.suppliers.base import Reading, in_stock, out_of_stock, unknown
from stockguard.suppliers.shops.yahoo import ITEM_HOST

log = logging.getLogger(__name__)

ENV_APP_ID = "STOCKGUARD_YAHOO_APP_ID"
DEFAULT_BASE_URL = "https://shopping.yahooapis.jp"
SEARCH_PATH = "/ShoppingWebService/V3/itemSearch"
LOOKUP_PATH = "/ShoppingWebService/V1/json/itemLookup"
DAILY_CALLS = 50_000
SEARCH_RESULTS = 50  # enough for one store's hits on one item code or JAN
_CODE = re.compile(r"^([a-z0-9][a-z0-9-]*)_([A-Za-z0-9_.-]+?)(?:@(\d{8}|\d{13}))?$")
Via = Literal["search", "lookup"]


@dataclass(frozen=True)
class YahooCredentials:
    """A Yahoo! JAPAN application id (Client ID). Never printed."""

    app_id: str = field(repr=False)

    def __repr__(self) -> str:
        return "YahooCredentials(app_id=***)"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> YahooCredentials | None:
        """From STOCKGUARD_YAHOO_APP_ID (None when it is not set)."""
        env = os.environ if env is None else env
        app_id = env.get(ENV_APP_ID, "")
        return cls(app_id) if app_id else None


@dataclass(frozen=True)
class YahooCode:
    """A parsed code: store id, the store's item code, an optional JAN."""

    store: str
    item: str
    jan: str | None = None

    @property
    def code(self) -> str:
        """Yahoo's own ``code`` (``STORE_ITEM``), as answers spell it."""
        return f"{self.store}_{self.item}"


def parse_code(text: str) -> YahooCode:
    """``STORE_ITEM`` or ``STORE_ITEM@JAN``; else ValueError naming it."""
    found = _CODE.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a Yahoo code STORE_ITEM or STORE_ITEM@JAN")
    return YahooCode(found.group(1), found.group(2), found.group(3))


def code_from_url(url: str) -> str:
    """``STORE_ITEM`` of an item page URL ``https://store.shopping.yahoo.co.jp/STORE/ITEM.html``."""
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() != ITEM_HOST or len(segments) != 2:
        raise ValueError(f"{url!r} is not a Yahoo! Shopping item URL .../STORE/ITEM.html")
    return parse_code(f"{segments[0].lower()}_{segments[1].removesuffix('.html')}").code


class YahooItemApi:
    """Yahoo! Shopping itemSearch (V3) or itemLookup (V1), one code per call (an ``ItemApi``)."""

    name = "yahoo"
    batch_size = 1
    quota = ApiQuota(calls_per_second=1.0, burst=1, calls_per_day=DAILY_CALLS)

    def __init__(
        self,
        credentials: YahooCredentials,
        *,
        http: httpx.Client,
        clock: Clock,
        base_url: str = DEFAULT_BASE_URL,
        via: Via = "search",
    ) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self._base = base_url.rstrip("/")
        self.via: Via = via
        self._redact = Redactor([credentials.app_id])
        self._pause = Pause()

    @property
    def paused_until(self) -> datetime | None:
        """When the current refusal (the day's limit, a 429) ends, while it lasts."""
        return self._pause.until if self._pause.active(self._clock.now()) else None

    def read(self, codes: Sequence[str]) -> dict[str, Reading]:
        """One call for one code: its verdict (UNKNOWN with a reason unless the answer says)."""
        if len(codes) > self.batch_size:
            raise ValueError(f"yahoo answers {self.batch_size} code per call, got {len(codes)}")
        return {code: self._read_one(code) for code in codes}

    def _read_one(self, text: str) -> Reading:
        try:
            code = parse_code(text)
        except ValueError as exc:
            return unknown(UnknownReason.ERROR, f"yahoo: {exc}")
        if self.via == "lookup":
            params = {"itemcode": code.code, "responsegroup": "large"}
            body, failed = self._get(LOOKUP_PATH, params, text)
            return failed or lookup_verdict(code, body)
        params = {"seller_id": code.store, "results": str(SEARCH_RESULTS)}
        params |= {"jan_code": code.jan} if code.jan else {"query": code.item}
        body, failed = self._get(SEARCH_PATH, params, text)
        return failed or search_verdict(code, body)

    def _get(self, path: str, params: dict[str, str], subject: str) -> tuple[Any, Reading | None]:
        """GET ``path``: (JSON object, None) or (None, an UNKNOWN verdict)."""
        if self._pause.active(self._clock.now()):
            why = f"yahoo {subject}: {self._pause.why}; no call before {self._pause.until}"
            return None, unknown(UnknownReason.BLOCKED, why)
        query = {"appid": self._credentials.app_id, **params}
        try:
            response = self._http.get(self._base + path, params=query)
        except httpx.HTTPError as exc:
            detail = self._redact(f"{type(exc).__name__}: {exc}")
            return None, unknown(UnknownReason.ERROR, f"yahoo {subject}: {detail}")
        body = json_body(response)
        if response.status_code != 200:
            return None, self._refusal(response, body, subject)
        if not isinstance(body, dict):
            return None, unknown(UnknownReason.ERROR, f"yahoo {subject}: 200 but not JSON")
        return body, None

    def _refusal(self, response: httpx.Response, body: Any, subject: str) -> Reading:
        status = response.status_code
        said = f"yahoo {subject}: HTTP {status} {self._redact(error_text(response, body))}"
        now = self._clock.now()
        if status == 403:
            until = next_midnight_jst(now)
            if self._pause.start(until, f"daily limit ({DAILY_CALLS:,} calls per app id)"):
                log.warning(
                    "Yahoo! Shopping API refused with 403 (the daily limit of %s calls "
                    "per app id): no calls until %s",
                    f"{DAILY_CALLS:,}",
                    until,
                )
            return unknown(
                UnknownReason.BLOCKED,
                f"{said} (daily limit spent; no call before 00:00 JST, {until.isoformat()})",
            )
        if status == 429:
            seconds = retry_after_seconds(response, 1.0 / self.quota.calls_per_second)
            self._pause.start(now + timedelta(seconds=seconds), "429 rate limit")
            return unknown(UnknownReason.BLOCKED, f"{said} (over the per-second limit)")
        if status == 401:
            return unknown(UnknownReason.BLOCKED, f"{said} (app id refused)")
        return unknown(UnknownReason.ERROR, said)


def search_verdict(code: YahooCode, body: Any) -> Reading:
    """The verdict for ``code`` from a V3 itemSearch answer (only the exact ``code`` counts)."""
    hits = body.get("hits") if isinstance(body, dict) else None
    if not isinstance(hits, list):
        return unknown(UnknownReason.ERROR, f"yahoo {code.code}: 200 but no hits list")
    mine = [h for h in hits if isinstance(h, dict) and h.get("code") == code.code]
    if not mine:
        return unknown(
            UnknownReason.NOT_IN_FEED,
            f"yahoo {code.code}: not among the {len(hits)} hits of store {code.store}",
        )
    states = {(h.get("inStock"), str(h.get("price"))) for h in mine}
    if len(states) != 1:  # the ad slot and the organic hit should be the same item
        return unknown(UnknownReason.ERROR, f"yahoo {code.code}: listed twice, differing")
    flag, price = mine[0].get("inStock"), yen(mine[0].get("price"))
    evidence = f"yahoo {code.code}: itemSearch inStock={flag!r}, price={_shown(price)}"
    if flag is True:
        return in_stock(evidence, price=price)
    if flag is False:
        return out_of_stock(evidence, price=price)
    return unknown(UnknownReason.ERROR, f"{evidence} (not a boolean)")


def lookup_verdict(code: YahooCode, body: Any) -> Reading:
    """The verdict for ``code`` from a V1 itemLookup answer (numeric-keyed objects)."""
    result_set = body.get("ResultSet") if isinstance(body, dict) else None
    if not isinstance(result_set, dict):
        return unknown(UnknownReason.ERROR, f"yahoo {code.code}: 200 but no ResultSet")
    results = [
        r
        for entry in _numbered(result_set).values()
        for r in _numbered(entry.get("Result")).values()
    ]
    mine = [r for r in results if r.get("Code") == code.code]
    if not mine:
        returned = result_set.get("totalResultsReturned")
        return unknown(
            UnknownReason.NOT_IN_FEED,
            f"yahoo {code.code}: itemLookup found nothing (totalResultsReturned="
            f"{returned!r}: delisted or a wrong code)",
        )
    availability, price = mine[0].get("Availability"), yen(mine[0].get("Price"))
    evidence = f"yahoo {code.code}: itemLookup Availability={availability!r}, price={_shown(price)}"
    if availability == "instock":
        return in_stock(evidence, price=price)
    if availability == "outofstock":
        return out_of_stock(evidence, price=price)
    return unknown(UnknownReason.ERROR, f"{evidence} (neither instock nor outofstock)")


def _numbered(value: object) -> dict[str, dict[str, Any]]:
    """The ``"0"``, ``"1"``… entries of a V1 object that are objects themselves."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if k.isdigit() and isinstance(v, dict)}


def _shown(price: Money | None) -> str:
    return "none" if price is None else f"¥{price.amount}"
