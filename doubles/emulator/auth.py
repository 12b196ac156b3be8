"""Login with Amazon: the refresh-token grant, and checking ``x-amz-access-token``.

Only the emulator's own credentials (credentials.py) are accepted. Access tokens live 3600 s
of *real* time: python-amazon-sp-api caches them on the real clock, so tying their expiry to
an injected ManualClock would make every simulated hour log the client out. Tokens are signed
with a per-process key rather than remembered, because that client's token cache is global:
a token one emulator issued is presented to the next emulator a test starts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from stockguard.doubles.emulator.credentials import EMULATOR_SECRETS
from stockguard.doubles.emulator.wire import Request, Response

TOKEN_SECONDS = 3600
_KEY = secrets.token_bytes(32)


def _sign(expires: int) -> str:
    return hmac.new(_KEY, str(expires).encode(), hashlib.sha256).hexdigest()


class TokenIssuer:
    """Issues ``Atza|...`` access tokens and recognises them."""

    def token_endpoint(self, req: Request) -> Response:
        """POST /auth/o2/token with a form body, answered like LWA."""
        try:
            form = req.form()
        except UnicodeDecodeError:
            form = {}
        grant = form.get("grant_type")
        if grant != "refresh_token":
            return _lwa_error(
                "unsupported_grant_type", "The authorization grant type is not supported."
            )
        if (
            form.get("client_id") != EMULATOR_SECRETS.lwa_client_id
            or form.get("client_secret") != EMULATOR_SECRETS.lwa_client_secret
        ):
            # LWA answers a wrong client id or secret 401, a bad grant 400 (RFC 6749 5.2).
            return _lwa_error("invalid_client", "Client authentication failed", 401)
        if form.get("refresh_token") != EMULATOR_SECRETS.refresh_token:
            return _lwa_error(
                "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        expires = int(time.time()) + TOKEN_SECONDS
        token = f"Atza|{expires}.{_sign(expires)}"
        return Response(
            200,
            {
                "access_token": token,
                "refresh_token": EMULATOR_SECRETS.refresh_token,
                "token_type": "bearer",
                "expires_in": TOKEN_SECONDS,
            },
        )

    def check(self, token: str | None) -> str | None:
        """None when the token is valid; otherwise the reason, for the 403 details."""
        if not token:
            return "Missing x-amz-access-token header."
        stamp, _, signature = token.removeprefix("Atza|").partition(".")
        if not stamp.isdigit() or not hmac.compare_digest(signature, _sign(int(stamp))):
            return "The access token you provided is revoked, malformed or invalid."
        if time.time() >= int(stamp):
            return "The access token you provided has expired."
        return None


def _lwa_error(code: str, description: str, status: int = 400) -> Response:
    return Response(status, {"error": code, "error_description": description})
