"""Amazon's failures, as stockguard's exceptions (core.errors), with every secret scrubbed.

The gateway catches python-amazon-sp-api's exceptions and hands their facts (HTTP status,
Amazon's error code and message) to these functions; this module never imports ``sp_api``.

Mapping (issue 2 part 4):
    LWA refused the credentials, 401, 403      -> AmazonAuthError     (not transient)
    429 (with or without an ``errors`` body)   -> AmazonThrottled     (transient)
    5xx, connection error, timeout             -> AmazonUnavailable   (transient)
    any other 4xx                              -> AmazonRejected      (not transient)
"""

from __future__ import annotations

from collections.abc import Iterable

from stockguard.core.errors import (
    AmazonAuthError,
    AmazonError,
    AmazonRejected,
    AmazonThrottled,
    AmazonUnavailable,
    ConfigError,
)

CREDENTIAL_ENV = ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN")
_MIN_SECRET_LENGTH = 4  # shorter "secrets" would redact ordinary words; none are that short
_MAX_DETAIL = 300


class Redactor:
    """Replaces every known secret in a text with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is scrubbed whole.
        self._secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def missing_credentials(
    names: Iterable[str], expected: Iterable[str] = CREDENTIAL_ENV
) -> ConfigError:
    """The ConfigError for absent credentials, naming each environment variable once."""
    missing = list(names)
    present = [name for name in expected if name not in missing]
    note = f" ({', '.join(present)} set; all three are needed)" if present else ""
    return ConfigError(
        f"Amazon credentials missing: set {', '.join(missing)} in the environment{note}"
    )


def for_status(
    status: int | None,
    operation: str,
    *,
    code: str | None = None,
    message: str | None = None,
    subject: str = "",
    redact: Redactor | None = None,
) -> AmazonError:
    """The exception for an SP-API answer with HTTP ``status`` (None: no answer at all)."""
    text = _describe(operation, subject, status, code, message, redact)
    if status is None:
        return AmazonUnavailable(text, code=code)
    if status == 429:
        return AmazonThrottled(text, code=code or "QuotaExceeded")
    if status >= 500:
        return AmazonUnavailable(text, code=code)
    if status in (401, 403):
        return AmazonAuthError(text, code=code)
    return AmazonRejected(text, code=code)


def for_lwa(
    status: int | None, error_code: str | None, message: str | None, redact: Redactor
) -> AmazonError:
    """Login with Amazon refused to give an access token.

    400/401 (invalid_client, invalid_grant...) means the credentials are wrong: not transient.
    429 and 5xx are LWA's own trouble and may pass.
    """
    detail = redact(_clip(message or "")) if message else ""
    code = redact(error_code) if error_code else None
    what = f"Login with Amazon refused the credentials ({status or 'no answer'}"
    what += f" {code})" if code else ")"
    if detail:
        what += f": {detail}"
    hint = "; check " + ", ".join(CREDENTIAL_ENV)
    if status == 429:
        return AmazonThrottled(f"Login with Amazon throttled the token request{hint}", code=code)
    if status is None or status >= 500:
        return AmazonUnavailable(f"Login with Amazon is unavailable ({status}){hint}", code=code)
    return AmazonAuthError(what + hint, code=code)


def for_lwa_no_answer(operation: str, exc: BaseException, redact: Redactor) -> AmazonUnavailable:
    """The access-token request got no answer: Login with Amazon's trouble, not the call's."""
    kind = "timed out" if "Timeout" in type(exc).__name__ else "no answer"
    return AmazonUnavailable(
        f"Login with Amazon: token request {kind} before {operation} could be sent "
        f"({type(exc).__name__}: {redact(_clip(str(exc)))}); check [amazon] lwa_endpoint"
    )


def for_connection(operation: str, exc: BaseException, redact: Redactor) -> AmazonUnavailable:
    """A request that got no answer: refused connection, timeout, dropped socket."""
    kind = type(exc).__name__
    # httpx messages hold the URL at most; redact anyway in case a query carried a token.
    return AmazonUnavailable(
        f"{operation}: no answer from Amazon ({kind}: {redact(_clip(str(exc)))})"
    )


def _describe(
    operation: str,
    subject: str,
    status: int | None,
    code: str | None,
    message: str | None,
    redact: Redactor | None,
) -> str:
    head = f"{operation} {subject}".strip()
    parts = [str(status) if status is not None else "no answer"]
    if code:
        parts.append(code)
    text = f"{head}: {' '.join(parts)}"
    if message:
        text += f": {_clip(message)}"
    return redact(text) if redact else text


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
