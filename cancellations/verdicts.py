"""Supplier verdicts for the reason router: from a listing's sources' observations, or a file.

``combine_sources`` is pure. It says OUT_OF_STOCK only when the stock-out is proven: a
required source is out, or every source is out (the seller could buy from any in-stock one);
IN_STOCK by the policy's listing rule (``sync.policy.listing_usable``) over what was seen.
Its ``checked_at`` is the OLDEST of the observations it relies on, so freshness is never
overstated. Anything that cannot be decided is UNKNOWN, never a stock-out.

``read_verdict_file`` reads a CSV (``sku,availability,checked_at,evidence``) for
``stockguard cancellations plan --verdicts``; a bad line is refused with its number.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from stockguard.cancellations.reasons import SupplierCheck
from stockguard.core.domain import Availability, Listing, Observation
from stockguard.core.errors import InputError
from stockguard.sync.policy import listing_usable, required_refs

VERDICT_COLUMNS = ("sku", "availability", "checked_at", "evidence")


def combine_sources(listing: Listing, latest: Mapping[str, Observation]) -> SupplierCheck | None:
    """The listing's verdict from each source's newest observation (None: none checked)."""
    seen = [(s, latest[s.ref]) for s in listing.sources if s.ref in latest]
    if not seen:
        return None
    required = required_refs(listing)
    required_out = [
        o for s, o in seen if s.ref in required and o.availability is Availability.OUT_OF_STOCK
    ]
    if required_out:
        return _verdict(Availability.OUT_OF_STOCK, required_out)
    missing = len(seen) < len(listing.sources)
    usable = {s.ref: o.availability is Availability.IN_STOCK for s, o in seen}
    if listing_usable(listing, usable):
        in_stock = [o for _s, o in seen if o.availability is Availability.IN_STOCK]
        return _verdict(Availability.IN_STOCK, in_stock)
    observed = [o for _s, o in seen]
    if not missing and all(o.availability is Availability.OUT_OF_STOCK for o in observed):
        return _verdict(Availability.OUT_OF_STOCK, observed)
    unsure = [o for o in observed if o.availability is not Availability.OUT_OF_STOCK] or observed
    return _verdict(Availability.UNKNOWN, unsure)


def _verdict(availability: Availability, basis: list[Observation]) -> SupplierCheck:
    oldest = min(o.checked_at for o in basis)
    evidence = "; ".join(f"{o.source_ref}: {o.evidence}" for o in basis)
    return SupplierCheck(availability, evidence, oldest)


def read_verdict_file(path: Path) -> dict[str, SupplierCheck]:
    """SKU -> verdict from a CSV file; InputError naming the file and line when malformed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in VERDICT_COLUMNS[:3] if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
            return {
                row["sku"].strip(): _parse_row(path, number, row)
                for number, row in enumerate(reader, start=2)
            }
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _parse_row(path: Path, line: int, row: dict[str, str]) -> SupplierCheck:
    where = f"{path}:{line}"
    if not (row.get("sku") or "").strip():
        raise InputError(f"{where}: empty sku")
    try:
        availability = Availability((row.get("availability") or "").strip().upper())
    except ValueError:
        known = ", ".join(a.value for a in Availability)
        raise InputError(
            f"{where}: availability {row.get('availability')!r} (use {known})"
        ) from None
    try:
        checked_at = datetime.fromisoformat((row.get("checked_at") or "").strip())
    except ValueError:
        raise InputError(f"{where}: checked_at {row.get('checked_at')!r} is not ISO 8601") from None
    if checked_at.tzinfo is None:
        raise InputError(f"{where}: checked_at needs a time zone (e.g. 2026-03-02T09:00:00Z)")
    evidence = (row.get("evidence") or "").strip() or f"verdict file {path.name}"
    return SupplierCheck(availability, evidence, checked_at.astimezone(UTC))
