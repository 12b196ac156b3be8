"""Parse time of the page adapters against a naive full parse, over the real shared pages.

For every page in ../shared/pages/INDEX.tsv, in one run: our registry (Amazon: narrowed to
the buy box first; every other shop: one whole-page HTML5 tree, ``suppliers.dom.Document``),
the whole-page tree alone for every page (``tree``: what Amazon would pay to build it), and a
naive reading (``BeautifulSoup(html, "lxml")`` of the whole page, then a whole-text phrase
search). Per shop: median and p95 milliseconds, and how many verdicts agree with the INDEX.
The goal is at least 8x faster than naive on Amazon pages with the expected verdicts.
Ends with one line:
``RESULT amazon_speedup=… median_ms=… tree_median_ms=… naive_median_ms=… agree=…``.

Run: ``.venv/bin/python bench/parse.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup

from suppliers.base import OfferKind, ParseOptions
from suppliers.dom import Document
from suppliers.page import Page
from suppliers.registry import parse_page
from sync.domain import Availability

PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "pages"
OPTIONS = ParseOptions(accept=frozenset({OfferKind.NEW, OfferKind.USED}))  # as the INDEX reads
NOW = datetime(2026, 5, 1, tzinfo=UTC)
NAIVE_OUT = (
    "Currently unavailable",
    "Out of stock",
    "在庫切れ",
    "売り切れ",
    "販売休止",
    "Sold out",
)
NAIVE_IN = (
    "In Stock",
    "In stock",
    "En stock",
    "Em estoque",
    "在庫あり",
    "Add to Cart",
    "カートに入れる",
)
EXPECTED = {"yes": Availability.IN_STOCK, "no": Availability.OUT_OF_STOCK}


def naive(body: bytes) -> Availability:
    """The whole-page reading most scrapers do: full tree, whole text, phrase search."""
    text = BeautifulSoup(body, "lxml").get_text(" ")
    if any(phrase in text for phrase in NAIVE_OUT):
        return Availability.OUT_OF_STOCK
    if any(phrase in text for phrase in NAIVE_IN):
        return Availability.IN_STOCK
    return Availability.UNKNOWN


def agrees(expected: str, got: Availability) -> bool:
    """yes/no must match exactly; unknown means anything but IN_STOCK."""
    if expected in EXPECTED:
        return got is EXPECTED[expected]
    return got is not Availability.IN_STOCK


def timed(repeat: int, work: object) -> tuple[float, object]:
    """The median of ``repeat`` runs in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per page (median taken)")
    args = parser.parse_args()
    if not (PAGES / "INDEX.tsv").exists():
        print(f"skipped: {PAGES} is absent (the shared real pages are needed)")
        print(
            "RESULT amazon_speedup=nan median_ms=nan tree_median_ms=nan tree_speedup=nan "
            "naive_median_ms=nan agree=0/0"
        )
        return 0
    with (PAGES / "INDEX.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    ours: dict[str, list[float]] = defaultdict(list)
    theirs: dict[str, list[float]] = defaultdict(list)
    trees: dict[str, list[float]] = defaultdict(list)
    ok: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # ours, naive, pages
    for row in rows:
        shop = row["file"].split("/")[0]
        body = (PAGES / row["file"]).read_bytes()
        ms, seen = timed(
            args.repeat,
            lambda b=body, u=row["url"]: parse_page(b, u, fetched_at=NOW, options=OPTIONS),
        )
        naive_ms, naive_seen = timed(args.repeat, lambda b=body: naive(b))
        tree_ms, _ = timed(args.repeat, lambda b=body, u=row["url"]: Document(Page(b, u).text))
        trees[shop].append(tree_ms)
        ours[shop].append(ms)
        theirs[shop].append(naive_ms)
        tally = ok[shop]
        tally[0] += agrees(row["expected_in_stock"], seen.availability)  # type: ignore[attr-defined]
        tally[1] += agrees(row["expected_in_stock"], naive_seen)  # type: ignore[arg-type]
        tally[2] += 1
    head = ("shop", "pages", "median", "p95", "tree", "naive", "n.p95", "speedup")
    print("{:12} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  agree  naive_agree".format(*head))
    for shop in sorted(ours):
        med, naive_med = statistics.median(ours[shop]), statistics.median(theirs[shop])
        print(
            f"{shop:12} {len(ours[shop]):5d} {med:8.2f} {p95(ours[shop]):8.2f} "
            f"{statistics.median(trees[shop]):8.2f} {naive_med:8.2f} "
            f"{p95(theirs[shop]):8.2f} {naive_med / med:7.1f}x  {ok[shop][0]}/{ok[shop][2]}  "
            f"{ok[shop][1]}/{ok[shop][2]}"
        )
    amazon_med = statistics.median(ours["amazon"]) if ours["amazon"] else float("nan")
    amazon_naive = statistics.median(theirs["amazon"]) if theirs["amazon"] else float("nan")
    amazon_tree = statistics.median(trees["amazon"]) if trees["amazon"] else float("nan")
    agree = sum(t[0] for t in ok.values())
    total = sum(t[2] for t in ok.values())
    naive_agree = sum(t[1] for t in ok.values())
    print(f"all pages: ours agree {agree}/{total}, naive agrees {naive_agree}/{total}")
    print(
        f"RESULT amazon_speedup={amazon_naive / amazon_med:.1f} median_ms={amazon_med:.2f} "
        f"tree_median_ms={amazon_tree:.2f} tree_speedup={amazon_naive / amazon_tree:.1f} "
        f"naive_median_ms={amazon_naive:.2f} agree={agree}/{total}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
