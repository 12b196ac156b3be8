"""Reading the seller's catalogue CSV: encodings, columns, one clear message per bad row.

The file is decoded by BOM first (UTF-8, UTF-16), then as strict UTF-8, else as CP932 (the
superset of Shift_JIS that Japanese Excel writes). A bad row is reported as
``FILE:LINE: message (sku X)`` and left out; the good rows are kept. A missing required
column refuses the whole file (InputError naming the column). The column format is documented
in docs/store.md.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Engine

from sync import api_refs, storable
from sync.domain import Listing, Money, Source, SourceKind, marketplace
from sync.errors import InputError
from sync.store.listings import SaveResult, save_listings

REQUIRED = ("sku", "marketplace", "asin", "handling_days", "default_quantity")
USED = (*REQUIRED, "product_type", "max_cost", "currency", "safety_buffer", "pack_size")
ALIASES = {
    "seller_sku": "sku",
    "marketplace_id": "marketplace",
    "handling_time": "handling_days",
    "lead_time_to_ship_max_days": "handling_days",
}
MARKETPLACE_ALIASES = {"GB": "UK"}
MAX_SKU_LENGTH = 40  # Amazon's limit for a seller SKU
MAX_HANDLING_DAYS = 30
_SOURCE_COLUMN = re.compile(r"^sources?(_\d+)?$")
_INT = re.compile(r"^\+?\d{1,3}(,\d{3})+$|^\+?\d+(\.0+)?$")
_T = TypeVar("_T")
_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$")


@dataclass(frozen=True)
class ParsedCatalogue:
    """The good listings of a file, the messages for the refused rows, and how it was read."""

    listings: list[Listing]
    errors: list[str]
    encoding: str
    rows: int
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (sku, market) -> line


@dataclass(frozen=True)
class ImportReport:
    """What `listings import` did: rows read, listings saved, rows refused (with messages)."""

    parsed: ParsedCatalogue
    saved: SaveResult = field(default_factory=lambda: SaveResult(0, 0))


class _RowError(ValueError):
    """One thing wrong with one cell; collected per row."""


def import_listings_file(
    engine: Engine, path: Path, now: datetime, *, dry_run: bool = False
) -> ImportReport:
    """Parse ``path`` and upsert its good rows into the store (unless ``dry_run``)."""
    parsed = read_listings_csv(path)
    if dry_run or not parsed.listings:
        return ImportReport(parsed)
    return ImportReport(parsed, save_listings(engine, parsed.listings, now))


def read_listings_csv(path: Path) -> ParsedCatalogue:
    """Read and validate a catalogue file; raises InputError only for whole-file problems."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    text, encoding = decode_text(data, str(path))
    return parse_listings_text(text, str(path), encoding)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode by BOM, then strict UTF-8, then CP932; returns the text and the encoding used."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}: not valid {encoding} despite its BOM: {exc.reason} "
                    f"at byte {exc.start}"
                ) from None
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: neither UTF-8 nor Shift_JIS/CP932 text; save it as UTF-8 CSV")


def parse_listings_text(text: str, name: str, encoding: str = "utf-8") -> ParsedCatalogue:
    """Validate every row of the decoded CSV text ``text`` (``name`` is used in messages)."""
    storable.read_long_csv_fields()  # a long cell refuses its row below, not the whole file
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = next(reader, None)
    if header is None:
        raise InputError(f"{name}: the file is empty (expected a header row)")
    columns = _columns(header, name)
    source_columns = _source_indexes(header)
    good: list[Listing] = []
    errors: list[str] = []
    first_line: dict[tuple[str, str], int] = {}
    rows, end = 0, reader.line_num
    for cells in reader:
        line, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        record = {key: cells[i].strip() if i < len(cells) else "" for key, i in columns.items()}
        source_cells = [cells[i] for i in source_columns if i < len(cells)]
        try:
            _fits(record, source_cells)
            listing = storable.listing(_listing(record, source_cells))
            key = (listing.sku, listing.marketplace)
            if key in first_line:
                raise _RowError(
                    f"duplicate SKU for {listing.marketplace} (first on line {first_line[key]})"
                )
        except (_RowError, storable.Unstorable) as exc:
            sku = record.get("sku", "")
            errors.append(f"{name}:{line}: {exc}" + (f" (sku {sku})" if sku else ""))
            continue
        first_line[key] = line
        good.append(listing)
    return ParsedCatalogue(good, errors, encoding, rows, first_line)


def _fits(record: dict[str, str], source_cells: list[str]) -> None:
    """No cell the row is read from is longer than the longest column (sources.ref) holds."""
    cells = [(c, record.get(c, "")) for c in USED] + [("source", c) for c in source_cells]
    for column, value in cells:
        if len(value) > storable.REF_LENGTH:
            raise _RowError(
                f"{column} is {len(value):,} characters long (at most {storable.REF_LENGTH:,})"
            )


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max((",", "\t", ";"), key=first.count)


def _normalise(column: str) -> str:
    key = re.sub(r"[\s\-]+", "_", column.strip().lower())
    return ALIASES.get(key, key)


