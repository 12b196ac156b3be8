"""Who may reach the dashboard, and proof that a form came from it.

* **Exposure**: on a loopback address the dashboard needs no password; on any other it must
  have one (STOCKGUARD_DASHBOARD_PASSWORD), asked for with HTTP basic auth on every request.
* **CSRF**: an action's confirmation page sets a random nonce cookie and puts
  HMAC(secret, nonce) in its form; the POST must carry both, matching, and an ``Origin``
  header, when the browser sends one, naming this dashboard. The secret lives only in the
  process, so a page elsewhere can neither read nor forge the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from stockguard.core.errors import ConfigError

PASSWORD_ENV = "STOCKGUARD_DASHBOARD_PASSWORD"
CSRF_COOKIE = "stockguard_csrf"
CSRF_FIELD = "csrf_token"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, password: str) -> None:
    """Refuse to listen beyond loopback without a password."""
    if not is_loopback(host) and not password:
        raise ConfigError(
            f"dashboard: --host {host} is reachable from other machines; set {PASSWORD_ENV} "
            "(HTTP basic auth) or listen on 127.0.0.1"
        )


class BasicAuth:
    """ASGI middleware: every HTTP request must carry the password (any user name)."""

    def __init__(self, app: ASGIApp, password: str) -> None:
        self.app = app
        self.password = password.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(Request(scope)):
            await self.app(scope, receive, send)
            return
        refusal = PlainTextResponse(
            "password required",
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="stockguard", charset="UTF-8"'},
        )
        await refusal(scope, receive, send)

    def _allowed(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return False
        _user, _, given = decoded.partition(b":")
        return hmac.compare_digest(given, self.password)


class Csrf:
    """Issues and checks the tokens of the action forms."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def new_nonce(self) -> str:
        """A fresh cookie value."""
        return secrets.token_urlsafe(24)

    def token_for(self, nonce: str) -> str:
        """The form value that goes with a cookie value."""
        return hmac.new(self.secret, nonce.encode("utf-8"), hashlib.sha256).hexdigest()

    def refusal(self, request: Request, form_token: str) -> str:
        """Why this POST is not trusted ("" when it is)."""
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
            return f"the form was sent from another site ({origin})"
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not nonce or not form_token:
            return "the form carries no CSRF token; open the confirmation page again"
        if not hmac.compare_digest(self.token_for(nonce), form_token):
            return "the form's CSRF token does not match; open the confirmation page again"
        return ""
