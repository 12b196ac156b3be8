"""Untrusted source URLs at fetch time: only public addresses, on every redirect hop."""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from stockguard.core.clock import ManualClock
from stockguard.core.domain import Availability, UnknownReason
from stockguard.suppliers.addresses import AddressPolicy, AddressRefused
from stockguard.suppliers.check import check_fetched
from stockguard.suppliers.fetch import Fetcher
from tests.suppliers.test_fetch import LocalServer, send, settings

_NETWORK_EVENTS: list[str] | None = None  # set while a test records socket activity


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _NETWORK_EVENTS is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _NETWORK_EVENTS.append(f"{event} {args[1:]!r}")


sys.addaudithook(_audit)


@pytest.fixture
def network_events() -> Iterator[list[str]]:
    global _NETWORK_EVENTS
    _NETWORK_EVENTS = []
    try:
        yield _NETWORK_EVENTS
    finally:
        _NETWORK_EVENTS = None


@pytest.fixture
def servers() -> Iterator[tuple[LocalServer, LocalServer]]:
    """A shop on 127.0.0.2 that 302-redirects to an internal page on 127.0.0.1."""
    inside, shop = LocalServer(host="127.0.0.1"), LocalServer(host="127.0.0.2")
    inside.routes["/admin"] = lambda r, _: send(r, 200, "在庫あり secret admin".encode())

    def redirect(r: BaseHTTPRequestHandler, _: int) -> None:
        send(r, 302, b"", {"Location": inside.url("/admin")})

    shop.routes["/p"] = redirect
    yield inside, shop
    inside.close()
    shop.close()


def test_a_loopback_page_is_refused_without_the_allow_list(
    servers: tuple[LocalServer, LocalServer],
) -> None:
    inside, shop = servers
    with Fetcher(settings(allow_private=()), ManualClock()) as fetcher:
        result = fetcher.fetch(shop.url("/p"))
    assert result.error is not None
    assert "127.0.0.2 is a loopback address" in result.error
    assert result.attempts == 1  # never retried
    assert result.body == b""
    assert shop.hits == {}
    assert inside.hits == {}


def test_a_redirect_to_loopback_is_refused_at_the_hop(
    servers: tuple[LocalServer, LocalServer],
) -> None:
    inside, shop = servers
    with Fetcher(settings(allow_private=("127.0.0.2",)), ManualClock()) as fetcher:
        result = fetcher.fetch(shop.url("/p"))
    assert result.error is not None
    assert "127.0.0.1 is a loopback address" in result.error
    assert shop.hits == {"/p": 1}
    assert inside.hits == {}  # the internal page was never requested
    observation = check_fetched(result)
    assert observation.availability is Availability.UNKNOWN
    assert observation.reason is UnknownReason.ERROR
    assert "secret" not in observation.evidence
    assert "allow_private" in observation.evidence


def test_the_allow_list_lets_both_hops_through(servers: tuple[LocalServer, LocalServer]) -> None:
    inside, shop = servers
    with Fetcher(settings(allow_private=("127.0.0.0/30",)), ManualClock()) as fetcher:
        result = fetcher.fetch(shop.url("/p"))
    assert result.ok
    assert "secret admin" in result.text
    assert inside.hits == {"/admin": 1}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[::ffff:127.0.0.1]:5432/", "is a loopback address"),
        ("http://0.0.0.0:5432/", "0.0.0.0 is an unspecified address"),
        ("http://2130706433/admin", "127.0.0.1 is a loopback address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://localhost:5432/", "localhost is a loopback name"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://user:pass@shop.example/p", "user:password@"),
        ("http://shop.example:99999/p", "invalid URL"),
    ],
)
def test_internal_addresses_are_refused_without_any_network_traffic(
    url: str, why: str, network_events: list[str]
) -> None:
    with Fetcher(settings(allow_private=()), ManualClock()) as fetcher:
        result = fetcher.fetch(url)
    assert result.error is not None
    assert why in result.error
    assert result.attempts == 1
    assert network_events == []


def test_a_name_that_resolves_inside_is_refused_after_resolution() -> None:
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip("this machine's own name does not resolve")
    policy = AddressPolicy()
    if not any(policy.address_problem(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        pytest.skip("this machine's own name resolves to a public address")
    assert policy.url_problem(f"http://{name}/") is None  # nothing to see without DNS
    with pytest.raises(AddressRefused, match=f"{name.lower()} resolves to"):
        policy.resolve(name, 80)
    assert AddressPolicy.allowing([name]).resolve(name, 80)  # allowed by name
