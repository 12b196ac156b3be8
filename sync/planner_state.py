"""The planner's bookkeeping: growable numpy columns per source and per listing.

Kept apart from the ranking logic in ``sync.planner``. Listing-level figures (orders, live
time) are rebuilt on start from the store's orders and current quantities; source-level ones
(state, last check, stock-out and restock counts, exposures) are what ``SourceState`` rows
carry through the store across restarts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np

STATE_NAMES = ("UNSEEN", "IN_STOCK", "OUT_OF_STOCK", "UNKNOWN")


@dataclass(frozen=True)
class SourceState:
    """One source's planner state, as stored in ``check_schedule``."""

    source_ref: str
    listing_sku: str
    host: str
    state: str  # one of STATE_NAMES
    observed_at: datetime | None
    checked_at: datetime | None
    streak: int  # consecutive IN_STOCK observations
    stockouts: int  # IN_STOCK -> OUT_OF_STOCK changes seen
    restocks: int  # OUT_OF_STOCK -> IN_STOCK changes seen
    in_days: float  # observed in-stock exposure
    out_days: float
    next_check_at: datetime | None = None
    priority: float = 0.0


def _dt(ts: float) -> datetime | None:
    return None if not math.isfinite(ts) or ts <= 0 else datetime.fromtimestamp(ts, UTC)


def _ts(value: datetime | None) -> float:
    return 0.0 if value is None else value.timestamp()


class Table:
    """Columns indexed by source (and by listing); grown by doubling."""

    _SOURCE_COLS: ClassVar[dict[str, Any]] = {
        "listing_of": np.int64,
        "host_of": np.int64,
        "state": np.int8,
        "observed_at": np.float64,
        "checked_at": np.float64,
        "streak": np.int64,
        "stockouts": np.float64,
        "restocks": np.float64,
        "in_days": np.float64,
        "out_days": np.float64,
    }
    _LISTING_COLS: ClassVar[dict[str, Any]] = {
        "orders": np.float64,
        "dark_days": np.float64,
        "dark_since": np.float64,
        "live": np.bool_,
    }

    def __init__(self) -> None:
        self.refs: list[str] = []
        self.index: dict[str, int] = {}
        self.listing_index: dict[str, int] = {}
        self.host_index: dict[str, int] = {}
        self.size = 0
        self.listings = 0
        for name, kind in self._SOURCE_COLS.items():
            setattr(self, name, np.zeros(16, dtype=kind))
        for name, kind in self._LISTING_COLS.items():
            setattr(self, name, np.zeros(16, dtype=kind))
        self.dark_since[:] = np.nan

    # Typed views of the columns set in __init__.
    listing_of: np.ndarray
    host_of: np.ndarray
    state: np.ndarray
    observed_at: np.ndarray
    checked_at: np.ndarray
    streak: np.ndarray
    stockouts: np.ndarray
    restocks: np.ndarray
    in_days: np.ndarray
    out_days: np.ndarray
    orders: np.ndarray
    dark_days: np.ndarray
    dark_since: np.ndarray
    live: np.ndarray

    def listing(self, sku: str) -> int:
        """The index of ``sku``, registering it."""
        j = self.listing_index.get(sku)
        if j is None:
            j = self.listings
            if j >= len(self.orders):
                self._grow(self._LISTING_COLS, 2 * len(self.orders), nan_cols=("dark_since",))
            self.listing_index[sku] = j
            self.listings += 1
        return j

    def source(self, ref: str, sku: str, host: str) -> int:
        """The index of source ``ref``, registering it."""
        i = self.index.get(ref)
        if i is not None:
            return i
        i = self.size
        if i >= len(self.state):
            self._grow(self._SOURCE_COLS, 2 * len(self.state))
        self.index[ref] = i
        self.refs.append(ref)
        self.listing_of[i] = self.listing(sku)
        self.host_of[i] = self.host_index.setdefault(host, len(self.host_index))
        self.size += 1
        return i

    def _grow(self, cols: dict[str, Any], new_len: int, nan_cols: tuple[str, ...] = ()) -> None:
        for name in cols:
            old = getattr(self, name)
            new = np.zeros(new_len, dtype=old.dtype)
            if name in nan_cols:
                new[:] = np.nan
            new[: len(old)] = old
            setattr(self, name, new)

    def snapshot(self, next_check: np.ndarray, priority: np.ndarray) -> list[SourceState]:
        """Rows for the store (the columns go to Python values in bulk: 150,000 rows)."""
        n = self.size
        skus = {j: sku for sku, j in self.listing_index.items()}
        hosts = {k: host for host, k in self.host_index.items()}
        clipped = np.minimum(np.maximum(priority[:n], -1e300), 1e300)
        columns = zip(
            self.refs[:n],
            self.listing_of[:n].tolist(),
            self.host_of[:n].tolist(),
            self.state[:n].tolist(),
            self.observed_at[:n].tolist(),
            self.checked_at[:n].tolist(),
            self.streak[:n].tolist(),
            self.stockouts[:n].tolist(),
            self.restocks[:n].tolist(),
            self.in_days[:n].tolist(),
            self.out_days[:n].tolist(),
            next_check[:n].tolist(),
            clipped.tolist(),
            strict=True,
        )
        return [
            SourceState(
                ref,
                skus[j],
                hosts[k],
                STATE_NAMES[state],
                _dt(observed),
                _dt(checked),
                streak,
                int(stockouts),
                int(restocks),
                in_days,
                out_days,
                _dt(upcoming),
                rank,
            )
            for (
                ref,
                j,
                k,
                state,
                observed,
                checked,
                streak,
                stockouts,
                restocks,
                in_days,
                out_days,
                upcoming,
                rank,
            ) in columns
        ]

    def restore(self, rows: list[SourceState]) -> None:
        """Load rows written by ``snapshot``."""
        for row in rows:
            i = self.source(row.source_ref, row.listing_sku, row.host)
            self.state[i] = STATE_NAMES.index(row.state)
            self.observed_at[i] = _ts(row.observed_at)
            self.checked_at[i] = _ts(row.checked_at)
            self.streak[i] = row.streak
            self.stockouts[i] = row.stockouts
            self.restocks[i] = row.restocks
            self.in_days[i] = row.in_days
            self.out_days[i] = row.out_days
