"""One HTTP attempt for the fetcher: headers, timeouts, a size-capped streamed read.

Bodies are read compressed and decompressed here, chunk by chunk, with a bound on the output
of each step, so the cap applies to the decompressed size: a small gzip bomb that would
inflate to gigabytes is stopped after ``max_bytes``. Only gzip and deflate are asked for.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from stockguard.core.clock import Clock
from stockguard.core.config import SupplierSettings
from stockguard.suppliers.addresses import AddressRefused

_CHUNK = 64 * 1024
_NO_RETRY_5XX = {501}  # "not implemented" will not heal


class BodyRefused(Exception):
    """The body is too large, too slow or in an encoding we did not ask for."""


@dataclass(frozen=True)
class HttpAttempt:
    """The raw outcome of one attempt; ``transient`` says whether trying again may help."""

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveDict)
    final_url: str | None = None
    error: str | None = None
    transient: bool = False
    retry_after: float | None = None

    @classmethod
    def failed(cls, url: str, error: str, *, transient: bool = False) -> HttpAttempt:
        """An attempt that got no usable HTTP answer."""
        return cls(status=None, final_url=url, error=error, transient=transient)


def request_headers(
    settings: SupplierSettings, etag: str | None, last_modified: str | None
) -> dict[str, str]:
    """What every request says about itself, plus the conditional-GET validators."""
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
        "Accept-Language": "ja,en;q=0.7",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def attempt_once(
    session: requests.Session,
    settings: SupplierSettings,
    clock: Clock,
    url: str,
    headers: dict[str, str],
) -> HttpAttempt:
    """GET ``url`` once; every failure becomes an HttpAttempt with ``error`` set."""
    timeout = (settings.connect_timeout, settings.read_timeout)
    try:
        with session.get(url, headers=headers, timeout=timeout, stream=True) as resp:
            return _answer(resp, settings, clock)
    except AddressRefused as exc:  # never retried: the address will not become public
        return HttpAttempt.failed(url, str(exc))
    except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
        return HttpAttempt.failed(url, f"timeout: {_first_line(exc)}", transient=True)
    except (requests.ConnectionError, urllib3.exceptions.HTTPError, OSError) as exc:
        return HttpAttempt.failed(url, f"connection error: {_first_line(exc)}", transient=True)
    except requests.RequestException as exc:
        return HttpAttempt.failed(url, f"{type(exc).__name__}: {_first_line(exc)}")


def _answer(resp: requests.Response, settings: SupplierSettings, clock: Clock) -> HttpAttempt:
    status, headers, final_url = resp.status_code, resp.headers, resp.url
    if status == 304:
        return HttpAttempt(status, headers=headers, final_url=final_url)
    try:
        body = read_capped(resp, settings.max_bytes, clock, settings.total_timeout)
    except (BodyRefused, zlib.error) as exc:
        return HttpAttempt(status, headers=headers, final_url=final_url, error=f"refused: {exc}")
    if 200 <= status < 300:
        return HttpAttempt(status, body, headers, final_url)
    retry_after = parse_retry_after(headers.get("Retry-After"), clock)
    if status not in (429, 503):
        retry_after = None
    transient = (status >= 500 and status not in _NO_RETRY_5XX) or retry_after is not None
    error = f"HTTP {status} {resp.reason or ''}".strip()
    return HttpAttempt(status, body, headers, final_url, error, transient, retry_after)


def read_capped(
    resp: requests.Response, max_bytes: int, clock: Clock, total_timeout: float
) -> bytes:
    """Read the body, decompressing it ourselves; BodyRefused once it passes ``max_bytes``."""
    declared = resp.headers.get("Content-Length", "")
    encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
    if declared.isdigit() and encoding in ("", "identity") and int(declared) > max_bytes:
        raise BodyRefused(f"a body of {int(declared):,} bytes exceeds the cap of {max_bytes:,}")
    inflater = _inflater(encoding)
    deadline = clock.monotonic() + total_timeout
    parts: list[bytes] = []
    size = 0
    for chunk in resp.raw.stream(_CHUNK, decode_content=False):
        data = chunk if inflater is None else inflater.decompress(chunk, max_bytes - size + 1)
        size += len(data)
        if size > max_bytes or (inflater is not None and inflater.unconsumed_tail):
            raise BodyRefused(f"the (decompressed) body exceeds the cap of {max_bytes:,} bytes")
        if clock.monotonic() > deadline:
            raise BodyRefused(f"the body took longer than {total_timeout:g} s to arrive")
        parts.append(data)
    if inflater is not None:
        tail = inflater.flush()
        if size + len(tail) > max_bytes:
            raise BodyRefused(f"the (decompressed) body exceeds the cap of {max_bytes:,} bytes")
        parts.append(tail)
    return b"".join(parts)


def _inflater(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib- or gzip-wrapped, auto-detected
    raise BodyRefused(f"unsupported Content-Encoding {encoding!r}")


def parse_retry_after(value: str | None, clock: Clock) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - clock.now()).total_seconds(), 0.0)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
