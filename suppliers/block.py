"""Pages that must never be read as "in stock": blocks, errors, redirects, broken bodies.

Checked before any adapter looks at a buy box. Each finding is an ``UnknownReason`` with the
short evidence that decided it:

- BLOCKED: HTTP 403 / 429 / 503 / 999, a captcha or bot check (Amazon's validateCaptcha and
  "Enter the characters you see below", "Robot Check", ロボットではないことを確認,
  自動アクセスと判断, アクセスが拒否, Cloudflare / Akamai / PerimeterX / DataDome pages), a
  redirect to a sign-in page;
- ERROR: any other HTTP error, an empty body, a truncated body (no ``</html>``);
- NOT_A_PRODUCT_PAGE: a product URL that redirected to a search or top page.

Captcha pages are small: the markers are searched in the whole text of a small page, but in
a large one only in the ``<title>`` and form actions, where a product page's JS tables and
help texts cannot put them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from stockguard.core.domain import UnknownReason
from stockguard.suppliers.page import Page

BLOCKING_STATUS = frozenset({403, 429, 503, 999})
SMALL_PAGE = 300_000
CAPTCHA_MARKERS = (
    "validateCaptcha",
    "Enter the characters you see below",
    "Type the characters you see in this image",
    "Robot Check",
    "ロボットではないことを確認",
    "ロボットではありません",
    "自動アクセスと判断",
    "アクセスが拒否",
    "不正なアクセス",
    "Attention Required! | Cloudflare",
    "cf-browser-verification",
    "cf_chl_opt",
    "Just a moment...",
    "px-captcha",
    "captcha-delivery.com",
    "Access Denied",
    "Request blocked",
    "Pardon Our Interruption",
    "are you a human",
    "Are you a robot",
)
_LOWER_MARKERS = tuple((m, m.lower()) for m in CAPTCHA_MARKERS)
_CAPTCHA_FORM = re.compile(r"<form[^>]+action\s*=\s*[\"'][^\"']*(?:captcha|challenge)", re.I)
_END = re.compile(r"</html\s*>|</body\s*>", re.I)
_SIGN_IN = re.compile(r"/(?:ap/signin|login|signin|sign_in|member/login)\b", re.I)
_SEARCH_PATH = re.compile(r"(?:^|/)(?:s|search|gp/search|searchresult|ksearch|category)(?:/|$)")
_SEARCH_KEYS = frozenset({"k", "q", "keyword", "keywords", "field-keywords", "word", "p"})
_TOP_PATHS = frozenset({"", "/", "/index.html", "/index.php", "/ja", "/ja/", "/en", "/en/"})


def detect(page: Page) -> tuple[UnknownReason, str] | None:
    """The reason a page cannot be read as a product page, with evidence; None if it can."""
    status = page.status
    if status in BLOCKING_STATUS:
        return UnknownReason.BLOCKED, f"HTTP {status}"
    if status >= 400 or status < 100:
        return UnknownReason.ERROR, f"HTTP {status}"
    if page.size == 0 or (page.size < 65_536 and not page.text.strip()):
        return UnknownReason.ERROR, "empty body"
    captcha = captcha_marker(page)
    if captcha:
        return UnknownReason.BLOCKED, f"bot check: {captcha}"
    redirect = redirect_kind(page.url, page.final_url)
    if redirect:
        return redirect
    scan = page.scan
    if _END.search(scan, max(0, len(scan) - 65_536)) is None and _END.search(scan) is None:
        return UnknownReason.ERROR, f"truncated body: no </html> in {page.size} bytes"
    return None


def captcha_marker(page: Page) -> str | None:
    """The captcha / bot-check marker a page carries, or None."""
    for haystack in (page.title, page.text if page.size <= SMALL_PAGE else ""):
        lowered = haystack.lower()  # plain substring tests: a case-blind regex is 20x slower
        for marker, folded in _LOWER_MARKERS:
            if folded in lowered:
                return marker
    return "captcha form" if _CAPTCHA_FORM.search(page.scan) else None


def url_kind(url: str) -> str:
    """``top``, ``search``, ``sign-in`` or ``product`` (anything else) for a URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if _SIGN_IN.search(path):
        return "sign-in"
    keys = set(parse_qs(parts.query).keys())
    if _SEARCH_PATH.search(path.lower()) or (keys & _SEARCH_KEYS and path in _TOP_PATHS):
        return "search"
    if path.lower() in _TOP_PATHS and not parts.query:
        return "top"
    return "product"


def redirect_kind(url: str, final_url: str) -> tuple[UnknownReason, str] | None:
    """A redirect from a product URL to a page of another kind (search, top, sign-in)."""
    if final_url == url:
        return None
    before, after = url_kind(url), url_kind(final_url)
    if before == after or after == "product":
        return None
    if after == "sign-in":
        return UnknownReason.BLOCKED, f"redirected to a sign-in page: {final_url}"
    return UnknownReason.NOT_A_PRODUCT_PAGE, f"redirected to a {after} page: {final_url}"
