"""Fixtures for the pusher tests: a seeded SP-API emulator and a gateway pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.clock import Clock, ManualClock
from stockguard.core.config import AmazonSettings, Secrets
from stockguard.doubles.emulator import Emulator
from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS, EMULATOR_SELLER_ID

SKUS = [f"SKU-{n:02d}" for n in range(12)]
START_QUANTITY = 5
HANDLING_DAYS = 4


def seed(skus: list[str] = SKUS) -> dict[str, object]:
    return {
        "seller_id": EMULATOR_SELLER_ID,
        "listings": [
            {"sku": sku, "quantity": START_QUANTITY, "handling_days": HANDLING_DAYS} for sku in skus
        ],
    }


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    """An emulator on the test's ManualClock (its rate limits and feeds follow that clock)."""
    with Emulator(seed(), clock=clock, feed_processing_seconds=30.0) as running:
        yield running


GatewayFactory = Callable[..., AbstractContextManager[AmazonGateway]]


@pytest.fixture
def gateway_for(clock: ManualClock) -> GatewayFactory:
    """``with gateway_for(emu, burst=3) as gw``: a real gateway on the same clock."""

    @contextmanager
    def make(
        emu: Emulator,
        *,
        burst: int = 3,
        secrets: Secrets = EMULATOR_SECRETS,
        on: Clock | None = None,
    ) -> Iterator[AmazonGateway]:
        settings = AmazonSettings(
            seller_id=EMULATOR_SELLER_ID,
            endpoint=emu.base_url,
            lwa_endpoint=emu.base_url,
            patch_burst_max=burst,
        )
        gateway = AmazonGateway(settings, secrets, on or clock)
        try:
            yield gateway
        finally:
            gateway.close()

    return make
