"""Reading the seller's catalogue CSV: encodings, columns, one clear message per bad row.

The file is decoded by BOM first (UTF-8, UTF-16), then as strict UTF-8, else as CP932 (the
superset of Shift_JIS that Japanese Excel writes). A bad row is reported as
``FILE:LINE: message (sku X)`` and left out; the good rows are kept. A file that cannot be
used at all (missing columns, not text) is refused whole with FileRefused (exit 2). The
columns are read by columns.py, each row by rows.py, its sources by sources.py (beside this
module); the format is documented in docs/store.md.

The import streams, so a catalogue of hundreds of thousands of rows stays small in memory:
a first pass only decodes the file (its encoding is known for certain before anything is
written), a second parses it and saves every 500 good rows, all in one transaction, so a file
refused half-way (or a crash) leaves the store as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection, Engine

from stockguard.cli.api_codes import PageLine, rakuten_pages
from stockguard.cli.catalogue.columns import REQUIRED, read_header
from stockguard.cli.catalogue.rows import RowError, row_listing
from stockguard.cli.catalogue.sources import SourceRules
from stockguard.core import storable
from stockguard.core.domain import Listing, SourceKind
from stockguard.core.errors import FileRefused
from stockguard.core.store.listings import SaveResult, save_listing_chunk

USED = (*REQUIRED, "product_type", "max_cost", "currency", "safety_buffer", "pack_size", "variant")
_CHUNK_ROWS = 500  # good rows saved at once (core/store/listings.py reads their ids)
_READ_BYTES = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class ParsedCatalogue:
    """The good listings of a file, the messages for the refused rows, and how it was read."""

    listings: list[Listing]
    errors: list[str]
    encoding: str
    rows: int
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What `listings import` did: rows read, good rows, rows refused (with messages), saved."""

    rows: int
    good: int
    errors: list[str]
    encoding: str
    saved: SaveResult = field(default_factory=lambda: SaveResult(0, 0))
    warnings: list[str] = field(default_factory=list)
    rakuten_pages: list[PageLine] = field(default_factory=list)  # to resolve at the API


def import_listings_file(
    db: Engine,
    path: Path,
    now: datetime,
    *,
    dry_run: bool = False,
    rules: SourceRules | None = None,
    on_row: Callable[[], None] = lambda: None,
) -> ImportReport:
    """Stream ``path`` into the store (unless ``dry_run``): good rows saved, bad rows named.
    ``on_row`` is called after each row read (a progress display counts them)."""
    rules = rules or SourceRules()
    encoding = detect_encoding(path)
    if dry_run:
        return _import(None, path, encoding, rules, now, on_row)
    with db.begin() as conn:
        return _import(conn, path, encoding, rules, now, on_row)


def _import(
    conn: Connection | None,
    path: Path,
    encoding: str,
    rules: SourceRules,
    now: datetime,
    on_row: Callable[[], None],
) -> ImportReport:
    rows = good = inserted = updated = 0
    errors: list[str] = []
    warnings: list[str] = []
    pages: list[PageLine] = []
    chunk: list[Listing] = []

    def flush() -> None:
        nonlocal inserted, updated
        if conn is not None and chunk:
            saved = save_listing_chunk(conn, chunk, now)
            inserted, updated = inserted + saved.inserted, updated + saved.updated
        chunk.clear()

    with _open_text(path, encoding) as stream:
        for outcome in iter_catalogue(stream, str(path), rules):
            rows += 1
            on_row()
            if isinstance(outcome, str):
                errors.append(outcome)
                continue
            good += 1
            line, listing = outcome
            warnings += variant_warnings(str(path), line, listing)
            pages += rakuten_pages(f"{path}:{line}", listing)
            chunk.append(listing)
            if len(chunk) >= _CHUNK_ROWS:
                flush()
        flush()
    saved = SaveResult(inserted, updated)
    return ImportReport(rows, good, errors, encoding, saved, warnings, pages)


def read_listings_csv(path: Path, rules: SourceRules | None = None) -> ParsedCatalogue:
    """Read and validate a whole catalogue file into memory (for small files and previews)."""
    encoding = detect_encoding(path)
    with _open_text(path, encoding) as stream:
        return _parsed(stream, str(path), encoding, rules or SourceRules())


def parse_listings_text(
    text: str, name: str, encoding: str = "utf-8", rules: SourceRules | None = None
) -> ParsedCatalogue:
    """Validate every row of the decoded CSV text ``text`` (``name`` is used in messages)."""
    return _parsed(io.StringIO(text, newline=""), name, encoding, rules or SourceRules())


def _parsed(stream: TextIO, name: str, encoding: str, rules: SourceRules) -> ParsedCatalogue:
    good: list[Listing] = []
    errors: list[str] = []
    warnings: list[str] = []
    for outcome in iter_catalogue(stream, name, rules):
        if isinstance(outcome, str):
            errors.append(outcome)
        else:
            good.append(outcome[1])
            warnings += variant_warnings(name, *outcome)
    return ParsedCatalogue(good, errors, encoding, len(good) + len(errors), warnings)


