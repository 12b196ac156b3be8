"""A local Rakuten Ichiba Item Search (2026 system), built from the reference's shapes.

``GET /ichibams/api/IchibaItem/Search/{version}`` on loopback, with what the real gateway
does (../shared/reference/supplier-apis.md §1):
- auth: ``accessKey`` header (or query parameter), unknown key 403 ``Invalid Access Key``,
  none 401 ``accessKey must be present``; ``applicationId`` missing or not the key's app 400
  ``specify valid applicationId``; web-application apps need their ``Origin`` (403
  ``REQUEST_CONTEXT_BODY_HTTP_REFERRER_MISSING`` / ``HTTP_REFERRER_NOT_ALLOWED``);
  ``Authorization: Bearer`` is not accepted (the SDK maintainers' finding);
- one call a second per application id (429 ``too_many_requests``); a retired or unknown
  version 400 ``API Configuration not found``;
- ``availability`` defaulting to 1 (sold-out items left out), ``itemCode`` unknown 404,
  malformed 400, ``keyword``/``shopCode`` search (keyword words in the name or URL slug),
  ``hits`` ≤ 30, ``formatVersion`` 1 (wrapped ``Item``) or 2 (flat; ``items`` on 20260701),
  ``elements``, prices as strings (as observed after the migration).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stockguard.core.clock import Clock
from stockguard.doubles.apis.server import FakeAnswer, FakeApiServer, json_answer

PATH = re.compile(r"^/ichibams/api/IchibaItem/Search/(\w+)$")
VERSIONS = ("20260401", "20260701")


@dataclass
class FakeRakutenItem:
    """One item of the fake's catalogue; ``slug`` is its URL's, not its ``itemCode``."""

    item_code: str  # shopCode:itemId, e.g. "amiami:13050893"
    slug: str  # e.g. "goods-04818580"
    name: str
    price: int
    available: bool = True
    postage_included: bool = True
    tax_included: bool = True
    variant_prices: tuple[int, int] | None = None  # purchasable SKUs' min and max

    @property
    def shop(self) -> str:
        return self.item_code.split(":", 1)[0]

    @property
    def url(self) -> str:
        return f"https://item.rakuten.co.jp/{self.shop}/{self.slug}/"

    def fields(self, price_as_text: bool) -> dict[str, Any]:
        low, high = self.variant_prices or (self.price, self.price)
        price: int | str = str(self.price) if price_as_text else self.price
        return {
            "itemName": self.name,
            "catchcopy": "",
            "itemCode": self.item_code,
            "itemPrice": price,
            "itemUrl": self.url,
            "affiliateUrl": "",
            "availability": int(self.available),
            "taxFlag": int(not self.tax_included),
            "postageFlag": int(not self.postage_included),
            "creditCardFlag": 1,
            "itemPriceBaseField": "item_price_min3",
            "itemPriceMin3": low,
            "itemPriceMax3": high,
            "pointRate": 1,
            "shopCode": self.shop,
            "shopName": self.shop,
            "shopUrl": f"https://www.rakuten.co.jp/{self.shop}/",
            "genreId": "0",
            "tagIds": [],
        }


@dataclass(frozen=True)
class FakeRakutenApp:
    """A registered app: application id, access key, and its site for web-application apps."""

    application_id: str
    access_key: str
    origin: str | None = None  # None: an "API/backend service" app (no Origin checked)


def wrong(description: str, status: int = 400) -> FakeAnswer:
    """The API's own error shape."""
    error = {400: "wrong_parameter", 404: "not_found", 429: "too_many_requests"}.get(status)
    return json_answer(status, {"error": error or "system_error", "error_description": description})


def refused(status: int, message: str) -> FakeAnswer:
    """The 2026 gateway's error shape."""
    return json_answer(status, {"errors": {"errorCode": status, "errorMessage": message}})


