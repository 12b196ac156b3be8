"""The HTTP side shared by the local API fakes: a loopback server, rate limits, faults.

A fake is a real ``ThreadingHTTPServer`` on 127.0.0.1 (an ephemeral port unless one is
asked for) served by a daemon thread; a subclass only turns (path, query, headers) into a
``FakeAnswer``. Each request is answered while holding the fake's lock, so its catalogue,
counters and buckets change atomically. Time (rate limits, daily counts) is the injected
clock's, so tests drive it with ``ManualClock`` and never sleep.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

from stockguard.core.clock import Clock, TokenBucket

FAULTS = ("malformed", "wrong-shape", "500", "503")


@dataclass
class FakeAnswer:
    """What the fake sends back."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> FakeAnswer:
    """A JSON answer (UTF-8, Japanese left readable as the real APIs do)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return FakeAnswer(status, body, headers=headers or {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeApiServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up is not the fake's problem


class FakeApiServer:
    """Base of the fakes: start/stop, counters, fault modes, per-key token buckets."""

    label = "fake"

    def __init__(self, clock: Clock, *, calls_per_second: float, burst: int = 1) -> None:
        self.clock = clock
        self.calls_per_second = calls_per_second
        self.burst = burst
        self.statuses: Counter[int] = Counter()  # every answer's status, for tests and benches
        self._buckets: dict[str, TokenBucket] = {}
        self._fault: str | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (once) and return the base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            server = _Server((host, port), _Handler)
            server.fake = self
            self._thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), name=self.label, daemon=True
            )
            self._server = server
            self._thread.start()
        return self.base_url

    @property
    def port(self) -> int:
        """The port listened on (start() first)."""
        if self._server is None:
            raise RuntimeError(f"{self.label} is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: what a client takes as its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def set_fault(self, mode: str | None) -> None:
        """Answer every request with a fault (None: normal again): ``malformed`` (a 200 cut
        short), ``wrong-shape`` (a 200 of another JSON shape), ``500``, ``503``."""
        if mode is not None and mode not in FAULTS:
            raise ValueError(f"unknown fault {mode!r} (known: {', '.join(FAULTS)})")
        with self.lock:
            self._fault = mode

    def within_rate(self, key: str) -> bool:
        """Whether the caller ``key`` (an app id) may make a call now; False means refuse."""
        now = self.clock.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.calls_per_second, self.burst, float(self.burst), now)
            self._buckets[key] = bucket
        return bucket.take(now)

    def handle(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> FakeAnswer:
        """Fault, else the subclass's answer; counted by status."""
        with self.lock:
            fault = self._fault
            answer = self.fault_answer(fault) if fault else self.answer(path, query, headers)
            self.statuses[answer.status] += 1
            return answer

    def fault_answer(self, mode: str) -> FakeAnswer:
        """The answer in a fault mode; subclasses give 5xx their API's own body."""
        if mode == "malformed":
            return FakeAnswer(200, b'{"count": 1, "Items": [{"itemCode": "sho')
        if mode == "wrong-shape":
            return json_answer(200, {"result": "ok", "data": None})
        return json_answer(int(mode), {"error": "system_error"})

    def answer(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> FakeAnswer:
        """The answer to one GET (called with the lock held)."""
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes on a kept-alive connection: with Nagle on, the
    # body waits for the client's delayed ACK (~40 ms a call), which bounded benchmarks.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        path, _, raw_query = self.path.partition("?")
        # A repeated parameter counts once (the first), as most gateways do.
        query = {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.server.fake.handle(path, query, headers)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, *args: object) -> None:
        pass  # requests carry credentials: nothing is printed
