"""Reading Amazon's "All Listings Report" (GET_MERCHANT_LISTINGS_ALL_DATA) into MFN quantities.

The report is tab-delimited text, first line the header, one line per listing. Real reports
come as UTF-8 or windows-1252 (US, EU) and as Shift_JIS/Cp932 with Japanese headers (JP), so
the bytes are decoded as UTF-8 (a BOM is dropped) and, when that fails, as the marketplace's
legacy encoding (``fallback``: cp932 for JP, cp1252 elsewhere). Lines may end in CRLF.

Kept: merchant-fulfilled rows (``fulfillment-channel`` DEFAULT) with a quantity that is a
whole number >= 0. Left out and counted: FBA rows (AMAZON_NA...), rows with an empty
quantity. Left out and named in ``skipped`` (never guessed): a quantity that is not a whole
number >= 0, a row too short to hold the columns read, a row without a SKU or channel, and a
SKU listed twice with different quantities. A document without the needed columns, or that
decodes in neither encoding, raises ``AmazonError``: nothing is read from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from stockguard.core.errors import AmazonError

MFN_CHANNEL = "DEFAULT"
# Column -> the names it has in real reports (English; the JP report's Japanese header).
ALIASES = {
    "seller-sku": ("seller-sku", "出品者SKU"),
    "quantity": ("quantity", "数量"),
    "fulfillment-channel": ("fulfillment-channel", "フルフィルメント・チャンネル"),
    "status": ("status", "ステータス"),
}
REQUIRED = ("seller-sku", "quantity", "fulfillment-channel")
WHOLE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ListingQuantities:
    """What one All Listings Report says about a marketplace's merchant-fulfilled listings."""

    quantities: dict[str, int]  # SKU -> Amazon's MFN quantity
    inactive: frozenset[str] = frozenset()  # SKUs in ``quantities`` whose status is not Active
    skipped: tuple[str, ...] = ()  # one message per unreadable row, naming line and SKU
    fba_rows: int = 0
    blank_rows: int = 0  # MFN rows without a quantity
    encoding: str = "utf-8"
    marketplace_id: str = ""
    report_id: str = ""
    as_of: datetime | None = None  # the report's createdTime: Amazon's data is from about then


def decode(data: bytes, fallback: str, what: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM dropped) first, then ``fallback``."""
    for encoding in ("utf-8-sig", fallback):
        try:
            return data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            continue
    raise AmazonError(f"{what}: the report is neither UTF-8 nor {fallback}")


def parse(data: bytes, what: str, fallback: str = "cp932") -> ListingQuantities:
    """The MFN quantities in a report document (see the module docstring for what is kept)."""
    text, encoding = decode(data, fallback, what)
    # Split on \n only: str.splitlines would also break on \x1c, \x85 or U+2028 in a title.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines or not lines[0].strip():
        raise AmazonError(f"{what}: the report is empty (no header line)")
    columns = _columns(lines[0].split("\t"), what)
    reader = _Rows(columns, what)
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            reader.read(number, line.split("\t"))
    return ListingQuantities(
        quantities=reader.quantities,
        inactive=frozenset(reader.inactive & reader.quantities.keys()),
        skipped=tuple(reader.skipped),
        fba_rows=reader.fba,
        blank_rows=reader.blank,
        encoding=encoding,
    )


def _columns(header: list[str], what: str) -> dict[str, int]:
    """Index of each column read; AmazonError naming the ones missing."""
    names = [name.strip().lower() for name in header]
    found: dict[str, int] = {}
    for column, aliases in ALIASES.items():
        for alias in aliases:
            if alias.lower() in names:
                found[column] = names.index(alias.lower())
                break
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise AmazonError(f"{what}: line 1: the header has no {', '.join(missing)} column")
    return found


class _Rows:
    """Accumulates the rows of one report."""

    def __init__(self, columns: dict[str, int], what: str) -> None:
        self._columns = columns
        self._width = max(columns[c] for c in REQUIRED) + 1
        self._what = what
        self._conflicting: set[str] = set()
        self.quantities: dict[str, int] = {}
        self.inactive: set[str] = set()
        self.skipped: list[str] = []
        self.fba = self.blank = 0

    def read(self, number: int, values: list[str]) -> None:
        """One data line (``number`` counts from 1, the header)."""
        where = f"{self._what}: line {number}"
        if len(values) < self._width:
            self.skipped.append(f"{where}: {len(values)} columns, {self._width} needed")
            return
        sku = values[self._columns["seller-sku"]].strip()
        channel = values[self._columns["fulfillment-channel"]].strip()
        raw = values[self._columns["quantity"]].strip()
        if not sku or not channel:
            self.skipped.append(f"{where}: no {'seller-sku' if not sku else 'fulfillment-channel'}")
        elif channel.upper() != MFN_CHANNEL:
            self.fba += 1
        elif not raw:
            self.blank += 1
        elif not WHOLE.fullmatch(raw):
            self.skipped.append(f"{where}: SKU {sku}: quantity {raw!r} is not a whole number >= 0")
        else:
            self._keep(where, sku, int(raw), self._status(values))

    def _status(self, values: list[str]) -> str:
        index = self._columns.get("status")
        return values[index].strip() if index is not None and index < len(values) else ""

    def _keep(self, where: str, sku: str, quantity: int, status: str) -> None:
        if sku in self._conflicting:
            return
        known = self.quantities.get(sku)
        if known is not None and known != quantity:
            # Which line is Amazon's? Unknown, so neither: the SKU is left unread.
            del self.quantities[sku]
            self._conflicting.add(sku)
            self.skipped.append(f"{where}: SKU {sku}: listed again with quantity {quantity}")
            return
        self.quantities[sku] = quantity
        if status and status.lower() not in ("active", "アクティブ"):
            self.inactive.add(sku)
