"""Serving the dashboard with uvicorn: in the foreground (the command) or in a thread.

The listening socket is bound and listening before uvicorn starts, so the port is known at
once (``--port 0`` picks a free one) and a browser that connects early is queued by the
kernel rather than refused: no start-up wait anywhere.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from stockguard.cli.dashboard.app import Dashboard, build_app
from stockguard.cli.dashboard.security import Csrf, check_exposure
from stockguard.core.clock import Clock, SystemClock
from stockguard.core.config import Settings
from stockguard.core.store import open_store


@dataclass(frozen=True)
class Listening:
    """A bound, listening socket and the address a browser opens."""

    sock: socket.socket

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def listen(host: str, port: int) -> Listening:
    """Bind and listen on ``host``:``port`` (0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return Listening(sock)


def _server(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", ws="none", http="h11", access_log=False
    )
    return uvicorn.Server(config)


def make_app(
    settings: Settings, host: str, *, allow_actions: bool, clock: Clock | None = None
) -> Starlette:
    """The app over the configured store; refuses a non-loopback host without a password."""
    password = settings.secrets.dashboard_password
    check_exposure(host, password)
    db = open_store(settings.store.url)
    dashboard = Dashboard(settings, db, clock or SystemClock(), allow_actions, Csrf())
    return build_app(dashboard, password)


def serve_forever(app: Starlette, listening: Listening) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal and shuts down cleanly)."""
    try:
        _server(app).run(sockets=[listening.sock])
    finally:
        listening.sock.close()
        app.state.dashboard.db.dispose()


@contextmanager
def served(app: Starlette, listening: Listening) -> Iterator[str]:
    """Serve from a thread while the block runs; yields the URL."""
    server = _server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listening.sock]}, name="dashboard", daemon=True
    )
    thread.start()
    try:
        yield listening.url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.sock.close()
        app.state.dashboard.db.dispose()
