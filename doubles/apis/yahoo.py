"""A local Yahoo! Shopping Web API, built from the reference's shapes.

On loopback (../shared/reference/supplier-apis.md §2):
- ``GET /ShoppingWebService/V3/itemSearch``: ``query`` (words in the name or item code),
  ``jan_code``, ``seller_id``, ``in_stock`` (a filter: true = in stock only, false = sold out
  only), ``results`` 1–100 (default 20), ``start`` (start + results ≤ 1,000); hits carry
  ``code``, ``inStock``, ``price``…; an item marked ``ad`` is listed twice (ad slot + organic);
- ``GET /ShoppingWebService/V1/json/itemLookup``: ``itemcode`` = ``STORE_ITEM``; numeric-keyed
  ``ResultSet`` with ``Availability`` and ``Price._value``; unknown code: nothing returned;
- ``appid`` required (unknown: 401); 50,000 calls per app id per day counted from 00:00 JST
  (over: 403 until midnight); one call a second per app id (over: 429); maintenance 503 with
  the XML ``API_MAINTENANCE`` body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from stockguard.core.clock import Clock
from stockguard.doubles.apis.server import FakeAnswer, FakeApiServer, json_answer
from stockguard.suppliers.apis.http_answers import JST

SEARCH_PATH = "/ShoppingWebService/V3/itemSearch"
LOOKUP_PATH = "/ShoppingWebService/V1/json/itemLookup"
MAINTENANCE = b"<Error><Message>API_MAINTENANCE</Message><Code>503</Code></Error>"


@dataclass
class FakeYahooItem:
    """One item of the fake's catalogue, by its Yahoo ``code`` (``STORE_ITEM``)."""

    code: str
    name: str
    price: int
    in_stock: bool = True
    jan: str | None = None
    ad: bool = False  # also shown in the ad slot, so it appears twice in a search

    @property
    def store(self) -> str:
        return self.code.split("_", 1)[0]

    @property
    def url(self) -> str:
        item = self.code.split("_", 1)[1]
        return f"https://store.shopping.yahoo.co.jp/{self.store}/{item}.html"

    def hit(self, index: int) -> dict[str, Any]:
        """The V3 itemSearch hit."""
        return {
            "index": index,
            "name": self.name,
            "description": "",
            "headLine": "",
            "inStock": self.in_stock,
            "url": self.url,
            "code": self.code,
            "condition": "new",
            "price": self.price,
            "taxExcludePrice": self.price * 10 // 11,
            "premiumPrice": self.price,
            "premiumPriceStatus": False,
            "priceLabel": {
                "taxable": True,
                "defaultPrice": self.price,
                "discountedPrice": None,
                "fixedPrice": None,
                "premiumPrice": None,
                "periodStart": None,
                "periodEnd": None,
            },
            "point": {
                "amount": self.price // 100,
                "times": 1,
                "bonusAmount": 0,
                "premiumAmount": 0,
            },
            "shipping": {"code": 2, "name": "条件付き送料無料"},
            "janCode": self.jan or "",
            "seller": {
                "sellerId": self.store,
                "name": self.store,
                "isBestSeller": False,
                "url": f"https://store.shopping.yahoo.co.jp/{self.store}/",
            },
        }

    def lookup(self) -> dict[str, Any]:
        """The V1 itemLookup Result entry (scalars as strings, as V1 sends them)."""
        return {
            "Code": self.code,
            "Name": self.name,
            "Url": self.url,
            "Price": {"_value": str(self.price), "_attributes": {"currency": "JPY"}},
            "Availability": "instock" if self.in_stock else "outofstock",
            "JanCode": self.jan or "",
        }


def failure(status: int, message: str) -> FakeAnswer:
    """Yahoo's JSON error shape."""
    return json_answer(status, {"Error": {"Message": message}})


