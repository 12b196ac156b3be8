"""Simulated buyers: orders arrive at a rate per listing, only while Amazon shows stock.

A listing is a SKU's offer in one marketplace: a SKU listed in US and CA has buyers in both,
who draw on its one shared quantity. Arrivals are a Poisson process per listing (exponential
gaps drawn from a seeded RNG, so a run is reproducible). An arrival that finds the Amazon
quantity at 0 buys nothing, which is exactly the protection stockguard exists to provide; one
that finds it above 0 becomes an Unshipped MFN order of one unit in that marketplace and
decrements the quantity. Feeds that finish before an arrival are applied before it, so the
order of events is the order in time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from stockguard.doubles.emulator.orderbook import place_order
from stockguard.doubles.emulator.state import EmulatorState

Offer = tuple[str, str]  # (sku, marketplace id): where a buyer arrives


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
        offers = [(ls.sku, ls.marketplace_id) for ls in state.every_listing()]
        if isinstance(rate_per_hour, dict):
            self.rates = {o: rate_per_hour[o[0]] for o in offers if rate_per_hour.get(o[0], 0) > 0}
        else:
            self.rates = dict.fromkeys(offers, rate_per_hour) if rate_per_hour > 0 else {}
        self._next = {offer: self._gap(start, rate) for offer, rate in sorted(self.rates.items())}
        self.placed: list[str] = []  # order ids created by this simulation
        self.missed = 0  # arrivals that found the listing at 0

    def _gap(self, after: datetime, rate_per_hour: float) -> datetime:
        return after + timedelta(hours=self.rng.expovariate(rate_per_hour))

    def advance(self, until: datetime, settle: Callable[[datetime], None]) -> list[str]:
        """Place the orders that arrive up to ``until``; ``settle(t)`` applies feeds due by t."""
        placed: list[str] = []
        while self._next:
            offer, at = min(self._next.items(), key=lambda kv: (kv[1], kv[0]))
            if at > until:
                break
            settle(at)
            sku, marketplace_id = offer
            listing = self.state.find_listing(sku, [marketplace_id])
            if listing is not None and (listing.quantity or 0) > 0:
                order = place_order(
                    self.state, self.rng, at, [(sku, 1)], marketplace_id=marketplace_id
                )
                placed.append(order.order_id)
            else:
                self.missed += 1
            self._next[offer] = self._gap(at, self.rates[offer])
        self.now = max(self.now, until)
        self.placed.extend(placed)
        return placed