def iter_catalogue(
    stream: TextIO, name: str, rules: SourceRules
) -> Iterator[tuple[int, Listing] | str]:
    """Each non-blank row as (line, its Listing), or as the message that refuses it."""
    storable.read_long_csv_fields()  # a long cell refuses its row below, not the whole file
    first = stream.readline()
    if not first.strip():
        raise FileRefused(f"{name}: the file is empty (expected a header row)")
    delimiter = max((",", "\t", ";"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    found = read_header(header, name)
    reader = csv.reader(stream, delimiter=delimiter)
    first_line: dict[tuple[str, str], int] = {}
    pools: dict[str, tuple[int, int]] = {}  # SKU -> (line, stock terms) of its first listing
    end = 1
    for cells in reader:
        line, end = end + 1, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        record = {k: cells[i].strip() if i < len(cells) else "" for k, i in found.columns.items()}
        sources = [cells[i] for i in found.sources if i < len(cells)]
        try:
            _fits(record, sources)
            listing = storable.listing(row_listing(record, sources, rules))
            key = (listing.sku, listing.marketplace)
            if key in first_line:
                raise RowError(
                    f"duplicate SKU for {listing.marketplace} (first on line {first_line[key]})"
                )
            _same_pool(listing, line, pools)
        except (RowError, storable.Unstorable) as exc:
            sku = record.get("sku", "")
            yield f"{name}:{line}: {exc}" + (f" (sku {sku})" if sku else "")
            continue
        first_line[key] = line
        yield line, listing


def _same_pool(listing: Listing, line: int, pools: dict[str, tuple[int, int]]) -> None:
    """One SKU listed in several marketplaces shares one quantity on Amazon (a seller's
    merchant-fulfilled inventory is per SKU): its rows must agree on what decides it."""
    terms = hash(
        (
            listing.sources,
            listing.handling_days,
            listing.default_quantity,
            listing.safety_buffer,
            listing.pack_size,
            listing.max_cost,
        )
    )
    first = pools.setdefault(listing.sku, (line, terms))
    if first[1] != terms:
        raise RowError(
            f"{listing.sku} is also listed on line {first[0]} with other sources or stock "
            "terms (handling_days, default_quantity, safety_buffer, pack_size, max_cost); Amazon "
            "keeps one quantity and lead time per SKU for every marketplace, so its rows must agree"
        )


def _fits(record: dict[str, str], source_cells: list[str]) -> None:
    """No cell the row is read from is longer than the longest column (sources.ref) holds."""
    cells = [(c, record.get(c, "")) for c in USED] + [("source", c) for c in source_cells]
    for column, value in cells:
        if len(value) > storable.REF_LENGTH:
            raise RowError(
                f"{column} is {len(value):,} characters long (at most {storable.REF_LENGTH:,})"
            )


def variant_warnings(name: str, line: int, listing: Listing) -> list[str]:
    """One line per page source on a variant shop that names no variant (a warning: the row
    is imported, but its listing reads UNKNOWN, so 0, whenever the variants differ)."""
    from stockguard.suppliers.registry import unnamed_variant

    found = []
    for source in listing.sources:
        if source.kind is not SourceKind.PAGE:
            continue
        adapter = unnamed_variant(source.ref, source.supplier, source.variant)
        if adapter is None:
            continue
        how = "a 'variant' column (variant id, SKU, title or option value)"
        if adapter == "shopify":
            how += " or ?variant=ID in the URL"
        found.append(
            f"{name}:{line}: warning: source {source.ref} ({adapter}) names no variant "
            f"(sku {listing.sku}): if its variants differ in availability the listing reads "
            f"UNKNOWN (quantity 0); name one with {how}"
        )
    return found


def detect_encoding(path: Path) -> str:
    """BOM, else strict UTF-8, else CP932 — decided over the whole file, read in chunks."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except OSError as exc:
        raise FileRefused(f"{path}: cannot read: {exc.strerror or exc}") from None
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            problem = _decode_problem(path, encoding)
            if problem:
                raise FileRefused(f"{path}: not valid {encoding} despite its BOM: {problem}")
            return encoding
    for encoding in ("utf-8", "cp932"):
        if _decode_problem(path, encoding) is None:
            return encoding
    raise FileRefused(f"{path}: neither UTF-8 nor Shift_JIS/CP932 text; save it as UTF-8 CSV")


def _decode_problem(path: Path, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            data = handle.read(_READ_BYTES)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                return f"{exc.reason} at byte {offset + max(exc.start, 0)}"
            if not data:
                return None
            offset += len(data)


def _open_text(path: Path, encoding: str) -> TextIO:
    return path.open(encoding=encoding, newline="")
