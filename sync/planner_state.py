"""The planner's bookkeeping: growable numpy columns per source and per listing.

Kept apart from the ranking logic in ``sync.planner``. Listing-level figures (orders, live
time) are rebuilt on start from the store's orders and current quantities; source-level ones
(state, last check, stock-out and restock counts, exposures) are what ``SourceState`` rows
carry through the store across restarts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, repeat
from typing import Any, ClassVar

import numpy as np

STATE_NAMES = ("UNSEEN", "IN_STOCK", "OUT_OF_STOCK", "UNKNOWN")
_STATE_CODE = {name: code for code, name in enumerate(STATE_NAMES)}


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


@dataclass(frozen=True)
class ScheduleColumns:
    """Stored source states column by column: what ``Planner.restore`` reads at start.

    A million ``SourceState`` objects take seconds to build and to take apart again; the
    PostgreSQL store reads the columns straight into these arrays (sync/planner_store.py).
    Times are epoch seconds (0.0: never), states are codes into ``STATE_NAMES``.
    """

    refs: list[str]
    skus: list[str]
    hosts: list[str]
    state: np.ndarray  # int8
    observed_at: np.ndarray  # float64, as the rest below
    checked_at: np.ndarray
    streak: np.ndarray
    stockouts: np.ndarray
    restocks: np.ndarray
    in_days: np.ndarray
    out_days: np.ndarray

    @classmethod
    def from_states(cls, rows: Sequence[SourceState]) -> ScheduleColumns:
        """The columns of ``rows`` (the generic path: SQLite, tests)."""

        def column(values: list[float]) -> np.ndarray:
            return np.array(values, dtype=np.float64)

        return cls(
            [r.source_ref for r in rows],
            [r.listing_sku for r in rows],
            [r.host for r in rows],
            np.array([_STATE_CODE[r.state] for r in rows], dtype=np.int8),
            column([_ts(r.observed_at) for r in rows]),
            column([_ts(r.checked_at) for r in rows]),
            column([r.streak for r in rows]),
            column([r.stockouts for r in rows]),
            column([r.restocks for r in rows]),
            column([r.in_days for r in rows]),
            column([r.out_days for r in rows]),
        )

    @classmethod
    def concat(cls, parts: Sequence[ScheduleColumns]) -> ScheduleColumns:
        """The parts one after the other (the store reads in chunks)."""
        if not parts:
            return cls.from_states([])
        joined: dict[str, Any] = {
            name: list(chain.from_iterable(getattr(p, name) for p in parts))
            for name in _TEXT_FIELDS
        }
        for name in _ARRAY_FIELDS:
            joined[name] = np.concatenate([getattr(p, name) for p in parts])
        return cls(**joined)


_TEXT_FIELDS = ("refs", "skus", "hosts")
_ARRAY_FIELDS = (
    "state",
    "observed_at",
    "checked_at",
    "streak",
    "stockouts",
    "restocks",
    "in_days",
    "out_days",
)


def _pick(values: list[str], at: np.ndarray, every: bool) -> list[str]:
    return values if every else [values[k] for k in at.tolist()]


def _numbered(numbers: dict[str, int], keys: list[str]) -> np.ndarray:
    """Each key's number in ``numbers``, new keys numbered on in order of first appearance."""
    fresh = [key for key in dict.fromkeys(keys) if key not in numbers]
    start = len(numbers)
    numbers.update(zip(fresh, range(start, start + len(fresh)), strict=True))
    if len(fresh) == len(keys):  # every key new, each once (a listing per source)
        return np.arange(start, start + len(keys))
    return np.fromiter(map(numbers.__getitem__, keys), np.int64, count=len(keys))


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

    def sources(self, refs: list[str], skus: list[str], hosts: list[str]) -> np.ndarray:
        """The indexes of sources ``refs``, registering the new ones in order of first
        appearance, as ``source`` one by one would (a million in about a second)."""
        index = self.index
        found = np.fromiter(map(index.get, refs, repeat(-1)), dtype=np.int64, count=len(refs))
        missing = np.flatnonzero(found < 0)
        if not missing.size:
            return found
        every = missing.size == len(refs)  # the usual restore into an empty planner
        new = refs if every else [refs[k] for k in missing.tolist()]
        first = dict.fromkeys(new)  # in order, each ref once
        once = len(first) == len(new)  # no ref twice among the new ones
        at = missing if once else self._first_positions(refs, missing)
        every = every and once  # then ``at`` is every position: the columns as they are
        start, end = self.size, self.size + len(first)
        self._ensure(self._SOURCE_COLS, "state", end)
        index.update(zip(first, range(start, end), strict=True))
        self.refs.extend(first)
        self.listing_of[start:end] = _numbered(self.listing_index, _pick(skus, at, every))
        self.host_of[start:end] = _numbered(self.host_index, _pick(hosts, at, every))
        self.listings = len(self.listing_index)
        self._ensure(self._LISTING_COLS, "orders", self.listings, nan_cols=("dark_since",))
        self.size = end
        if once:  # numbered in order
            found[missing] = np.arange(start, end)
        else:
            found[missing] = np.fromiter(map(index.__getitem__, new), np.int64, count=len(new))
        return found

    @staticmethod
    def _first_positions(refs: list[str], missing: np.ndarray) -> np.ndarray:
        first: dict[str, int] = {}
        for k in missing.tolist():
            first.setdefault(refs[k], k)
        return np.fromiter(first.values(), np.int64, count=len(first))

    def _ensure(
        self, cols: dict[str, Any], probe: str, size: int, nan_cols: tuple[str, ...] = ()
    ) -> None:
        """Grow ``cols`` (doubling) until they hold ``size`` rows."""
        length = len(getattr(self, probe))
        if size > length:
            while length < size:
                length *= 2
            self._grow(cols, length, nan_cols)

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

    def restore(self, columns: ScheduleColumns) -> None:
        """Load the stored states (written by ``snapshot``), column by column."""
        i = self.sources(columns.refs, columns.skus, columns.hosts)
        for name in _ARRAY_FIELDS:
            getattr(self, name)[i] = getattr(columns, name)
