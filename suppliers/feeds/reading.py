"""Reading a feed file's bytes into a header and numbered rows.

Encodings, in the order they are tried: a BOM (UTF-8, UTF-16 LE/BE), UTF-16 without a BOM
(recognised by its zero bytes), strict UTF-8, CP932 (Japanese Excel's "Shift_JIS", with the
NEC/IBM extensions), then EUC-JP as best effort. A configured encoding overrides detection.
The separator is sniffed from the header line: a tab when it has more tabs than commas.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from stockguard.core.errors import InputError
from stockguard.core.storable import read_long_csv_fields


class FeedRefused(InputError):
    """The whole file is refused (unreadable, a required column missing, no usable row).

    ``problems``: the refused rows (``RowProblem``) when every row was refused, so each can
    still be named.
    """

    def __init__(self, message: str, *, problems: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class RawFeed:
    """A decoded feed: its header, its data rows with the line each starts on, and how read."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CANDIDATES = ("utf-8", "cp932", "euc_jp")


def decode_feed(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with; FeedRefused when nothing fits."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise FeedRefused(f"{file}: cannot be read as {encoding}: {exc}") from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _strict(data, codec, file), codec
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _strict(data, utf16, file), utf16
    for codec in _CANDIDATES:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise FeedRefused(
        f"{file}: not UTF-8, UTF-16, CP932 (Shift_JIS) or EUC-JP; "
        "set `encoding` in [feeds.<supplier>]"
    )


def _strict(data: bytes, codec: str, file: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FeedRefused(f"{file}: starts like {codec} but is not: {exc}") from None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of ASCII-heavy headers has a zero byte in every other position."""
    head = data[:400]
    if len(head) < 4:
        return None
    even_zero = head[0::2].count(0)
    odd_zero = head[1::2].count(0)
    # A few CJK characters (U+3000, U+4E00...) put a zero in the other half too.
    if odd_zero > len(head) // 4 and even_zero * 8 < odd_zero:
        return "utf-16-le"
    if even_zero > len(head) // 4 and odd_zero * 8 < even_zero:
        return "utf-16-be"
    return None


def sniff_delimiter(first_line: str) -> str:
    """Tab or comma, whichever the header line has more of (comma on a tie)."""
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def read_feed(data: bytes, file: str, encoding: str | None = None) -> RawFeed:
    """Decode and split a feed; the header is its first non-empty line."""
    text, used = decode_feed(data, file, encoding)
    text = text.removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise FeedRefused(f"{file}: the file is empty")
    delimiter = sniff_delimiter(first)
    read_long_csv_fields()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines and Excel's trailing ",,,," rows
            if header is None:
                header = [cell.strip().removeprefix("\ufeff") for cell in record]
            else:
                rows.append((start, record))
    except csv.Error as exc:
        raise FeedRefused(f"{file}:{line}: broken CSV: {exc}") from None
    return RawFeed(file, header or [], rows, used, delimiter)
