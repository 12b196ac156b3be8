"""The local demo shop: product pages on 127.0.0.1 whose stock changes over injected time.

One DemoShop can listen on several loopback addresses (127.0.0.1, 127.0.0.2, ...) so that a
fetcher sees several distinct hosts, each with its own politeness budget. Pages support ETag
(304 on If-None-Match), an optional added latency (real time: it imitates the network, not
the shop's clock), and per-host fault modes: ``503`` / ``429`` (with Retry-After), ``403``,
and ``captcha`` (a 200 bot-check page, the dangerous kind).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from stockguard.core.clock import Clock
from stockguard.doubles.demoshop.model import DemoProduct, StockBook, StockChange
from stockguard.doubles.demoshop.pages import PATHS, PageState, captcha_page, render

FAULTS = ("503", "429", "403", "captcha")


@dataclass
class HostStats:
    """What one host served: for benchmarks and politeness checks."""

    requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    starts: list[float] = field(default_factory=list)  # time.monotonic() of each request

    @property
    def min_gap(self) -> float | None:
        """Smallest time between two request arrivals (None with fewer than two)."""
        ordered = sorted(self.starts)
        gaps = [b - a for a, b in itertools.pairwise(ordered)]
        return min(gaps) if gaps else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    shop: DemoShop

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up is not the shop's problem


class DemoShop:
    """A local shop serving ``products``; use as a context manager or call ``close()``."""

    def __init__(
        self, products: list[DemoProduct], clock: Clock, latency_s: float = 0.0, seed: int = 0
    ) -> None:
        self.products = {p.product_id: p for p in products}
        if len(self.products) != len(products):
            raise ValueError("duplicate product_id in the demo shop")
        self.book = StockBook(self.products, clock, seed)
        self.latency_s = latency_s
        self._paths = {PATHS[p.style].format(id=p.product_id): p.product_id for p in products}
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._faults: dict[str, tuple[str, int | None]] = {}
        self._stats: dict[str, HostStats] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> DemoShop:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self, host: str = "127.0.0.1") -> str:
        """Listen on ``host`` (an ephemeral port; the first one reused when free)."""
        with self._lock:
            if host not in self._servers:
                self._servers[host] = self._listen(host)
                self._stats[host] = HostStats()
            port = self._servers[host].server_address[1]
        return f"http://{host}:{port}"

    def _listen(self, host: str) -> _Server:
        reuse = [s.server_address[1] for s in self._servers.values()][:1]
        try:  # the same port on every loopback address reads well in the demo's output
            server = _Server((host, reuse[0] if reuse else 0), _Handler)
        except OSError:
            server = _Server((host, 0), _Handler)
        server.shop = self
        # A short poll interval makes close() quick (shutdown waits for the next poll).
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"demoshop-{host}", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return server

    def close(self) -> None:
        """Stop every listener."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def url_for(self, product_id: str) -> str:
        """The page URL of a product (starts its host if needed)."""
        product = self.products[product_id]
        return self.start(product.host) + PATHS[product.style].format(id=product_id)

    def set_stock(self, product_id: str, in_stock: bool, quantity: int | None = None) -> None:
        """Change a product's stock now."""
        self.book.set(product_id, in_stock, quantity)

    def stock(self, product_id: str) -> tuple[bool, int | None]:
        """A product's stock right now."""
        in_stock, quantity, _ = self.book.state(product_id)
        return in_stock, quantity

    def stock_history(self) -> list[StockChange]:
        """Every stock change so far (including the starting state), oldest first."""
        return self.book.changes()

    def set_fault(self, host: str, mode: str | None, retry_after: int | None = None) -> None:
        """Make ``host`` answer every request with a fault (None: back to normal)."""
        if mode is not None and mode not in FAULTS:
            raise ValueError(f"unknown fault {mode!r} (known: {', '.join(FAULTS)})")
        with self._lock:
            if mode is None:
                self._faults.pop(host, None)
            else:
                self._faults[host] = (mode, retry_after)

    def stats(self) -> dict[str, HostStats]:
        """Per-host request counts, peak concurrency and arrival times."""
        with self._lock:
            return dict(self._stats)

    def answer(self, host: str, path: str, etag: str | None) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a request; the HTTP handler only writes it out."""
        with self._lock:
            fault = self._faults.get(host)
        pid = self._paths.get(path.split("?", 1)[0])
        product = self.products.get(pid) if pid else None
        if fault is not None:
            return _fault(fault, product.style if product else "generic")
        if product is None:
            return (
                404,
                {"Content-Type": "text/html; charset=utf-8"},
                "<h1>商品が見つかりません</h1>".encode(),
            )
        in_stock, quantity, changed = self.book.state(product.product_id)
        body = render(PageState(product, in_stock, quantity)).encode(product.charset, "replace")
        tag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {
            "Content-Type": f"text/html; charset={product.charset}",
            "ETag": tag,
            "Last-Modified": changed.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        if etag == tag:
            return 304, {"ETag": tag}, b""
        return 200, headers, body

    def _enter(self, host: str) -> None:
        with self._lock:
            stats = self._stats.setdefault(host, HostStats())
            stats.requests += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
            stats.starts.append(time.monotonic())

    def _leave(self, host: str) -> None:
        with self._lock:
            self._stats[host].in_flight -= 1


def _fault(fault: tuple[str, int | None], style: str) -> tuple[int, dict[str, str], bytes]:
    mode, retry_after = fault
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if mode == "captcha":
        return 200, headers, captcha_page(style).encode()
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    texts = {
        "503": "Service Unavailable",
        "429": "Too Many Requests",
        "403": "アクセスが拒否されました",
    }
    return int(mode), headers, f"<h1>{texts[mode]}</h1>".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        shop = self.server.shop
        host = str(self.server.server_address[0])
        shop._enter(host)
        try:
            if shop.latency_s > 0:
                time.sleep(shop.latency_s)  # imitates the network: real time on purpose
            status, headers, body = shop.answer(host, self.path, self.headers.get("If-None-Match"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            shop._leave(host)

    def log_message(self, *args: object) -> None:
        pass
