"""Fetcher against real HTTP servers on 127.0.0.1: decoding, retries, caps, conditional GET."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stockguard.core.clock import Clock, ManualClock
from stockguard.core.config import SupplierSettings
from stockguard.suppliers.fetch import Fetcher


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up on purpose (size caps, timeouts) are not errors here."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


Handler = Callable[[BaseHTTPRequestHandler, int], None]  # (request, hit number of this path)


@dataclass
class LocalServer:
    """A real HTTP server in a thread; routes are functions that write the answer."""

    host: str = "127.0.0.1"
    routes: dict[str, Handler] = field(default_factory=dict)
    clock: Clock | None = None
    hits: dict[str, int] = field(default_factory=dict)
    starts: list[tuple[str, float]] = field(default_factory=list)  # (path, clock time)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        owner = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with owner._lock:
                    owner.in_flight += 1
                    owner.peak_in_flight = max(owner.peak_in_flight, owner.in_flight)
                    hit = owner.hits.get(path, 0) + 1
                    owner.hits[path] = hit
                    now = owner.clock.monotonic() if owner.clock else time.monotonic()
                    owner.starts.append((path, now))
                    owner.headers_seen.append(dict(self.headers.items()))
                try:
                    route = owner.routes.get(path)
                    if route is None:
                        send(self, 404, b"not found")
                    else:
                        route(self, hit)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading on purpose (size cap)
                finally:
                    with owner._lock:
                        owner.in_flight -= 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer((self.host, 0), _H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    req.send_response(status)
    for key, value in (headers or {}).items():
        req.send_header(key, value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def html_pages(pages: Mapping[str, tuple[int, bytes]]) -> dict[str, Handler]:
    """Routes answering each path with its status and HTML body."""
    html = {"Content-Type": "text/html; charset=utf-8"}

    def route(status: int, body: bytes) -> Handler:
        return lambda req, _hit: send(req, status, body, html)

    return {path: route(status, body) for path, (status, body) in pages.items()}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


def settings(**overrides: object) -> SupplierSettings:
    base: dict[str, object] = {
        "min_gap_seconds": 0.0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "backoff_seconds": 1.0,
        "retries": 2,
        "max_bytes": 1_000_000,
        "allow_private": ("127.0.0.0/8",),  # the test servers listen on loopback
    }
    base.update(overrides)
    return SupplierSettings(**base)  # type: ignore[arg-type]


def fetcher(clock: Clock | None = None, **overrides: object) -> Fetcher:
    return Fetcher(settings(**overrides), clock or ManualClock())


JP = "現在在庫切れです。①㈱髙橋 在庫あり カートに入れる " * 20


def test_header_charset_shift_jis_is_decoded_as_cp932(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(
        r, 200, JP.encode("cp932"), {"Content-Type": "text/html; charset=Shift_JIS"}
    )
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert result.ok
    assert result.encoding == "cp932"
    assert "①㈱髙橋" in result.text


def test_meta_charset_euc_jp(server: LocalServer) -> None:
    page = f'<html><head><meta charset="EUC-JP"></head><body>{JP[:20]}</body></html>'
    server.routes["/p"] = lambda r, _: send(
        r, 200, page.encode("euc_jp", "replace"), {"Content-Type": "text/html"}
    )
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert result.encoding == "euc_jp"
    assert "現在在庫切れです" in result.text


def test_meta_http_equiv_shift_jis(server: LocalServer) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        f"</head><body>{JP}</body></html>"
    )
    server.routes["/p"] = lambda r, _: send(r, 200, page.encode("cp932"))
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert result.encoding == "cp932"
    assert "在庫あり" in result.text


def test_unlabelled_euc_jp_is_detected(server: LocalServer) -> None:
    text = "<html><body><p>" + "この商品は現在お取り扱いできません。入荷時期は未定です。" * 30
    server.routes["/p"] = lambda r, _: send(r, 200, text.encode("euc_jp"))
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert "お取り扱いできません" in result.text


def test_user_agent_and_compression_are_announced(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 200, b"ok")
    with fetcher() as f:
        f.fetch(server.url("/p"))
    seen = server.headers_seen[0]
    assert seen["User-Agent"].startswith("stockguard/")
    assert seen["Accept-Encoding"] == "gzip, deflate"


def test_gzip_body_is_decompressed(server: LocalServer) -> None:
    body = gzip.compress("<p>在庫あり</p>".encode())
    server.routes["/p"] = lambda r, _: send(
        r, 200, body, {"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"}
    )
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert result.text == "<p>在庫あり</p>"


def test_conditional_get_answers_not_modified(server: LocalServer) -> None:
    def route(r: BaseHTTPRequestHandler, _: int) -> None:
        if r.headers.get("If-None-Match") == '"v1"':
            r.send_response(304)
            r.send_header("ETag", '"v1"')
            r.end_headers()
            return
        send(r, 200, b"page", {"ETag": '"v1"', "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"})

    server.routes["/p"] = route
    with fetcher() as f:
        first = f.fetch(server.url("/p"))
        second = f.fetch(server.url("/p"), etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200
    assert not first.not_modified
    assert second.status == 304
    assert second.not_modified
    assert second.ok
    assert second.body == b""
    assert server.headers_seen[1]["If-Modified-Since"] == "Thu, 01 Jan 2026 00:00:00 GMT"
