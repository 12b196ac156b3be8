"""Which supplier URLs may be fetched: public addresses only, unless the seller allows more.

A catalogue may come from a partner or a sourcing tool, so a source URL is untrusted: it must
not make stockguard read its own machine or network (``http://127.0.0.1:5432``, the cloud
metadata service at ``169.254.169.254``, a router at ``192.168.0.1``) and store the answer as
evidence. ``AddressPolicy`` refuses loopback, private, link-local, unspecified, multicast,
reserved and other non-global addresses, ``user:pass@`` URLs and invalid ports.

Two moments use it: the catalogue import (``url_problem``: the URL as written, a literal
address or a ``localhost`` name, no DNS) and the fetch (``resolve``: every address a host name
resolves to, on every redirect hop; see suppliers/fetch_guard.py, which connects to the
address checked here so DNS cannot answer differently the second time).

``[suppliers] allow_private`` lists what a seller really sources from inside the network:
addresses (``127.0.0.1``), networks (``10.0.0.0/8``) or host names (``shop.internal``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from stockguard.core.config import SupplierSettings
from stockguard.core.errors import ConfigError

__all__ = ["AddressPolicy", "AddressRefused", "IPAddress"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(Exception):
    """A URL or an address stockguard will not fetch; the message says why."""


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, plus the networks and host names the seller allowed."""

    networks: tuple[_Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> AddressPolicy:
        """A policy from ``allow_private`` entries; ValueError names a bad entry."""
        networks: list[_Network] = []
        hosts: set[str] = set()
        for entry in entries:
            text = entry.strip()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            name = text.lower().rstrip(".")
            if not name or "/" in name or ":" in name or " " in name:
                raise ValueError(
                    f"{entry!r} is neither an address, a network like 10.0.0.0/8 nor a host name"
                )
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def url_problem(self, url: str) -> str | None:
        """Why ``url`` (as written, without DNS) may not be fetched, or None."""
        try:
            parts = urlsplit(url)
            port = parts.port
            host = (parts.hostname or "").rstrip(".")
        except ValueError as exc:
            return f"invalid URL ({exc})"
        if parts.scheme.lower() not in ("http", "https") or not host:
            return "not an http(s) URL with a host"
        if "@" in parts.netloc:
            return "a URL with user:password@ credentials"
        if port == 0:
            return "port 0 is not a port"
        if host in self.hosts:
            return None
        literal = _literal_address(host)
        if literal is not None:
            return self.address_problem(literal)
        if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
            return f"{host} is a loopback name"
        return None

    def address_problem(self, address: IPAddress) -> str | None:
        """Why stockguard will not connect to ``address``, or None."""
        if any(address in network for network in self.networks):
            return None
        kind = _forbidden_kind(address)
        return None if kind is None else f"{address} is {kind} address"

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of ``host`` to connect to; AddressRefused when any is not allowed.

        Every resolved address must pass: a name that resolves to one public and one private
        address could otherwise reach inside on the second try.
        """
        name = host.strip("[]").rstrip(".").lower()
        literal = _literal_address(name)
        if literal is not None:
            found = [literal]
        else:
            try:
                infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise OSError(f"cannot resolve {name}: {exc}") from None
            found = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if name in self.hosts:
            return found
        for address in found:
            problem = self.address_problem(address)
            if problem:
                via = "" if literal is not None else f"{name} resolves to "
                raise AddressRefused(f"refused: {via}{problem} (not in [suppliers] allow_private)")
        return found


def _literal_address(host: str) -> IPAddress | None:
    """The address a host written as an address stands for, including legacy IPv4 forms
    (``2130706433``, ``0x7f.1``, ``127.1``) that resolvers accept."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefx." for c in text) and any(c.isdigit() for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _forbidden_kind(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        ("a private", address.is_private),
        ("a non-public", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def policy_of(settings: SupplierSettings) -> AddressPolicy:
    """What may be fetched: public addresses plus ``[suppliers] allow_private``."""
    try:
        return AddressPolicy.allowing(settings.allow_private)
    except ValueError as exc:
        raise ConfigError(f"[suppliers] allow_private: {exc}") from None
