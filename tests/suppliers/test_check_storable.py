"""A page stating a value neither store holds is UNKNOWN, not a crash of the pass (issue 11).

A 32-digit JSON-LD price once reached ``observations.price_amount`` (NUMERIC(14, 4)) and
stopped the pass on PostgreSQL with ``numeric field overflow``; on SQLite it was stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from stockguard.core.domain import Availability, UnknownReason
from stockguard.core.store.observations import latest_observations, record_observation
from stockguard.suppliers.check import check_fetched
from stockguard.suppliers.fetch import FetchResult

URL = "https://tea.example.jp/products/chasen"


def page(price: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>茶筅</title>'
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product",'
        f'"name":"茶筅","offers":{{"@type":"Offer","price":"{price}","priceCurrency":"JPY",'
        '"availability":"https://schema.org/InStock"}}</script></head>'
        '<body><main class="product"><h1>茶筅</h1></main></body></html>'
    ).encode()


def fetched(body: bytes) -> FetchResult:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    return FetchResult(URL, URL, 200, body, body.decode(), {}, 0.1, now, encoding="utf-8")


def test_a_page_price_past_numeric_is_unknown_and_stored(db: Engine) -> None:
    seen = check_fetched(fetched(page("9" * 32)), adapter="generic")

    assert seen.availability is Availability.UNKNOWN  # 0 on Amazon: no evidence to go live on
    assert seen.reason is UnknownReason.ERROR
    assert seen.evidence == (
        "the page's values cannot be stored: price has 32 digits before the decimal point "
        "(at most 10)"
    )
    record_observation(db, seen)  # PostgreSQL holds it too
    assert latest_observations(db, [URL])[URL].evidence == seen.evidence


def test_a_plain_page_price_is_kept(db: Engine) -> None:
    seen = check_fetched(fetched(page("1980")), adapter="generic")

    assert seen.availability is Availability.IN_STOCK
    record_observation(db, seen)
