"""``Emulator``: a local Selling Partner API for the demo, the tests and the benchmarks.

::

    with Emulator(seed, clock=ManualClock()) as emu:
        emu.base_url                      # http://127.0.0.1:PORT (LWA is served there too)
        emu.quantity("SKU-1")             # Amazon's MFN quantity now
        emu.faults.throttle("patchListingsItem", 3)
        emu.simulate_buyers(0.5, rng_seed=1); emu.advance_buyers(until)

State inspection and test helpers work whether or not the server is running.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from stockguard.core.clock import Clock, SystemClock
from stockguard.core.domain import FulfilmentChannel
from stockguard.core.domain import marketplace as domain_marketplace
from stockguard.doubles.emulator import feeds, orderbook
from stockguard.doubles.emulator.buyers import BuyerSimulation
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.faults import Faults
from stockguard.doubles.emulator.offers import parse_offers
from stockguard.doubles.emulator.ratelimit import RateLimiter
from stockguard.doubles.emulator.routes import build_routes
from stockguard.doubles.emulator.seed import build_state
from stockguard.doubles.emulator.server import Dispatcher, HttpServer, RequestRecord
from stockguard.doubles.emulator.state import OrderState


class Emulator:
    """A Selling Partner API (plus LWA) on 127.0.0.1 and an ephemeral port."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        rate_limits: bool = True,
        feed_processing_seconds: float = 2.0,
        port: int = 0,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults()
        state = build_state(seed, self.clock.now())
        self.ctx = EmulatorContext(state, self.clock, self.faults, feed_processing_seconds)
        self.limiter = RateLimiter(self.clock, enabled=rate_limits)
        self.ctx.limiter = self.limiter
        self._dispatcher = Dispatcher(self.ctx, build_routes(), self.limiter, self._settle_now)
        self._port = port
        self._server: HttpServer | None = None
        self._rng = random.Random(0)
        self._buyers: BuyerSimulation | None = None
        self._buyer_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is None:
            self._server = HttpServer(self._dispatcher, self._port)
            self.ctx.base_url = self._server.base_url
            self._server.start()
            self._stopping.clear()
            self._start_buyer_thread()
        return self.ctx.base_url

    def stop(self) -> None:
        """Stop serving (state stays inspectable)."""
        self._stopping.set()
        if self._buyer_thread is not None:
            self._buyer_thread.join(timeout=5)
            self._buyer_thread = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Where the SP-API and LWA endpoints are; empty until started."""
        return self.ctx.base_url

    @property
    def seller_id(self) -> str:
        return self.ctx.state.seller_id

    @property
    def gzip_documents(self) -> bool:
        """Serve feed results and reports GZIP-compressed (``compressionAlgorithm``)."""
        return self.ctx.gzip_documents

    @gzip_documents.setter
    def gzip_documents(self, value: bool) -> None:
        self.ctx.gzip_documents = value

    # -- inspection --------------------------------------------------------------------------
    def _settle_now(self) -> None:
        feeds.process_due(self.ctx, self.clock.now())

    @property
    def region(self) -> str:
        """NA, EU or FE: the marketplaces this account sells in (from the seed's marketplace)."""
        return self.ctx.state.region

    def quantity(self, sku: str, marketplace_id: str | None = None) -> int | None:
        """Amazon's MFN quantity for ``sku`` (None: unknown SKU or no DEFAULT record).

        One quantity per SKU, shown in every marketplace that lists it; ``marketplace_id``:
        None as well when the SKU is not listed in that marketplace.
        """
        with self.ctx.state.lock:
            self._settle_now()
            state = self.ctx.state
            listing = (
                state.find_listing(sku, [marketplace_id])
                if marketplace_id
                else state.first_listing(sku)
            )
            return listing.quantity if listing else None

    def listed_in(self, sku: str) -> list[str]:
        """The marketplace ids where ``sku`` is listed, in the order it was listed."""
        with self.ctx.state.lock:
            self._settle_now()
            return [ls.marketplace_id for ls in self.ctx.state.listings_of(sku)]

    def handling_days(self, sku: str) -> int | None:
        """``lead_time_to_ship_max_days`` of the DEFAULT record (None once a replace dropped it)."""
        with self.ctx.state.lock:
            self._settle_now()
            listing = self.ctx.state.first_listing(sku)
            return listing.handling_days if listing else None

    def quantity_history(self, sku: str) -> list[tuple[datetime, int, str]]:
        """Every quantity the SKU had: (time, quantity, cause: seed|patch|feed|order|restock)."""
        with self.ctx.state.lock:
            self._settle_now()
            return list(self.ctx.state.history.get(sku, []))

    def orders(self) -> list[OrderState]:
        """A snapshot of the order book (copies), oldest first."""
        with self.ctx.state.lock:
            self._settle_now()
            book = sorted(self.ctx.state.orders.values(), key=lambda o: o.purchase_date)
            return copy.deepcopy(book)

    def order(self, order_id: str) -> OrderState:
        """A copy of one order; KeyError if unknown."""
        with self.ctx.state.lock:
            return copy.deepcopy(self.ctx.state.orders[order_id])

    @property
    def request_log(self) -> list[RequestRecord]:
        """Every request answered so far, in order."""
        return list(self._dispatcher.log)

    def requests_by_operation(self) -> dict[str, int]:
        """How many requests each operation received (throttled ones included)."""
        return dict(Counter(r.operation for r in self._dispatcher.log))

    def throttled_by_operation(self) -> dict[str, int]:
        """How many 429s each operation answered (rate limit or injected storm)."""
        return dict(self._dispatcher.throttled)

    # -- test helpers ------------------------------------------------------------------------
    def add_order(
        self,
        lines: str | Sequence[tuple[str, int]],
        *,
        quantity: int = 1,
        order_id: str | None = None,
        status: str = "Unshipped",
        purchased_at: datetime | None = None,
        fulfillment_channel: str = FulfilmentChannel.MERCHANT,
        decrement: bool = True,
        marketplace: str | None = None,
    ) -> OrderState:
        """Place an order (one SKU or several (sku, qty) lines); return a copy with item ids.

        ``marketplace`` (code or id, default where the first SKU was first listed) must be of
        the account's region: ValueError otherwise.
        """
        marketplace_id = domain_marketplace(marketplace).marketplace_id if marketplace else None
        items = [(lines, quantity)] if isinstance(lines, str) else list(lines)
        with self.ctx.state.lock:
            order = orderbook.place_order(
                self.ctx.state,
                self._rng,
                purchased_at or self.clock.now(),
                items,
                order_id=order_id,
                status=status,
                channel=fulfillment_channel,
                decrement=decrement,
                marketplace_id=marketplace_id,
            )
            return copy.deepcopy(order)

    def set_buyer_cancel_request(self, order_id: str, reason: str = "Changed mind") -> None:
        """The buyer asks to cancel through Amazon (IsBuyerRequestedCancel / requester BUYER)."""
        with self.ctx.state.lock:
            order = self.ctx.state.orders[order_id]
            orderbook.request_buyer_cancel(order, self.clock.now(), reason)

    def set_order_status(self, order_id: str, status: str) -> None:
        """Move an order to ``status`` (v0 ``Shipped`` or v2026 ``SHIPPED`` names)."""
        with self.ctx.state.lock:
            orderbook.set_status(self.ctx.state.orders[order_id], self.clock.now(), status)

    def auto_cancel(self, order_id: str, reason: str = "Order not shipped in time") -> None:
        """Amazon cancels the order itself (cancelledBy AMAZON; counts against the seller)."""
        with self.ctx.state.lock:
            order = self.ctx.state.orders[order_id]
            orderbook.cancel_order(
                self.ctx.state, order, self.clock.now(), "AMAZON", default_reason=reason
            )

    def buyer_cancel(self, order_id: str, reason: str = "Changed mind") -> None:
        """The buyer cancels directly (first 30 minutes): cancelledBy BUYER, units restocked."""
        with self.ctx.state.lock:
            order = self.ctx.state.orders[order_id]
            orderbook.cancel_order(
                self.ctx.state, order, self.clock.now(), "BUYER", default_reason=reason
            )

    def set_quantity(self, sku: str, quantity: int, cause: str = "seller") -> None:
        """Set a SKU's MFN quantity directly (as if edited in Seller Central): one quantity for
        every marketplace that lists it. KeyError for a SKU the account does not list."""
        with self.ctx.state.lock:
            current = self.ctx.state.inventories[sku].quantity or 0
            self.ctx.state.adjust_quantity(sku, quantity - current, self.clock.now(), cause)

    def set_offers(
        self,
        asin: str,
        offers: Sequence[dict[str, Any]],
        *,
        marketplace: str = "JP",
        status: str = "Success",
    ) -> None:
        """A supplier item's offers (the seed's ``offers`` entry format), replacing any."""
        entry = {"asin": asin, "marketplace": marketplace, "status": status, "offers": offers}
        (item,) = parse_offers([entry], "set_offers").items.values()
        with self.ctx.state.lock:
            self.ctx.state.offer_book.put(item)

    def false_zero_offers(self, asins: Sequence[str]) -> None:
        """getItemOffersBatch answers these ASINs with no offers (Amazon's bug, issue 2670)."""
        with self.ctx.state.lock:
            self.ctx.state.offer_book.false_zero = set(asins)

    # -- buyers ------------------------------------------------------------------------------
    def simulate_buyers(self, rate_per_hour: float | dict[str, float], rng_seed: int) -> None:
        """Orders arrive from now on at ``rate_per_hour`` per listing (or per SKU given)."""
        with self.ctx.state.lock:
            self._buyers = BuyerSimulation(
                self.ctx.state, rate_per_hour, rng_seed, self.clock.now()
            )
        self._start_buyer_thread()

    def advance_buyers(self, until: datetime | None = None) -> list[str]:
        """Place the simulated orders that arrive up to ``until`` (default now); their ids."""
        if self._buyers is None:
            return []
        with self.ctx.state.lock:
            return self._buyers.advance(
                until or self.clock.now(), lambda t: feeds.process_due(self.ctx, t)
            )

    @property
    def missed_arrivals(self) -> int:
        """Buyer arrivals that found the listing at 0 (the orders stockguard prevented)."""
        return self._buyers.missed if self._buyers else 0

    def _start_buyer_thread(self) -> None:
        # Only the real clock moves by itself; with a ManualClock the test drives the buyers.
        if (
            self._buyers is None
            or self._server is None
            or self._buyer_thread is not None
            or not isinstance(self.clock, SystemClock)
        ):
            return
        self._buyer_thread = threading.Thread(
            target=self._buyer_loop, name="spapi-emulator-buyers", daemon=True
        )
        self._buyer_thread.start()

    def _buyer_loop(self) -> None:
        while not self._stopping.wait(0.2):
            self.advance_buyers(self.clock.now())
