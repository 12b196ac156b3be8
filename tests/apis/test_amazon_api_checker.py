"""Amazon.co.jp offers through python-amazon-sp-api against the emulator, as the checker runs
them: batches of 20 in the planner's order, paced at 0.1/s burst 1, 429s backed off, suspect
negatives confirmed by a second read or the page, and the page audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.domain import Availability, Source, SourceKind, UnknownReason
from stockguard.core.store import open_store
from stockguard.core.store.observations import latest_observations, record_observations
from stockguard.doubles.emulator import Emulator
from tests.apis.emulated import asin, emulated_checker, fixture_pages, jp_offers

PAGES = Path(__file__).parents[1] / "fixtures/suppliers/amazon"


def api(n: int) -> Source:
    return Source(SourceKind.API, f"api:amazon-jp:{asin(n)}", supplier="amazon-jp")


def page(n: int) -> Source:
    return Source(SourceKind.PAGE, f"https://www.amazon.co.jp/dp/{asin(n)}")


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    seed = {"offers": jp_offers(45)}
    with Emulator(seed, clock=clock) as emu:
        yield emu


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    db = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield db
    db.dispose()


def batch_calls(emu: Emulator) -> list[list[str]]:
    return [
        [r["uri"].split("/")[-2] for r in record.body["requests"]]
        for record in emu.request_log
        if record.operation == "getItemOffersBatch" and record.status == 200
    ]


def test_api_and_amazon_page_sources_are_read_in_batches_of_20_in_order(
    emulator: Emulator, clock: ManualClock
) -> None:
    checker = emulated_checker(emulator.base_url, clock)
    emulator.set_offers(asin(1), [{"price": 900, "ships": "FUTURE_WITH_DATE"}])
    sources = [api(n) for n in range(30)] + [page(40), Source(SourceKind.PAGE, "https://x.jp/1")]
    assert checker.route(sources[-1]) is None  # not an API item: read as a page
    seen = {o.source_ref: o for o in checker.check(sources)}
    checker.close()
    assert len(seen) == 31
    assert seen[api(0).ref].availability is Availability.IN_STOCK
    assert str(seen[api(0).ref].price) == "1960 JPY"  # 1980 - 20 points
    assert seen[api(1).ref].availability is Availability.OUT_OF_STOCK
    assert seen[page(40).ref].adapter == "api:amazon-jp"
    assert seen[page(40).ref].availability is Availability.IN_STOCK
    calls = batch_calls(emulator)
    assert [len(c) for c in calls] == [20, 11]
    assert calls[0] == [asin(n) for n in range(20)]  # the planner's order: riskiest first
    times = [r.at for r in emulator.request_log if r.operation == "getItemOffersBatch"]
    assert times[1] - times[0] >= timedelta(seconds=10)
    assert emulator.throttled_by_operation() == {}


def test_a_429_leaves_the_batch_unknown_blocked_and_backs_off(
    emulator: Emulator, clock: ManualClock
) -> None:
    checker = emulated_checker(emulator.base_url, clock)
    emulator.faults.throttle("getItemOffersBatch", 1)
    seen = list(checker.check([api(n) for n in range(25)]))
    checker.close()
    refused, read = seen[:20], seen[20:]
    assert {(o.availability, o.reason) for o in refused} == {
        (Availability.UNKNOWN, UnknownReason.BLOCKED)
    }
    assert "429" in refused[0].evidence
    assert "next round" in refused[0].evidence
    assert {o.availability for o in read} == {Availability.IN_STOCK}
    log = [r for r in emulator.request_log if r.operation == "getItemOffersBatch"]
    assert log[1].at - log[0].at >= timedelta(seconds=20)  # backed off past a refill
    assert checker.readers["amazon-jp"].pacer.use().refusals == 1


def test_many_batches_never_earn_a_429_from_the_emulators_bucket(
    emulator: Emulator, clock: ManualClock
) -> None:
    checker = emulated_checker(emulator.base_url, clock)
    for _ in range(3):
        seen = list(checker.check([api(n) for n in range(45)]))
        assert all(o.availability is Availability.IN_STOCK for o in seen)
    checker.close()
    assert emulator.requests_by_operation()["getItemOffersBatch"] == 9
    assert emulator.throttled_by_operation() == {}


def test_a_false_zero_is_unknown_until_a_second_read_confirms_it(
    emulator: Emulator, clock: ManualClock, store: Engine
) -> None:
    checker = emulated_checker(
        emulator.base_url, clock, previous=lambda refs: latest_observations(store, list(refs))
    )
    emulator.false_zero_offers([asin(3)])
    emulator.set_offers(asin(4), [])  # really no offers any more
    (first3, first4) = list(checker.check([api(3), api(4)]))
    assert (first3.availability, first3.reason) == (Availability.UNKNOWN, UnknownReason.UNCONFIRMED)
    assert first4.reason is UnknownReason.UNCONFIRMED
    record_observations(store, [first3, first4])
    clock.advance(60)
    too_soon = list(checker.check([api(4)]))
    assert too_soon[0].availability is Availability.UNKNOWN  # a second read minutes later only
    clock.advance(600)
    emulator.false_zero_offers([])
    (again3, again4) = list(checker.check([api(3), api(4)]))
    checker.close()
    assert again3.availability is Availability.IN_STOCK
    assert again4.availability is Availability.OUT_OF_STOCK
    assert "confirmed by the read at" in again4.evidence


def test_the_page_confirms_a_suspect_negative_and_the_audit_takes_the_worse(
    emulator: Emulator, clock: ManualClock
) -> None:
    html = {
        page(5).ref: (PAGES / "jp-out-of-stock.html").read_text(encoding="utf-8"),
        page(6).ref: (PAGES / "jp-out-of-stock.html").read_text(encoding="utf-8"),
        page(7).ref: (PAGES / "jp-in-stock.html").read_text(encoding="utf-8"),
        page(8).ref: (PAGES / "jp-captcha.html").read_text(encoding="utf-8"),
    }
    checker = emulated_checker(
        emulator.base_url, clock, pages=fixture_pages(html, clock), audit_share=1.0
    )
    emulator.set_offers(asin(5), [])  # suspect zero; the page says out of stock: confirmed
    seen = {o.source_ref: o for o in checker.check([page(5), page(6), page(7), page(8)])}
    checker.close()
    assert seen[page(5).ref].availability is Availability.OUT_OF_STOCK
    assert "confirmed by the page" in seen[page(5).ref].evidence
    disagreed = seen[page(6).ref]  # API buyable, page out of stock: the worse holds
    assert disagreed.availability is Availability.OUT_OF_STOCK
    assert disagreed.evidence.startswith("audit disagreement: API IN_STOCK")
    assert seen[page(7).ref].availability is Availability.IN_STOCK
    assert "page agrees" in seen[page(7).ref].evidence
    assert seen[page(8).ref].availability is Availability.IN_STOCK  # a captcha says nothing
    assert "page unreadable" in seen[page(8).ref].evidence


def test_an_api_source_without_a_configured_api_is_unknown(clock: ManualClock) -> None:
    checker = emulated_checker("http://127.0.0.1:9", clock)
    checker.close()
    checker.readers.clear()
    (seen,) = checker.check([api(1)])
    assert seen.reason is UnknownReason.ERROR
    assert "api:amazon-jp is not configured" in seen.evidence
    assert checker.route(page(1)) is None  # without the API, an Amazon page is a page