class FakeYahoo(FakeApiServer):
    """Yahoo! Shopping itemSearch V3 and itemLookup V1 on 127.0.0.1; a context manager."""

    label = "fake-yahoo"

    def __init__(
        self,
        items: Iterable[FakeYahooItem],
        app_ids: Iterable[str],
        clock: Clock,
        *,
        daily_limit: int = 50_000,
        calls_per_second: float = 1.0,
    ) -> None:
        super().__init__(clock, calls_per_second=calls_per_second, burst=1)
        self.items = {item.code: item for item in items}
        self.app_ids = set(app_ids)
        self.daily_limit = daily_limit
        self.used: dict[tuple[str, date], int] = {}  # calls per (app id, Japanese date)

    def set_in_stock(self, code: str, in_stock: bool) -> None:
        """Sell out or restock an item now."""
        with self.lock:
            self.items[code].in_stock = in_stock

    def fault_answer(self, mode: str) -> FakeAnswer:
        if mode == "503":
            return FakeAnswer(503, MAINTENANCE, "application/xml; charset=utf-8")
        if mode == "500":
            return failure(500, "Internal Server Error")
        return super().fault_answer(mode)

    def answer(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> FakeAnswer:
        if path not in (SEARCH_PATH, LOOKUP_PATH):
            return failure(404, "Not Found")
        app_id = query.get("appid", "")
        if app_id not in self.app_ids:
            return failure(401, "Unauthorized: the appid is not valid")
        day = (app_id, self.clock.now().astimezone(JST).date())
        if self.used.get(day, 0) >= self.daily_limit:
            return failure(403, "Your Request was Forbidden (the daily limit is exceeded)")
        if not self.within_rate(app_id):
            return failure(429, "Too Many Requests")
        self.used[day] = self.used.get(day, 0) + 1
        return self._search(query) if path == SEARCH_PATH else self._lookup(query)

    def _search(self, query: Mapping[str, str]) -> FakeAnswer:
        words, jan, store = (
            query.get("query", ""),
            query.get("jan_code", ""),
            query.get("seller_id"),
        )
        if not (words or jan or store or query.get("genre_category_id")):
            return failure(400, "query, jan_code, seller_id or a category is required")
        results, start = query.get("results", "20"), query.get("start", "1")
        if not (
            results.isdigit()
            and 1 <= int(results) <= 100
            and start.isdigit()
            and int(start) >= 1
            and int(start) + int(results) <= 1000
        ):
            return failure(400, "results or start is out of range")
        chosen = [i for i in self.items.values() if _matches(i, words, jan, store)]
        stock = query.get("in_stock")
        if stock in ("true", "false"):  # a filter, not a field switch
            chosen = [i for i in chosen if i.in_stock == (stock == "true")]
        if jan and not chosen:
            return failure(400, "no item has this jan_code")  # as clients report for JANs
        listed = [i for i in chosen if i.ad] + chosen  # the ad slot first, then organic
        page = listed[int(start) - 1 : int(start) - 1 + int(results)]
        return json_answer(
            200,
            {
                "totalResultsAvailable": len(listed),
                "totalResultsReturned": len(page),
                "firstResultsPosition": int(start),
                "request": {"query": words},
                "hits": [item.hit(n) for n, item in enumerate(page, start=int(start))],
            },
        )

    def _lookup(self, query: Mapping[str, str]) -> FakeAnswer:
        code = query.get("itemcode", "")
        if not code:
            return failure(400, "itemcode is required")
        item = self.items.get(code)
        results = {"0": item.lookup()} if item else {}
        count = str(len(results))
        return json_answer(
            200,
            {
                "ResultSet": {
                    "totalResultsAvailable": count,
                    "totalResultsReturned": count,
                    "firstResultPosition": "1",
                    "0": {"Result": results},
                }
            },
        )


def _matches(item: FakeYahooItem, words: str, jan: str, store: str | None) -> bool:
    if store and item.store != store:
        return False
    if jan and item.jan != jan:
        return False
    text = f"{item.name} {item.code.split('_', 1)[1]}".lower()
    return all(word.lower() in text for word in words.split())


def demo_items() -> list[FakeYahooItem]:
    """A small catalogue: one item listed twice (ad + organic), one sold out, one with a JAN."""
    return [
        FakeYahooItem(
            "kaden-shop_ab-1200", "電気ケトル AB-1200", 4980, jan="4905524535815", ad=True
        ),
        FakeYahooItem("kaden-shop_cd-300", "ドライヤー CD-300", 6980, in_stock=False),
        FakeYahooItem("zakka-store_mug-blue", "マグカップ 青", 1200),
    ]
