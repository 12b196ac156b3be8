"""A Login with Amazon endpoint that never answers is reported as LWA's timeout (issue 11).

It once read "patchListingsItem: no answer", sending the seller to look at the Listings API.
The hung endpoint is a real socket on 127.0.0.1 that accepts connections and says nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from stockguard.core.clock import ManualClock
from stockguard.core.domain import QuantityUpdate
from stockguard.core.errors import AmazonUnavailable
from stockguard.doubles.emulator import Emulator
from tests.amazon.test_gateway import make_gateway, seed_listings

US = "ATVPDKIKX0DER"


@pytest.fixture
def hung_lwa() -> Iterator[str]:
    """A listening socket that is never read: requests to it time out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_a_hung_lwa_endpoint_is_a_token_timeout(hung_lwa: str, clock: ManualClock) -> None:
    with (
        Emulator(seed_listings(), clock=clock) as emu,
        make_gateway(
            emu.base_url, clock, lwa_endpoint=hung_lwa, timeout_seconds=0.2, max_retries=1
        ) as gateway,
        pytest.raises(AmazonUnavailable) as info,
    ):
        gateway.patch_quantity(QuantityUpdate("SKU-01", 0, US))

    message = info.value.message
    assert message.startswith("Login with Amazon: token request timed out before")
    assert "patchListingsItem: no answer" not in message
    assert "lwa_endpoint" in message
    assert emu.requests_by_operation().get("patchListingsItem", 0) == 0
