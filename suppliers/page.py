"""One fetched page as adapters see it: addresses, status, hash, and two views of the body.

``text`` is the body decoded properly (BOM, ``<meta charset>``, UTF-8, then detection); it is
computed only when asked for. ``scan`` is a cheap view for marker searches (block detection,
platform markers, JSON islands such as Rakuten's ``itemInfoSku``): a UTF-8 body decoded as
Latin-1, one character per byte, so substring and regex searches for ASCII markup run over a
compact string instead of a decoded 1–2 MB page with emoji in it (which Python stores at
four bytes a character). Offsets in ``scan`` are byte offsets; ``fragment`` turns a slice of
``scan`` back into properly decoded text. Elements are read from the HTML5 tree (``dom``).
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from stockguard.suppliers.dom import Document

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_ALIASES = {"shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932"}


def declared_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 8 KB (``<meta charset>``), normalised."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    declared = _META_CHARSET.search(body[:8192])
    if declared is None:
        return None
    name = declared.group(1).decode("ascii", errors="ignore").lower()
    return _ALIASES.get(name, name)


def decode(body: bytes, header_charset: str | None = None) -> str:
    """Page bytes as text: BOM, HTTP header charset, ``<meta charset>``, UTF-8, detection."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    name = _ALIASES.get((header_charset or "").lower(), header_charset) or declared_charset(body)
    if name:
        try:
            return body.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        return body.decode(best.encoding if best else "cp932", errors="replace")


def host_of(url: str) -> str:
    """A URL's host name, lower-cased, without ``www.``."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


class Page:
    """A response body with its URL (as asked), final URL (after redirects) and status."""

    def __init__(
        self,
        body: str | bytes,
        url: str,
        *,
        status: int = 200,
        final_url: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.body = body
        self.encoding = encoding  # the charset of the HTTP Content-Type header, if any
        self.url = url
        self.final_url = final_url or url
        self.status = status
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        self.content_hash = hashlib.sha256(raw).hexdigest()
        self.size = len(raw)

    @cached_property
    def text(self) -> str:
        """The whole body, properly decoded."""
        return decode(self.body, self.encoding) if isinstance(self.body, bytes) else self.body

    @cached_property
    def _scan_encoding(self) -> str | None:
        """The real encoding when ``scan`` is a Latin-1 view of UTF-8 bytes, else None."""
        if not isinstance(self.body, bytes):
            return None
        name = (self.encoding or declared_charset(self.body) or "utf-8").lower()
        return "utf-8" if name in ("utf-8", "utf8") else None

    @cached_property
    def scan(self) -> str:
        """A fast view for marker searches (see the module docstring); ``text`` if not UTF-8."""
        if self._scan_encoding is None:
            return self.text
        assert isinstance(self.body, bytes)
        return self.body.decode("latin-1")

    def fragment(self, piece: str) -> str:
        """A slice of ``scan`` as properly decoded text."""
        if self._scan_encoding is None:
            return piece
        return piece.encode("latin-1").decode(self._scan_encoding, errors="replace")

    @cached_property
    def title(self) -> str:
        """The ``<title>`` text, decoded, whitespace collapsed."""
        match = _TITLE.search(self.scan, 0, min(len(self.scan), 400_000))
        return " ".join(self.fragment(match.group(1)).split()) if match else ""

    @cached_property
    def dom(self) -> Document:
        """The page parsed and cleaned to what a buyer sees of this product (``suppliers.dom``)."""
        from stockguard.suppliers.dom import Document  # late: Amazon reads its own uncleaned tree

        return Document(self.text)

    @property
    def host(self) -> str:
        """The final URL's host name, lower-cased, without ``www.``."""
        return host_of(self.final_url)
