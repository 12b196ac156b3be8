"""Raw HTTP answers, read where python-amazon-sp-api reads them wrong (pure; no ``sp_api``).

The gateway's client mixin and its Login with Amazon client call these: the library sends a
Host header that is wrong for ``http://`` endpoints, parses an error status without an
``errors`` body (a bare 429) as an empty success, and fails on a body that is not JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx


class BareHttpError(Exception):
    """An error status whose body has no ``errors`` list (the library would return it as OK)."""

    def __init__(self, status: int, headers: Any) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


def host_header(endpoint: str) -> str:
    """The Host header for requests to ``endpoint`` (the library sends ``endpoint[8:]``)."""
    return urlsplit(endpoint).netloc


def raise_bare_error(res: httpx.Response) -> None:
    """Raise ``BareHttpError`` for an error status without an ``errors`` body, whatever it says."""
    if res.status_code >= 400 and not json_object(res).get("errors"):
        raise BareHttpError(res.status_code, res.headers)


def json_object(res: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object; {} when it is none (LWA behind a failing proxy answers HTML)."""
    try:
        body = res.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_text(errors: Any) -> str | None:
    """The first error's ``message``, with its ``details`` when Amazon gave them.

    Details carry what the message leaves out: "Invalid input" says nothing, its details
    name the SKU; a 403 for a marketplace of another region says so only in its details.
    """
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return None
    message, details = first.get("message"), first.get("details")
    if message and details and details != message:
        return f"{message} ({details})"
    return str(message or details) if message or details else None
