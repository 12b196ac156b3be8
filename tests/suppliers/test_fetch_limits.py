"""Fetcher limits against real servers: retries, Retry-After, timeouts, size caps, politeness."""

from __future__ import annotations

import gzip
import itertools
import socket
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from stockguard.core.clock import ManualClock, SystemClock
from stockguard.suppliers.fetch import Fetcher
from tests.suppliers.test_fetch import LocalServer, fetcher, send, settings


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


def test_transient_503_is_retried_with_backoff(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, hit: send(r, 503 if hit < 3 else 200, b"x")
    clock = ManualClock()
    with fetcher(clock, retries=2, backoff_seconds=1.0) as f:
        result = f.fetch(server.url("/p"))
    assert result.ok
    assert result.status == 200
    assert result.attempts == 3
    assert clock.slept == [1.0, 2.0]


@pytest.mark.parametrize("status", [400, 403, 404, 410, 501])
def test_client_errors_and_501_are_never_retried(server: LocalServer, status: int) -> None:
    server.routes["/p"] = lambda r, _: send(r, status, b"no")
    with fetcher(retries=3) as f:
        result = f.fetch(server.url("/p"))
    assert result.status == status
    assert result.error is not None
    assert result.attempts == 1
    assert server.hits["/p"] == 1


def test_persistent_500_gives_up_after_the_retries(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 500, b"boom")
    with fetcher(retries=2) as f:
        result = f.fetch(server.url("/p"))
    assert result.status == 500
    assert result.error == "HTTP 500 Internal Server Error"
    assert server.hits["/p"] == 3


def test_retry_after_pauses_the_host(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, hit: send(
        r, 429 if hit == 1 else 200, b"x", {"Retry-After": "7"}
    )
    server.routes["/q"] = lambda r, _: send(r, 200, b"y")
    clock = ManualClock()
    server.clock = clock
    with fetcher(clock) as f:
        assert f.fetch(server.url("/p")).ok
        assert f.fetch(server.url("/q")).ok
    starts = [t for _, t in server.starts]
    assert starts[1] - starts[0] >= 7.0  # the retry waited for Retry-After
    assert starts[2] >= starts[0] + 7.0  # and so did the next page of that host


def test_429_without_retry_after_is_not_retried(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 429, b"slow down")
    with fetcher() as f:
        result = f.fetch(server.url("/p"))
    assert result.status == 429
    assert result.attempts == 1


def test_retry_after_beyond_the_limit_gives_up(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 503, b"x", {"Retry-After": "86400"})
    with fetcher(max_retry_after_seconds=60.0) as f:
        result = f.fetch(server.url("/p"))
    assert result.status == 503
    assert result.attempts == 1
    assert result.error


def test_read_timeout_is_transient_and_reported(server: LocalServer) -> None:
    def slow(r: BaseHTTPRequestHandler, _: int) -> None:
        time.sleep(0.6)  # the server is slow on purpose; the client gives up at 0.15 s
        send(r, 200, b"late")

    server.routes["/p"] = slow
    with fetcher(read_timeout=0.15, retries=1) as f:
        result = f.fetch(server.url("/p"))
    assert result.status is None
    assert result.error is not None
    assert result.error.startswith("timeout")
    assert result.attempts == 2


def test_connection_refused_becomes_a_result_not_an_exception() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with fetcher(retries=1) as f:
        result = f.fetch(f"http://127.0.0.1:{port}/p")
    assert result.status is None
    assert result.attempts == 2
    assert result.error is not None
    assert result.error.startswith("connection error")


def test_declared_50mb_page_is_refused_unread(server: LocalServer) -> None:
    def huge(r: BaseHTTPRequestHandler, _: int) -> None:
        r.send_response(200)
        r.send_header("Content-Length", str(50_000_000))
        r.end_headers()
        for _ in range(10):
            r.wfile.write(b"x" * 65536)

    server.routes["/p"] = huge
    with fetcher(max_bytes=1_000_000) as f:
        result = f.fetch(server.url("/p"))
    assert result.error is not None
    assert "exceeds the cap" in result.error
    assert result.body == b""


def test_undeclared_large_body_stops_at_the_cap(server: LocalServer) -> None:
    def chunked(r: BaseHTTPRequestHandler, _: int) -> None:
        r.send_response(200)
        r.send_header("Transfer-Encoding", "chunked")
        r.end_headers()
        block = b"y" * 65536
        for _ in range(200):  # 13 MB if read to the end
            r.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
        r.wfile.write(b"0\r\n\r\n")

    server.routes["/p"] = chunked
    with fetcher(max_bytes=500_000) as f:
        result = f.fetch(server.url("/p"))
    assert result.error is not None
    assert "exceeds the cap" in result.error


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_is_refused(server: LocalServer, encoding: str) -> None:
    raw = b"\0" * 100_000_000
    bomb = gzip.compress(raw, 9) if encoding == "gzip" else zlib.compress(raw, 9)
    assert len(bomb) < 200_000
    server.routes["/p"] = lambda r, _: send(r, 200, bomb, {"Content-Encoding": encoding})
    with fetcher(max_bytes=2_000_000) as f:
        result = f.fetch(server.url("/p"))
    assert result.error is not None
    assert "exceeds the cap" in result.error


def slow_ok(r: BaseHTTPRequestHandler, _: int) -> None:
    time.sleep(0.03)  # the server holds each request open so that requests overlap
    send(r, 200, b"ok")


def test_per_host_in_flight_cap_holds_across_hosts() -> None:
    servers = [LocalServer(host=f"127.0.0.{i}") for i in (1, 2, 3)]
    try:
        for srv in servers:
            srv.routes["/p"] = slow_ok
        urls = [srv.url(f"/p?{n}") for n in range(12) for srv in servers]
        with Fetcher(settings(max_in_flight_per_host=2, workers=16), SystemClock()) as f:
            results = list(f.fetch_many(urls))
        assert len(results) == len(urls)
        assert all(r.ok for r in results)
        assert sorted(r.url for r in results) == sorted(urls)
        assert all(srv.peak_in_flight <= 2 for srv in servers)
        assert max(srv.peak_in_flight for srv in servers) == 2  # the cap was actually reached
    finally:
        for srv in servers:
            srv.close()


def test_min_gap_between_starts_on_one_host(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 200, b"ok")
    urls = [server.url(f"/p?{n}") for n in range(5)]
    with fetcher(ManualClock(), min_gap_seconds=5.0, max_in_flight_per_host=3) as f:
        results = list(f.fetch_many(urls))
        starts = f.gate.recent_starts("127.0.0.1")
    assert len(results) == 5
    assert len(starts) == 5
    assert all(b - a >= 5.0 - 1e-9 for a, b in itertools.pairwise(starts))


def test_fetch_many_retries_and_reports_every_url(server: LocalServer) -> None:
    server.routes["/flaky"] = lambda r, hit: send(r, 503 if hit == 1 else 200, b"ok")
    server.routes["/gone"] = lambda r, _: send(r, 404, b"no")
    urls = [server.url("/flaky"), server.url("/gone"), server.url("/missing-host-path")]
    with fetcher(ManualClock()) as f:
        by_url = {r.url: r for r in f.fetch_many(urls)}
    assert by_url[urls[0]].ok
    assert by_url[urls[0]].attempts == 2
    assert by_url[urls[1]].status == 404
    assert by_url[urls[1]].attempts == 1
    assert by_url[urls[2]].status == 404


def test_abandoning_fetch_many_early_stops_cleanly(server: LocalServer) -> None:
    server.routes["/p"] = lambda r, _: send(r, 200, b"ok")
    with fetcher(ManualClock()) as f:
        stream = f.fetch_many([server.url(f"/p?{n}") for n in range(20)])
        first = next(stream)
        stream.close()
    assert first.ok
    assert server.hits["/p"] < 20 or server.hits["/p"] == 20
