"""Every adapter over its golden cases: tests/fixtures/suppliers/<adapter>/<case>.html.

Beside each page sits ``<case>.expected.json``: availability, quantity, price (a string, or
null), currency, ships_within_days, an evidence substring and the UNKNOWN reason, plus the
``url`` it was "fetched" from, an optional ``status`` and ``options`` (variant, accept).
Each case runs twice: through the adapter named by its folder, and through the registry,
which must choose that same adapter from the URL or the page itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stockguard.core.domain import Availability, Observation
from stockguard.suppliers.base import OfferKind, PageAdapter, ParseOptions
from stockguard.suppliers.registry import ADAPTERS, load, parse_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "suppliers"
CASES = sorted(FIXTURES.glob("*/*.html"))
FETCHED_AT = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def _expected(page: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        page.with_suffix("").with_suffix(".expected.json").read_text("utf-8")
    )
    return data


def _options(expected: dict[str, Any]) -> ParseOptions:
    raw = expected.get("options", {})
    accept = frozenset(OfferKind(k) for k in raw.get("accept", ["new"]))
    return ParseOptions(variant=raw.get("variant"), accept=accept, currency=raw.get("currency"))


def _check(observation: Observation, expected: dict[str, Any], page: Path) -> None:
    where = f"{page.parent.name}/{page.name}"
    assert observation.availability is Availability(expected["availability"]), (
        f"{where}: {observation.availability} ({observation.evidence})"
    )
    assert expected["evidence"] in observation.evidence, f"{where}: {observation.evidence}"
    reason = observation.reason.value if observation.reason else None
    assert reason == expected["reason"], where
    assert observation.quantity == expected["quantity"], where
    assert observation.ships_within_days == expected.get("ships_within_days"), where
    price = observation.price
    assert (str(price.amount) if price else None) == expected["price"], f"{where}: {price}"
    assert (price.currency if price else None) == expected["currency"], where
    assert observation.content_hash is not None
    assert len(observation.content_hash) == 64
    assert observation.http_status == expected.get("status", 200)
    assert observation.checked_at == FETCHED_AT


@pytest.mark.parametrize("page", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_adapter_reads_its_case(page: Path) -> None:
    expected = _expected(page)
    adapter = load(page.parent.name)
    observation = adapter.parse(
        page.read_bytes(),
        expected["url"],
        status=expected.get("status", 200),
        fetched_at=FETCHED_AT,
        options=_options(expected),
    )
    _check(observation, expected, page)
    assert observation.adapter == page.parent.name


@pytest.mark.parametrize("page", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_registry_chooses_the_same_adapter(page: Path) -> None:
    expected = _expected(page)
    observation = parse_page(
        page.read_bytes(),
        expected["url"],
        status=expected.get("status", 200),
        fetched_at=FETCHED_AT,
        options=_options(expected),
    )
    assert observation.adapter == expected.get("adapter", page.parent.name)
    _check(observation, expected, page)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_has_cases_and_keeps_the_contract(name: str) -> None:
    adapter = load(name)
    assert isinstance(adapter, PageAdapter)
    assert adapter.name == name
    assert list((FIXTURES / name).glob("*.html")), f"no golden cases for adapter {name}"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_parse_is_pure(name: str) -> None:
    page = next(iter(sorted((FIXTURES / name).glob("*.html"))))
    expected = _expected(page)
    first, second = (
        load(name).parse(
            page.read_text("utf-8"),
            expected["url"],
            fetched_at=FETCHED_AT,
            options=_options(expected),
        )
        for _ in range(2)
    )
    assert first == second