class FakeRakuten(FakeApiServer):
    """Rakuten Ichiba Item Search on 127.0.0.1; use as a context manager."""

    label = "fake-rakuten"

    def __init__(
        self,
        items: Iterable[FakeRakutenItem],
        apps: Iterable[FakeRakutenApp],
        clock: Clock,
        *,
        versions: tuple[str, ...] = VERSIONS,
        price_as_text: bool = True,
    ) -> None:
        super().__init__(clock, calls_per_second=1.0, burst=1)
        self.items = {item.item_code: item for item in items}
        self.apps = {app.access_key: app for app in apps}
        self.versions = versions
        self.price_as_text = price_as_text

    def set_available(self, item_code: str, available: bool) -> None:
        """Sell out or restock an item now."""
        with self.lock:
            self.items[item_code].available = available

    def answer(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> FakeAnswer:
        found = PATH.match(path)
        if found is None:
            return wrong("not found", 404)
        app_or_refusal = self._authorise(query, headers)
        if isinstance(app_or_refusal, FakeAnswer):
            return app_or_refusal
        if found.group(1) not in self.versions:
            return wrong("API Configuration not found")
        if not self.within_rate(app_or_refusal.application_id):
            return wrong("number of allowed requests has been exceeded", 429)
        return self._search(found.group(1), query)

    def _authorise(
        self, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> FakeRakutenApp | FakeAnswer:
        key = headers.get("accesskey") or query.get("accessKey")
        if not key:
            return refused(401, "accessKey must be present")
        app = self.apps.get(key)
        if app is None:
            return refused(403, "Invalid Access Key")
        if query.get("applicationId") != app.application_id:
            return wrong("specify valid applicationId")
        if app.origin is not None:
            origin = headers.get("origin")
            if not origin:
                return refused(403, "REQUEST_CONTEXT_BODY_HTTP_REFERRER_MISSING")
            if origin.rstrip("/") != app.origin.rstrip("/"):
                return refused(403, "HTTP_REFERRER_NOT_ALLOWED")
        return app

    def _search(self, version: str, query: Mapping[str, str]) -> FakeAnswer:
        code, shop, keyword = (query.get(k, "") for k in ("itemCode", "shopCode", "keyword"))
        if not (code or shop or keyword or query.get("genreId")):
            return wrong("keyword parameter is not valid")
        hits = query.get("hits", "30")
        if not hits.isdigit() or not 1 <= int(hits) <= 30:
            return wrong("hits parameter is not valid")
        if code:
            if ":" not in code:
                return wrong("itemCode parameter is not valid")
            if code not in self.items:
                return wrong("not found", 404)
        chosen = [i for i in self.items.values() if _matches(i, code, shop, keyword)]
        if query.get("availability", "1") != "0":  # the default: purchasable items only
            chosen = [i for i in chosen if i.available]
        return json_answer(200, self._page(version, query, chosen, int(hits)))

    def _page(
        self, version: str, query: Mapping[str, str], chosen: list[FakeRakutenItem], hits: int
    ) -> dict[str, Any]:
        shown = chosen[:hits]
        wanted = [e for e in query.get("elements", "").split(",") if e]
        objects = []
        for item in shown:
            fields = item.fields(self.price_as_text)
            if wanted:
                fields = {k: v for k, v in fields.items() if k in wanted}
            objects.append(fields)
        flat = query.get("formatVersion") == "2"
        key = "items" if flat and version == "20260701" else "Items"
        listed: list[Any] = objects if flat else [{"Item": o} for o in objects]
        page = {
            "count": len(chosen),
            "page": 1,
            "first": 1 if shown else 0,
            "last": len(shown),
            "hits": len(shown),
            "carrier": 0,
            "pageCount": 1 if shown else 0,
        }
        return page | {key: listed}


def _matches(item: FakeRakutenItem, code: str, shop: str, keyword: str) -> bool:
    if code and item.item_code != code:
        return False
    if shop and item.shop != shop:
        return False
    text = f"{item.name} {item.slug}".lower()
    return all(word.lower() in text for word in keyword.split())


def demo_items() -> list[FakeRakutenItem]:
    """A small catalogue: codes that differ from their URL slugs, as on the real site."""
    return [
        FakeRakutenItem("amiami:13050893", "goods-04818580", "フィギュア A", 8800),
        FakeRakutenItem("book:17798676", "13770163", "たのしいRuby第5版", 2808),
        FakeRakutenItem(
            "kitchen-plus:10000042",
            "pan-26cm",
            "フライパン 26cm",
            3290,
            available=False,
            postage_included=False,
        ),
        FakeRakutenItem(
            "wear-jp:10000777", "tee-basic", "Tシャツ", 1980, variant_prices=(1980, 2480)
        ),
    ]
