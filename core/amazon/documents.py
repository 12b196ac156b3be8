"""Feed and report documents on their presigned URLs (no SP-API auth, no ``sp_api``).

Uploads send *bytes* with exactly the Content-Type given to createFeedDocument (Amazon's S3
signature covers it); downloads are gunzipped when the document says ``GZIP``. Failures are
stockguard's exceptions: 5xx and connection errors are transient, the rest is not.
"""

from __future__ import annotations

import gzip
import zlib

import httpx

from stockguard.core.errors import AmazonError, AmazonRejected, AmazonUnavailable

MAX_DOCUMENT_BYTES = 200_000_000  # a processing report for 25,000 messages is far smaller


class DocumentClient:
    """One pooled HTTP client for presigned document URLs."""

    def __init__(self, timeout: float) -> None:
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def upload(self, url: str, data: bytes, content_type: str, what: str) -> None:
        """PUT ``data`` to a presigned URL."""
        if not isinstance(data, bytes):
            raise TypeError("feed documents are uploaded as bytes, never str")
        try:
            answer = self._http.put(url, content=data, headers={"Content-Type": content_type})
        except httpx.TransportError as exc:
            raise AmazonUnavailable(f"{what}: upload failed ({type(exc).__name__})") from None
        _check(answer, f"{what}: upload")

    def download(self, url: str, compression: str | None, what: str) -> bytes:
        """GET a presigned URL; gunzip when ``compression`` is GZIP."""
        try:
            answer = self._http.get(url)
        except httpx.TransportError as exc:
            raise AmazonUnavailable(f"{what}: download failed ({type(exc).__name__})") from None
        _check(answer, f"{what}: download")
        body = answer.content
        if len(body) > MAX_DOCUMENT_BYTES:
            raise AmazonError(f"{what}: document larger than {MAX_DOCUMENT_BYTES} bytes")
        if compression and compression.upper() == "GZIP":
            return _gunzip(body, what)
        return body


def _gunzip(body: bytes, what: str) -> bytes:
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error):
        raise AmazonError(f"{what}: document says GZIP but does not decompress") from None


def _check(answer: httpx.Response, what: str) -> None:
    status = answer.status_code
    if 200 <= status < 300:
        return
    # S3 answers XML; keep the first bytes only, they hold the error code.
    detail = " ".join(answer.text[:200].split())
    if status >= 500 or status == 429:
        raise AmazonUnavailable(f"{what}: HTTP {status} {detail}")
    raise AmazonRejected(f"{what}: HTTP {status} {detail}")