def _columns(header: list[str], name: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, column in enumerate(header):
        key = _normalise(column)
        if key and not _SOURCE_COLUMN.match(key):
            columns.setdefault(key, index)
    for required in REQUIRED:
        if required not in columns:
            raise InputError(
                f"{name}: missing required column {required!r} "
                f"(header: {', '.join(c.strip() for c in header)})"
            )
    if not _source_indexes(header):
        raise InputError(f"{name}: missing required column 'source' (or 'sources', 'source_2'…)")
    return columns


def _source_indexes(header: list[str]) -> list[int]:
    return [i for i, column in enumerate(header) if _SOURCE_COLUMN.match(_normalise(column))]


def _listing(record: dict[str, str], source_cells: list[str]) -> Listing:
    problems: list[str] = []

    def check(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except _RowError as exc:
            problems.append(str(exc))
            return fallback

    sku = check(lambda: _sku(record["sku"]), "")
    code = check(lambda: _marketplace(record["marketplace"]), "")
    asin = check(lambda: _asin(record["asin"]), "")
    product_type = check(lambda: _product_type(record.get("product_type", "")), "PRODUCT")
    handling = check(lambda: _int(record, "handling_days", None, 0, MAX_HANDLING_DAYS), 0)
    quantity = check(lambda: _int(record, "default_quantity", None, 0, 1_000_000), 0)
    buffer = check(lambda: _int(record, "safety_buffer", 0, 0, 1_000_000), 0)
    pack = check(lambda: _int(record, "pack_size", 1, 1, 10_000), 1)
    max_cost = check(lambda: _max_cost(record), None)
    no_sources: tuple[Source, ...] = ()
    found = check(lambda: _sources(source_cells, record.get("variant", "")), no_sources)
    if problems:
        raise _RowError("; ".join(problems))
    return Listing(
        sku=sku,
        marketplace=code,
        asin=asin,
        product_type=product_type,
        handling_days=handling,
        default_quantity=quantity,
        sources=found,
        max_cost=max_cost,
        safety_buffer=buffer,
        pack_size=pack,
    )


def _sku(value: str) -> str:
    if not value:
        raise _RowError("missing SKU")
    if len(value) > MAX_SKU_LENGTH:
        raise _RowError(f"SKU longer than {MAX_SKU_LENGTH} characters")
    return value


def _marketplace(value: str) -> str:
    if not value:
        raise _RowError("missing marketplace")
    try:
        return marketplace(MARKETPLACE_ALIASES.get(value.upper(), value)).code
    except KeyError:
        raise _RowError(
            f"unknown marketplace {value!r} (a code like US, UK, DE or an SP-API marketplace id)"
        ) from None


def _asin(value: str) -> str:
    asin = value.upper()
    if asin and not re.fullmatch(r"[A-Z0-9]{10}", asin):
        raise _RowError(f"ASIN {value!r} is not 10 letters or digits")
    return asin


def _product_type(value: str) -> str:
    product_type = value.upper() or "PRODUCT"
    if not re.fullmatch(r"[A-Z0-9_]+", product_type):
        raise _RowError(f"product_type {value!r} is not an Amazon product type like PRODUCT")
    return product_type


def _int(record: dict[str, str], column: str, default: int | None, low: int, high: int) -> int:
    raw = unicodedata.normalize("NFKC", record.get(column, "")).strip()
    if not raw:
        if default is None:
            raise _RowError(f"missing {column}")
        return default
    if not _INT.match(raw):
        raise _RowError(f"{column} {raw!r} is not a whole number")
    value = int(Decimal(raw.replace(",", "")))
    if not low <= value <= high:
        raise _RowError(f"{column} {value} is outside {low}..{high}")
    return value


def _max_cost(record: dict[str, str]) -> Money | None:
    raw = unicodedata.normalize("NFKC", record.get("max_cost", "")).strip()
    if not raw:
        return None
    currency = record.get("currency", "").strip().upper()
    if not _DECIMAL.match(raw):
        raise _RowError(f"max_cost {raw!r} is not an amount like 1980 or 12.50")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise _RowError("max_cost needs a currency column with a code like JPY")
    try:
        return Money(Decimal(raw.replace(",", "")), currency)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees digits
        raise _RowError(f"max_cost {raw!r} is not an amount") from None


def _sources(cells: list[str], variant: str = "") -> tuple[Source, ...]:
    """The row's sources; ``variant`` (the variant column) is named on its page sources."""
    refs = [part.strip() for cell in cells for part in cell.split("|") if part.strip()]
    if not refs:
        raise _RowError("no source (a product page URL, feed:SUPPLIER:CODE or api:NAME:CODE)")
    found: list[Source] = []
    for ref in refs:
        source = _source(ref)
        if variant and source.kind is SourceKind.PAGE:
            source = replace(source, variant=variant)
        if source not in found:
            found.append(source)
    return tuple(found)


def _source(ref: str) -> Source:
    if ref.lower().startswith(api_refs.PREFIX):
        try:
            return api_refs.parse(ref)
        except ValueError as exc:
            raise _RowError(str(exc)) from None
    if ref.lower().startswith("feed:"):
        _, supplier, code = [*ref.split(":", 2), "", ""][:3]
        if not supplier.strip() or not code.strip():
            raise _RowError(f"bad feed source {ref!r}: expected feed:SUPPLIER:CODE")
        return Source(SourceKind.FEED, code.strip(), supplier=supplier.strip())
    adapter = ""
    if ref.lower().startswith("page:"):  # page:ADAPTER:URL names the adapter (own-domain shops)
        _, adapter, ref = [*ref.split(":", 2), "", ""][:3]
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", adapter):
            raise _RowError(f"bad page source: expected page:ADAPTER:URL, got adapter {adapter!r}")
    try:
        parts = urlsplit(ref)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https") or re.search(r"\s", ref):
        raise _RowError(
            f"bad source URL {ref!r}: expected http(s)://host/path, feed:SUPPLIER:CODE "
            "or api:NAME:CODE"
        )
    return Source(SourceKind.PAGE, ref, supplier=adapter)
