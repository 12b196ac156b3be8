"""Simulated buyers: orders arrive at a rate per listing, only while Amazon shows stock.

Arrivals are a Poisson process per SKU (exponential gaps drawn from a seeded RNG, so a run is
reproducible). An arrival that finds the listing's Amazon quantity at 0 buys nothing, which is
exactly the protection stockguard exists to provide; one that finds it above 0 becomes an
Unshipped MFN order of one unit and decrements the quantity. Feeds that finish before an
arrival are applied before it, so the order of events is the order in time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sync.amazon.emulator.orderbook import place_order
from sync.amazon.emulator.state import EmulatorState


class BuyerSimulation:
    """Generates orders between ``self.now`` and a later time."""

    def __init__(
        self,
        state: EmulatorState,
        rate_per_hour: float | dict[str, float],
        rng_seed: int,
        start: datetime,
    ) -> None:
        self.state = state
        self.rng = random.Random(rng_seed)
        self.now = start
        if isinstance(rate_per_hour, dict):
            self.rates = {sku: r for sku, r in rate_per_hour.items() if r > 0}
        else:
            self.rates = dict.fromkeys(state.listings, rate_per_hour) if rate_per_hour > 0 else {}
        self._next = {sku: self._gap(start, rate) for sku, rate in sorted(self.rates.items())}
        self.placed: list[str] = []  # order ids created by this simulation
        self.missed = 0  # arrivals that found the listing at 0

    def _gap(self, after: datetime, rate_per_hour: float) -> datetime:
        return after + timedelta(hours=self.rng.expovariate(rate_per_hour))

    def advance(self, until: datetime, settle: Callable[[datetime], None]) -> list[str]:
        """Place the orders that arrive up to ``until``; ``settle(t)`` applies feeds due by t."""
        placed: list[str] = []
        while self._next:
            sku, at = min(self._next.items(), key=lambda kv: (kv[1], kv[0]))
            if at > until:
                break
            settle(at)
            listing = self.state.listings.get(sku)
            if listing is not None and (listing.quantity or 0) > 0:
                order = place_order(self.state, self.rng, at, [(sku, 1)])
                placed.append(order.order_id)
            else:
                self.missed += 1
            self._next[sku] = self._gap(at, self.rates[sku])
        self.now = max(self.now, until)
        self.placed.extend(placed)
        return placed
