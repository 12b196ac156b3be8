"""What the Rakuten and Yahoo clients share: reading an HTTP answer safely, and pauses.

An API answer is untrusted input: it may be cut short, not JSON, or JSON of another shape;
its error text may echo our request (and so our credentials). ``json_body`` never raises,
``error_text`` finds the message in any of the error shapes these APIs use, and ``Redactor``
scrubs every credential from text before it can reach evidence or a log.

A ``Pause`` remembers, on the injected clock, that an API refused us until some moment (a
daily limit, a Retry-After): the client answers UNKNOWN without calling until then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from stockguard.core.domain import Money

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time
_XML_MESSAGE = re.compile(r"<Message>([^<]{0,300})</Message>")
_MIN_SECRET_LENGTH = 4  # shorter "secrets" would scrub ordinary words


class Redactor:
    """Replaces every known credential in a text with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is scrubbed whole.
        wanted = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
        self._secrets = sorted(wanted, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def json_body(response: httpx.Response) -> Any | None:
    """The parsed JSON body, or None when it is empty, cut short or not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def error_text(response: httpx.Response, body: Any | None) -> str:
    """The API's own words for an error, from any of the shapes seen in the wild:
    ``{"error", "error_description"}``, ``{"errors": {"errorCode", "errorMessage"}}``,
    ``{"Error": {"Message"}}`` and ``<Error><Message>…</Message></Error>``."""
    if isinstance(body, dict):
        for key, detail in (
            ("error_description", None),
            ("errors", "errorMessage"),
            ("Error", "Message"),
            ("error", None),
        ):
            value = body.get(key)
            if detail is not None and isinstance(value, dict):
                value = value.get(detail)
            if isinstance(value, str | int) and str(value):
                return str(value)[:300]
    found = _XML_MESSAGE.search(response.text[:4000])
    if found:
        return found.group(1)
    return response.reason_phrase or "no message"


def yen(value: object) -> Money | None:
    """A JPY amount from an int or a numeric string (prices became strings in 2026)."""
    if isinstance(value, dict):  # Yahoo V1: {"_value": "1980"}
        value = value.get("_value")
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return Money(amount, "JPY")


def retry_after_seconds(response: httpx.Response, default: float) -> float:
    """Seconds from a numeric Retry-After header, else ``default``."""
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return default
    return seconds if 0 <= seconds <= 86400 else default


def next_midnight_jst(now: datetime) -> datetime:
    """The next 00:00 in Japan: when a Yahoo daily count starts again."""
    local = now.astimezone(JST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return midnight.astimezone(now.tzinfo)


class Pause:
    """A refusal remembered until a moment on the injected clock."""

    def __init__(self) -> None:
        self.until: datetime | None = None
        self.why = ""

    def active(self, now: datetime) -> bool:
        """True while paused; a pause that has run out is forgotten."""
        if self.until is not None and now >= self.until:
            self.until, self.why = None, ""
        return self.until is not None

    def start(self, until: datetime, why: str) -> bool:
        """Pause until ``until``; True when this starts a new pause (report it then only)."""
        fresh = self.until is None
        if self.until is None or until > self.until:
            self.until, self.why = until, why
        return fresh
