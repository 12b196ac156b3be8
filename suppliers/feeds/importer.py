"""Importing one supplier feed file: read, check, guard against drift, then record it.

The store is passed in (``FeedStore``: ``core.store.feeds.SqlFeedStore`` in production) so this
package stays free of the database. Nothing is recorded as applied unless the whole file was
accepted: a refused file (unreadable, a missing column, no usable rows, suspicious drift)
changes no item. Items that a *full* feed no longer lists become OUT_OF_STOCK (or UNKNOWN
``not-in-feed`` when ``missing_is_out_of_stock = false``). An item whose row is refused is
UNKNOWN (``error``) with the refusal as its evidence: listed, but not readable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from stockguard.core.clock import Clock
from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, FeedImportRecord, Observation, UnknownReason
from stockguard.suppliers.feeds.drift import FeedSummary, check_drift
from stockguard.suppliers.feeds.reading import FeedRefused, read_feed
from stockguard.suppliers.feeds.rows import RowProblem, parse_feed


class FeedStore(Protocol):
    """What the importer needs from the store."""

    def last_import_totals(self, supplier: str) -> tuple[int, int, int] | None:
        """(items, out_of_stock, total_quantity) of the latest applied import, if any."""
        ...

    def current_codes(self, supplier: str) -> set[str]:
        """Every item code the store holds for this supplier."""
        ...

    def record_import(
        self,
        record: FeedImportRecord,
        observations: Sequence[tuple[Observation, int | None]],
        *,
        replace_all: bool,
        refused_file: bytes | None = None,
    ) -> int:
        """Record an import (and, when applied, its items); returns the import id. A feed the
        drift guard refused comes with its bytes (``refused_file``), to keep for accepting."""
        ...


@dataclass
class ImportReport:
    """What an import did."""

    supplier: str
    file: str
    status: str  # applied | refused
    encoding: str = ""
    delimiter: str = ","
    rows_total: int = 0
    summary: FeedSummary = field(default_factory=lambda: FeedSummary(0, 0, 0))
    missing: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    accepted_drift: bool = False
    import_id: int | None = None

    @property
    def applied(self) -> bool:
        """Whether the feed's items were written."""
        return self.status == "applied"


def import_feed(
    path: Path,
    supplier: str,
    settings: FeedSettings,
    store: FeedStore,
    clock: Clock,
    *,
    accept_drift: bool = False,
) -> ImportReport:
    """Import ``path`` for ``supplier``; FeedRefused for a file that cannot be used at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedRefused(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return import_feed_data(
        data, path.name, supplier, settings, store, clock, accept_drift=accept_drift
    )


def import_feed_data(
    data: bytes,
    name: str,
    supplier: str,
    settings: FeedSettings,
    store: FeedStore,
    clock: Clock,
    *,
    accept_drift: bool = False,
    received_at: datetime | None = None,
) -> ImportReport:
    """Import the feed file ``name`` whose bytes are ``data``. ``received_at``: when the file
    arrived, if before now (a kept refused file accepted later): its items are as old as
    that, so they are stamped with it and age as they should."""
    now = clock.now()
    seen = received_at or now
    raw = read_feed(data, name, settings.encoding)
    parsed = parse_feed(raw, settings, seen)
    report = ImportReport(
        supplier,
        name,
        "refused",
        raw.encoding,
        raw.delimiter,
        len(raw.rows),
        problems=parsed.problems,
        accepted_drift=accept_drift,
    )
    if not parsed.items:
        raise FeedRefused(
            f"{name}: no usable rows ({len(parsed.problems)} refused): nothing applied",
            problems=parsed.problems,
        )
    report.summary = FeedSummary.of(item.observation for item in parsed.items)
    previous = store.last_import_totals(supplier)
    report.drift = check_drift(
        report.summary, FeedSummary(*previous) if previous else None, settings
    )
    observations: list[tuple[Observation, int | None]] = [
        (item.observation, item.line) for item in parsed.items
    ]
    listed = {item.code for item in parsed.items}
    refused = _refused_items(parsed.problems, listed)
    observations += [(_refused(problem, seen), problem.line) for problem in refused.values()]
    if settings.full_feed:
        missing = sorted(store.current_codes(supplier) - listed - set(refused))
        observations += [(_missing(code, name, settings, seen), None) for code in missing]
        report.missing = len(missing)
    if report.drift and not accept_drift:
        message = "; ".join(report.drift)
        report.import_id = _record(store, report, data, now, [], message, refused_file=data)
        return report
    report.status = "applied"
    report.import_id = _record(store, report, data, now, observations, "", settings.full_feed)
    return report


def _refused_items(problems: list[RowProblem], listed: set[str]) -> dict[str, RowProblem]:
    """The first refused row of each item the feed names but no accepted row gives."""
    refused: dict[str, RowProblem] = {}
    for problem in problems:
        if problem.item is not None and problem.item not in listed:
            refused.setdefault(problem.item, problem)
    return refused


def _refused(problem: RowProblem, now: datetime) -> Observation:
    """The feed lists the item but its row cannot be used: not known (so 0), and why."""
    evidence = f"feed {problem.file} line {problem.line}: row refused: {problem.message}"
    return Observation(
        problem.item or "",
        Availability.UNKNOWN,
        now,
        evidence,
        reason=UnknownReason.ERROR,
        adapter="feed",
    )


def _missing(code: str, file: str, settings: FeedSettings, now: datetime) -> Observation:
    evidence = f"feed {file}: item {code} absent from the full feed"
    if settings.missing_is_out_of_stock:
        return Observation(
            code, Availability.OUT_OF_STOCK, now, evidence, quantity=0, adapter="feed"
        )
    return Observation(
        code, Availability.UNKNOWN, now, evidence, reason=UnknownReason.NOT_IN_FEED, adapter="feed"
    )


def _record(
    store: FeedStore,
    report: ImportReport,
    data: bytes,
    now: datetime,
    observations: Sequence[tuple[Observation, int | None]],
    message: str,
    replace_all: bool = False,
    *,
    refused_file: bytes | None = None,
) -> int:
    summary = report.summary
    record = FeedImportRecord(
        supplier=report.supplier,
        file_name=report.file,
        file_sha256=hashlib.sha256(data).hexdigest(),
        imported_at=now,
        status=report.status,
        rows_total=report.rows_total,
        rows_refused=len(report.problems),
        totals=(summary.items, summary.out_of_stock, summary.total_quantity),
        missing=report.missing,
        accepted_drift=report.accepted_drift and bool(report.drift),
        encoding=report.encoding,
        message=message,
    )
    return store.record_import(
        record, observations, replace_all=replace_all, refused_file=refused_file
    )
