"""Parse time of the Amazon adapter against a naive BeautifulSoup reading, on real pages.

For every Amazon page in ../shared/pages/INDEX.tsv, in one run (median of ``--repeat``):
- ours: ``suppliers.registry.parse_page`` (decode, block detection, one selectolax/Lexbor
  tree of the whole page, then the buy-box lookups of ``suppliers.shops.amazon``);
- lexbor: the HTML5 parse alone (what the tree costs);
- naive: ``BeautifulSoup(html, "html.parser")`` of the whole page and the *same* lookups
  (product ids, buy box, ``#outOfStock``, used rows, ``#availability``, buy buttons by id,
  price), classified by the same phrase tables: only the parser and its lookups differ.
Each page's verdict from ours and from naive must agree (and match the INDEX: yes means
IN_STOCK, no OUT_OF_STOCK, unknown anything but IN_STOCK). The goal: ours at least 8x
faster than naive with the same verdicts. Skips cleanly when ../shared/pages is absent.
Ends with one line:
``RESULT amazon_speedup=… median_ms=… lexbor_median_ms=… naive_median_ms=… same=… agree=…``.

Run: ``.venv/bin/python bench/parse.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag
from selectolax.lexbor import LexborHTMLParser

from stockguard.core.domain import Availability
from stockguard.suppliers import phrases
from stockguard.suppliers.base import OfferKind, ParseOptions, by_offer_kind
from stockguard.suppliers.buyarea import disabling
from stockguard.suppliers.dom import hides
from stockguard.suppliers.page import Page
from stockguard.suppliers.prices import parse_price
from stockguard.suppliers.registry import parse_page
from stockguard.suppliers.shops import amazon, amazon_signs

PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "pages"
OPTIONS = ParseOptions(accept=frozenset({OfferKind.NEW, OfferKind.USED}))  # as the INDEX reads
NOW = datetime(2026, 5, 1, tzinfo=UTC)
EXPECTED = {"yes": Availability.IN_STOCK, "no": Availability.OUT_OF_STOCK}
NO_RESULT = (
    "RESULT amazon_speedup=nan median_ms=nan lexbor_median_ms=nan naive_median_ms=nan "
    "same=0/0 agree=0/0"
)
_USED_ID = re.compile(
    r"^(?:usedAccordionRow|usedOfferAccordionRow)|^(?:usedOnlyBuybox|used_buybox_desktop)$"
)


def _text(tag: Tag | None) -> str:
    return " ".join(tag.get_text("").split()) if tag is not None else ""


def _first(root: Tag, ids: tuple[str, ...]) -> Tag | None:
    return next((t for t in (root.find(id=i) for i in ids) if isinstance(t, Tag)), None)


def _attrs(tag: Tag) -> dict[str, str]:
    return {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in tag.attrs.items()}


def naive(text: str, url: str) -> tuple[Availability, Any]:
    """The Amazon lookups over a whole BeautifulSoup (html.parser) tree: verdict and price."""
    soup = BeautifulSoup(text, "html.parser")
    if _first(soup, amazon.PRODUCT_IDS) is None:
        return Availability.UNKNOWN, None
    box = _first(soup, amazon.BUY_BOX_IDS)
    currency = amazon.ADAPTER.currency_for(Page(text, url), OPTIONS)
    used = None
    if box is not None:
        for code in box.find_all(["script", "style"]):
            code.decompose()
        rows = box.find_all(id=_USED_ID)
        used = _text(rows[0]) if rows else None
        for row in rows:
            row.extract()
    price_box = _first(soup, amazon.PRICE_IDS)
    price = None
    if price_box is not None:
        offscreen = price_box.find(class_=re.compile("a-offscreen"))
        said = _text(offscreen if isinstance(offscreen, Tag) else price_box)
        price = parse_price(said, currency)
    reading = _naive_reading(soup, box, used)
    if reading is None:
        return Availability.UNKNOWN, price
    if reading.kind is not None:
        return by_offer_kind(reading.kind, reading.evidence, OPTIONS).availability, price
    return reading.availability or Availability.UNKNOWN, price


def _naive_reading(soup: BeautifulSoup, box: Tag | None, used: str | None) -> Any:
    if box is not None:
        stopped = _first(box, amazon.OUT_OF_STOCK_IDS)
        if stopped is not None:
            span = stopped.find("span", class_=re.compile("a-color-price"))
            message = _text(span if isinstance(span, Tag) else stopped)
            if phrases.find(message, phrases.CANNOT_SHIP):
                return amazon_signs.AmazonSign(message, kind=OfferKind.CANNOT_SHIP)
            return amazon_signs.AmazonSign(message, availability=Availability.OUT_OF_STOCK)
    boxes = (box.find_all(id="availability") if box else []) + soup.find_all(id="availability")
    said = next((t for t in (_text(b) for b in boxes[:8]) if t), "")
    reading = amazon.classify_availability(said) if said else None
    if reading is not None or box is None:
        return reading
    for button in box.find_all(id=["add-to-cart-button", "buy-now-button"]):
        node: Any = button
        while isinstance(node, Tag) and not (hides(_attrs(node)) or disabling(_attrs(node))):
            if node is box:
                return amazon_signs.AmazonSign("button", kind=OfferKind.NEW)
            node = node.parent
    if box.find(id=["buyOneClick", "checkoutButtonId", "one-click-button"]):
        return amazon_signs.AmazonSign("1-Click", kind=OfferKind.NEW)
    if used is not None:
        return amazon_signs.AmazonSign(used, kind=OfferKind.USED)
    if box.find(id="buybox-see-all-buying-choices"):
        return amazon_signs.AmazonSign("see all", kind=OfferKind.OTHER_SELLERS)
    return None


def ours_parse(body: bytes, url: str) -> Any:
    """Our reading of one page, as the engine does it (decode, block detection, adapter)."""
    return parse_page(body, url, fetched_at=NOW, options=OPTIONS)


def lexbor_parse(body: bytes, url: str) -> LexborHTMLParser:
    """The HTML5 tree alone: what our parse pays before any lookup."""
    return LexborHTMLParser(Page(body, url).text)


def naive_parse(body: bytes, url: str) -> tuple[Availability, Any]:
    """The naive reading, from the same bytes (decoded the same way)."""
    return naive(Page(body, url).text, url)


def agrees(expected: str, got: Availability) -> bool:
    """yes/no must match exactly; unknown means anything but IN_STOCK."""
    if expected in EXPECTED:
        return got is EXPECTED[expected]
    return got is not Availability.IN_STOCK


def timed(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The median of ``repeat`` runs in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per page (median taken)")
    args = parser.parse_args()
    index = PAGES / "INDEX.tsv"
    if not index.exists():
        print(f"skipped: {PAGES} is absent (the shared real Amazon pages are needed)")
        print(NO_RESULT)
        return 0
    with index.open(encoding="utf-8", newline="") as handle:
        rows = [
            r for r in csv.DictReader(handle, delimiter="\t") if r["file"].startswith("amazon/")
        ]
    ours, lexbor, theirs, same, agree = [], [], [], 0, 0
    print(f"{'page':52} {'ours':>7} {'lexbor':>7} {'naive':>8} {'x':>6}  ours / naive")
    for row in rows:
        body, url = (PAGES / row["file"]).read_bytes(), row["url"]
        ms, seen = timed(args.repeat, partial(ours_parse, body, url))
        tree_ms, _ = timed(args.repeat, partial(lexbor_parse, body, url))
        naive_ms, (naive_seen, _) = timed(args.repeat, partial(naive_parse, body, url))
        ours.append(ms)
        lexbor.append(tree_ms)
        theirs.append(naive_ms)
        same += seen.availability is naive_seen
        agree += agrees(row["expected_in_stock"], seen.availability)
        name = row["file"].removeprefix("amazon/")
        print(f"{name:52} {ms:7.2f} {tree_ms:7.2f} {naive_ms:8.2f} {naive_ms / ms:5.1f}x  "
              f"{seen.availability} / {naive_seen}")  # fmt: skip
    if not rows:
        print(NO_RESULT)
        return 0
    med, tree_med, naive_med = (statistics.median(v) for v in (ours, lexbor, theirs))
    print(
        f"RESULT amazon_speedup={naive_med / med:.1f} median_ms={med:.2f} "
        f"lexbor_median_ms={tree_med:.2f} naive_median_ms={naive_med:.2f} "
        f"same={same}/{len(rows)} agree={agree}/{len(rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
