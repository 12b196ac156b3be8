"""The adapters over the real pages in ../shared/pages (skipped when that folder is absent).

INDEX.tsv gives each page's expected answer: yes (IN_STOCK), no (OUT_OF_STOCK) or unknown
(anything but IN_STOCK). A page expected out of stock or unknown read as IN_STOCK is the
worst failure (a listing kept selling what cannot be bought); an in-stock page read as
anything else is a failure too.

The INDEX labels "an offer the seller could buy" (pages/README.md), used offers included,
so these pages are read with used offers accepted, as for a seller of used goods; the
default (new offers only) is covered by the golden cases.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from stockguard.core.domain import Availability
from stockguard.suppliers.base import OfferKind, ParseOptions
from stockguard.suppliers.registry import parse_page

INDEX_OPTIONS = ParseOptions(accept=frozenset({OfferKind.NEW, OfferKind.USED}))
FETCHED_AT = datetime(2026, 5, 1, tzinfo=UTC)
EXPECTED = {"yes": Availability.IN_STOCK, "no": Availability.OUT_OF_STOCK}

pytestmark = pytest.mark.shared


def _rows(shared: Path) -> list[dict[str, str]]:
    with (shared / "pages" / "INDEX.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_real_page_gets_its_expected_verdict(shared_dir: Path) -> None:
    false_in_stock: list[str] = []
    other: list[str] = []
    for row in _rows(shared_dir):
        body = (shared_dir / "pages" / row["file"]).read_bytes()
        seen = parse_page(body, row["url"], fetched_at=FETCHED_AT, options=INDEX_OPTIONS)
        want = row["expected_in_stock"]
        line = f"{row['file']}: expected {want}, got {seen.availability} ({seen.evidence})"
        if want != "yes" and seen.availability is Availability.IN_STOCK:
            false_in_stock.append(line)
        elif want in EXPECTED and seen.availability is not EXPECTED[want]:
            other.append(line)
        assert seen.evidence, row["file"]
    assert not false_in_stock, "read as IN_STOCK:\n" + "\n".join(false_in_stock)
    assert not other, "\n".join(other)


def test_real_page_prices_match_where_stated(shared_dir: Path) -> None:
    wrong: list[str] = []
    for row in _rows(shared_dir):
        stated = row["expected_price"].split()
        if len(stated) != 2 or "-" in stated[0]:
            continue  # no price, a range, or "A or B": checked by the golden cases
        body = (shared_dir / "pages" / row["file"]).read_bytes()
        seen = parse_page(body, row["url"], fetched_at=FETCHED_AT, options=INDEX_OPTIONS)
        got = (f"{seen.price.amount} {seen.price.currency}") if seen.price else "none"
        if (
            seen.price is None
            or seen.price.amount != Decimal(stated[0])
            or (seen.price.currency != stated[1])
        ):
            wrong.append(f"{row['file']}: expected {row['expected_price']}, got {got}")
    assert not wrong, "\n".join(wrong)
