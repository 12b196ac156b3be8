"""Supplier verdicts: combining a listing's sources, and the --verdicts CSV file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stockguard.cancellations.verdicts import combine_sources, read_verdict_file
from stockguard.core.domain import (
    Availability,
    Listing,
    Observation,
    Source,
    SourceKind,
    UnknownReason,
)
from stockguard.core.errors import InputError

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def obs(ref: str, availability: Availability, minutes: int = 0) -> Observation:
    reason = UnknownReason.BLOCKED if availability is Availability.UNKNOWN else None
    return Observation(ref, availability, T + timedelta(minutes=minutes), f"{ref} said so", reason)


def listing(*refs: str, required: tuple[str, ...] = ()) -> Listing:
    sources = tuple(Source(SourceKind.PAGE, ref, required=ref in required) for ref in refs)
    return Listing("SKU-1", "US", sources=sources)


IN, OUT, UNK = Availability.IN_STOCK, Availability.OUT_OF_STOCK, Availability.UNKNOWN


@pytest.mark.parametrize(
    ("states", "required", "expected"),
    [
        ({"a": OUT}, (), OUT),
        ({"a": IN}, (), IN),
        ({"a": UNK}, (), UNK),
        ({"a": OUT, "b": IN}, (), IN),  # the seller can buy from b
        ({"a": OUT, "b": OUT}, (), OUT),
        ({"a": OUT, "b": UNK}, (), UNK),  # b might have it: not a proven stock-out
        ({"a": OUT}, ("a",), OUT),  # the only source, required
        ({"a": OUT, "b": IN}, ("a",), OUT),  # a required source is out
        ({"a": UNK, "b": IN}, ("a",), UNK),  # a required source is unknown
        ({"a": OUT, "b": None}, (), UNK),  # b never checked
        ({"a": None, "b": None}, (), None),
    ],
)
def test_a_stock_out_is_claimed_only_when_proven(
    states: dict[str, Availability | None], required: tuple[str, ...], expected: Availability | None
) -> None:
    latest = {ref: obs(ref, a, n) for n, (ref, a) in enumerate(states.items()) if a is not None}
    verdict = combine_sources(listing(*states, required=required), latest)
    assert (verdict.availability if verdict else None) == expected


def test_freshness_is_the_oldest_observation_relied_on() -> None:
    latest = {"a": obs("a", OUT, 0), "b": obs("b", OUT, 30)}
    verdict = combine_sources(listing("a", "b"), latest)
    assert verdict is not None
    assert verdict.checked_at == T
    assert verdict.evidence == "a: a said so; b: b said so"


def test_the_verdict_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_text(
        "sku,availability,checked_at,evidence\n"
        "SKU-1,out_of_stock,2026-03-02T09:00:00Z,在庫切れ\n"
        "SKU-2,IN_STOCK,2026-03-02T18:00:00+09:00,\n",
        encoding="utf-8",
    )
    found = read_verdict_file(path)
    assert found["SKU-1"].availability is OUT
    assert found["SKU-1"].evidence == "在庫切れ"
    assert found["SKU-2"].checked_at == T
    assert found["SKU-2"].evidence == "verdict file checks.csv"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("SKU-1,gone,2026-03-02T09:00:00Z,x", r"checks.csv:2: availability 'gone'"),
        ("SKU-1,IN_STOCK,yesterday,x", r"checks.csv:2: checked_at 'yesterday'"),
        ("SKU-1,IN_STOCK,2026-03-02T09:00:00,x", r"checks.csv:2: checked_at needs a time zone"),
        (",IN_STOCK,2026-03-02T09:00:00Z,x", r"checks.csv:2: empty sku"),
    ],
)
def test_a_bad_line_is_refused_with_its_number(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "checks.csv"
    path.write_text(f"sku,availability,checked_at,evidence\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_verdict_file(path)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_text("sku,state\nSKU-1,OUT\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_verdict_file(path)
