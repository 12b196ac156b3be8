"""Requests and answers as the handlers see them, and Amazon's error bodies.

Handlers are plain functions ``(ctx, request) -> Response`` so they can be read without the
HTTP plumbing; server.py does the socket work, authentication and rate limiting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    """One incoming call: method, decoded path parameters, query and raw body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def arg_list(self, name: str) -> list[str]:
        """A list parameter, accepting both repeated keys and comma-separated values."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Response:
    """An answer: status, a JSON-able body (or raw bytes) and extra headers."""

    status: int
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        """The bytes sent on the wire."""
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode("utf-8")


def ok(body: Any, status: int = 200) -> Response:
    """A JSON answer."""
    return Response(status, body)


def error(status: int, code: str, message: str, details: str = "") -> Response:
    """Amazon's ErrorList body: ``{"errors":[{"code","message","details"}]}``."""
    return Response(status, {"errors": [{"code": code, "message": message, "details": details}]})


def invalid_input(details: str = "") -> Response:
    """400 InvalidInput, the answer to a body that does not match the model."""
    return error(
        400,
        "InvalidInput",
        "Request has missing or invalid parameters and cannot be parsed.",
        details,
    )


def not_found(message: str) -> Response:
    """404 NOT_FOUND, as getListingsItem answers for an unknown SKU."""
    return error(404, "NOT_FOUND", message)


QUOTA_EXCEEDED = ("QuotaExceeded", "You exceeded your quota for the requested resource.")
UNAUTHORIZED = ("Unauthorized", "Access to requested resource is denied.")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, as SP-API writes timestamps."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp from a query; naive times are taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
