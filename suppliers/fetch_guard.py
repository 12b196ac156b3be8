"""The fetcher's transport: every hop checked, every connection pinned to a checked address.

``GuardedAdapter`` is a requests transport adapter. requests calls ``send`` once per request
*and once per redirect hop*, so the URL check (``AddressPolicy.url_problem``) runs on every
Location a server sends. The connection itself is made by ``_GuardedConnection._new_conn``,
which resolves the host once, refuses the lot when any address is not allowed, and connects
to those same addresses: the HTTP client never resolves the name a second time, so a DNS
answer that changes between the check and the connection (rebinding) cannot reach inside.
TLS still verifies the certificate against the host name, since only the socket is pinned.

Through an HTTP(S) proxy (``HTTPS_PROXY`` in the environment) the proxy makes the connection,
so the target can only be resolved and checked here, not pinned; that window is documented
in docs/fetch-and-feeds.md.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from stockguard.suppliers.addresses import AddressPolicy, AddressRefused

__all__ = ["GuardedAdapter", "refusal"]


def refusal(problem: str) -> str:
    """The fetch error for a URL or address the policy refuses."""
    return f"refused: {problem} (not in [suppliers] allow_private)"


class _GuardedConnection(HTTPConnection):
    """An HTTP connection that connects only to addresses its policy allows."""

    policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        addresses = self.policy.resolve(self._dns_host, self.port)
        last: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection(
                    (str(address), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                last = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    """The same for HTTPS: the socket is pinned, the certificate checked against the name."""


class GuardedAdapter(HTTPAdapter):
    """A requests adapter that refuses what ``policy`` refuses, hop by hop."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        attributes = {"policy": self.policy}
        plain = type("PinnedHTTPConnection", (_GuardedConnection,), attributes)
        secure = type("PinnedHTTPSConnection", (_GuardedHTTPSConnection,), attributes)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}),
        }

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        url = request.url or ""
        problem = self.policy.url_problem(url)
        if problem:
            raise AddressRefused(refusal(problem))
        if proxies and select_proxy(url, dict(proxies)):
            # The proxy connects, not us: check what the name resolves to now (no pinning).
            parts = urlsplit(url)
            self.policy.resolve(parts.hostname or "", parts.port or 443)
        return super().send(request, stream, timeout, verify, cert, proxies)
