"""The HTTP side: routing, authentication, faults, rate limits and the request log.

A stdlib ``ThreadingHTTPServer`` on 127.0.0.1 and an ephemeral port, served by a daemon
thread. Nothing here reads the Host header: python-amazon-sp-api sends a wrong one over http.
Every request is handled while holding the state lock, so each is applied atomically.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from stockguard.doubles.emulator.auth import TokenIssuer
from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.ratelimit import RateLimiter
from stockguard.doubles.emulator.wire import (
    QUOTA_EXCEEDED,
    UNAUTHORIZED,
    Request,
    Response,
    error,
)

Handler = Callable[[EmulatorContext, Request], Response]
# Operations that are not SP-API calls: no access token, no usage plan.
OPEN_OPERATIONS = ("lwaToken", "uploadDocument", "downloadDocument")
_FAILURE_CODES = {500: "InternalFailure", 503: "ServiceUnavailable", 504: "GatewayTimeout"}


@dataclass(frozen=True)
class Route:
    """An operation: HTTP method, a path pattern with named groups, and its handler."""

    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler


def route(method: str, template: str, operation: str, handler: Handler) -> Route:
    """``/items/{sellerId}/{sku}`` -> a regex matching one encoded path segment per name."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), operation, handler)


@dataclass
class RequestRecord:
    """One request as the emulator saw and answered it (secrets are not kept)."""

    at: datetime
    operation: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON, text for XML documents, None for the LWA form
    status: int
    response: Any  # parsed JSON, or the raw bytes of a document
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Dispatcher:
    """Turns a raw request into a Response, enforcing auth, faults and rate limits."""

    def __init__(
        self,
        ctx: EmulatorContext,
        routes: list[Route],
        limiter: RateLimiter,
        before: Callable[[], None],
    ) -> None:
        self.ctx = ctx
        self.routes = routes
        self.limiter = limiter
        self.tokens = TokenIssuer()
        self.before = before
        self.log: list[RequestRecord] = []
        self.throttled: dict[str, int] = {}
        self._log_lock = threading.Lock()

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        path, _, qs = raw_path.partition("?")
        req = Request(method, path, parse_qs(qs, keep_blank_values=True), headers, body)
        found = self._match(method, path, req)
        if found is None:
            response = error(404, "NotFound", "Resource not found.", f"{method} {path}")
            self._record("unknown", req, response)
            return response
        response = self._answer(found, req)
        limit = self.limiter.limit(found.operation)
        if limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = str(limit)
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        self._record(found.operation, req, response)
        return response

    def _match(self, method: str, path: str, req: Request) -> Route | None:
        for candidate in self.routes:
            hit = candidate.pattern.match(path)
            if hit and candidate.method == method:
                req.params = {k: unquote(v) for k, v in hit.groupdict().items()}
                return candidate
        return None

    def _answer(self, found: Route, req: Request) -> Response:
        op = found.operation
        if op == "lwaToken":
            return self.tokens.token_endpoint(req)
        if op not in OPEN_OPERATIONS:
            reason = self.tokens.check(req.headers.get("x-amz-access-token"))
            if reason:
                return error(403, *UNAUTHORIZED, reason)
            if self.ctx.faults.take_throttle(op) or not self.limiter.allow(op):
                with self._log_lock:
                    self.throttled[op] = self.throttled.get(op, 0) + 1
                return error(429, *QUOTA_EXCEEDED)
        status = self.ctx.faults.take_failure(op)
        if status is not None:
            code = _FAILURE_CODES.get(status, "InternalFailure")
            return error(status, code, "We encountered an internal error. Please try again.")
        with self.ctx.state.lock:
            self.before()
            return found.handler(self.ctx, req)

    def _record(self, operation: str, req: Request, response: Response) -> None:
        content_type = req.headers.get("content-type", "")
        record = RequestRecord(
            at=self.ctx.clock.now(),
            operation=operation,
            method=req.method,
            path=req.path,
            query=req.query,
            body=_logged_body(operation, content_type, req.body),
            status=response.status,
            response=response.body if response.raw is None else response.raw,
            content_type=content_type,
            headers=dict(response.headers),
        )
        with self._log_lock:
            self.log.append(record)


def _logged_body(operation: str, content_type: str, body: bytes) -> Any:
    if operation == "lwaToken" or not body:
        return None  # the LWA form holds the client secret and the refresh token
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _make_handler(dispatcher: Dispatcher) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the
        # client's delayed ACK would add ~40 ms to every keep-alive request.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = dispatcher.dispatch(self.command, self.path, headers, body)
            payload = response.payload()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is the record."""

    return _Handler


class HttpServer:
    """The listening socket and its serving thread."""

    def __init__(self, dispatcher: Dispatcher, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(dispatcher))
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the loop to notice, and tests stop often.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="spapi-emulator", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
