"""The demo shop's catalogue and how its stock changes over (injected) time.

Each DemoProduct starts in a stock state and changes by a schedule (seconds after the shop was
created), by seeded random flips (exponential gaps with a mean), or by ``set_stock``. Changes
are applied lazily when a page is asked for, so the shop costs nothing between requests, and
every change is recorded for ``stock_history()`` (the demo measures detection latency from it).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from stockguard.core.clock import Clock

STYLES = ("amazon", "rakuten", "yahoo", "yodobashi", "shopify", "woocommerce", "generic")


@dataclass(frozen=True)
class DemoProduct:
    """One product page of the demo shop."""

    product_id: str
    style: str = "generic"  # one of STYLES: whose markup the page imitates
    title: str = ""
    price: Decimal = Decimal("1980")
    currency: str = "JPY"
    in_stock: bool = True
    quantity: int | None = None  # shown as 残りN点 / 在庫 N when set
    host: str = "127.0.0.1"
    schedule: tuple[tuple[float, bool, int | None], ...] = ()  # (seconds, in_stock, quantity)
    mean_flip_seconds: float | None = None  # random flips: mean seconds between changes
    ships_within_days: int | None = None  # お取り寄せ: "usually ships within N days"
    charset: str = "utf-8"  # e.g. "EUC-JP" or "Shift_JIS" like older Japanese shops

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"unknown demo shop style {self.style!r} (known: {', '.join(STYLES)})")


@dataclass(frozen=True)
class StockChange:
    """One change of a product's stock, for the demo's detection-latency figures."""

    at: datetime
    product_id: str
    in_stock: bool
    quantity: int | None
    cause: str  # start | schedule | flip | set


@dataclass
class _Live:
    in_stock: bool
    quantity: int | None
    changed_at: datetime
    schedule: list[tuple[float, bool, int | None]]
    rng: random.Random
    next_flip: float | None = None  # seconds since the shop's start


@dataclass
class StockBook:
    """Current stock of every product, advanced lazily on the injected clock."""

    products: dict[str, DemoProduct]
    clock: Clock
    seed: int = 0
    started: datetime = field(init=False)
    history: list[StockChange] = field(default_factory=list)
    _live: dict[str, _Live] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.started = self.clock.now()
        for pid, product in self.products.items():
            live = _Live(
                product.in_stock,
                product.quantity,
                self.started,
                sorted(product.schedule, key=lambda e: e[0]),
                random.Random(f"{self.seed}:{pid}"),
            )
            live.next_flip = self._draw(product, live, 0.0)
            self._live[pid] = live
            self.history.append(
                StockChange(self.started, pid, product.in_stock, product.quantity, "start")
            )

    def state(self, product_id: str) -> tuple[bool, int | None, datetime]:
        """(in_stock, quantity, changed_at) of a product right now."""
        with self._lock:
            self._advance(product_id, self._elapsed())
            live = self._live[product_id]
            return live.in_stock, live.quantity, live.changed_at

    def set(self, product_id: str, in_stock: bool, quantity: int | None) -> None:
        """Change a product's stock now (the demo's "the supplier sold out" button)."""
        with self._lock:
            self._advance(product_id, self._elapsed())
            self._apply(product_id, self.clock.now(), in_stock, quantity, "set")

    def changes(self) -> list[StockChange]:
        """Every change so far, oldest first."""
        with self._lock:
            elapsed = self._elapsed()
            for pid in self._live:
                self._advance(pid, elapsed)
            return sorted(self.history, key=lambda c: c.at)

    def _elapsed(self) -> float:
        return (self.clock.now() - self.started).total_seconds()

    def _advance(self, pid: str, elapsed: float) -> None:
        live, product = self._live[pid], self.products[pid]
        while True:
            next_planned = live.schedule[0][0] if live.schedule else None
            candidates = [t for t in (next_planned, live.next_flip) if t is not None]
            if not candidates or min(candidates) > elapsed:
                return
            at = min(candidates)
            when = self.started + timedelta(seconds=at)
            if next_planned is not None and at == next_planned:
                _, in_stock, quantity = live.schedule.pop(0)
                self._apply(pid, when, in_stock, quantity, "schedule")
            else:
                flipped = not live.in_stock
                self._apply(pid, when, flipped, product.quantity if flipped else 0, "flip")
                live.next_flip = self._draw(product, live, at)

    def _apply(
        self, pid: str, when: datetime, in_stock: bool, quantity: int | None, cause: str
    ) -> None:
        live = self._live[pid]
        if not in_stock:
            quantity = 0 if quantity is None else quantity
        live.in_stock, live.quantity, live.changed_at = in_stock, quantity, when
        self.history.append(StockChange(when, pid, in_stock, quantity, cause))

    @staticmethod
    def _draw(product: DemoProduct, live: _Live, after: float) -> float | None:
        if not product.mean_flip_seconds:
            return None
        return after + live.rng.expovariate(1.0 / product.mean_flip_seconds)
