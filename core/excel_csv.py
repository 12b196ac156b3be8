"""CSV files a seller opens in Excel: UTF-8 with a BOM by default, CP932 (Shift_JIS) on request.

Japanese Excel reads a CSV without a BOM as CP932, so plain UTF-8 shows mojibake; the BOM
makes it read UTF-8. CP932 is for older tools; a character it cannot hold refuses the whole
file (a one-line error naming the file and the character) rather than writing ``?``.
Column names stay English: they are read by machines as well as people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from stockguard.core.errors import InputError

ENCODINGS = ("utf-8-sig", "utf-8", "cp932")


def write_excel_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str
) -> int:
    """Write ``header`` and ``rows`` to ``path`` in ``encoding``; the number of data rows."""
    if encoding not in ENCODINGS:
        raise InputError(f"--encoding {encoding}: use one of {', '.join(ENCODINGS)}")
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise InputError(
            f"{path}: {bad!r} cannot be written as {encoding}; use --encoding utf-8-sig"
        ) from None
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return count
