"""The shape of the gateway's rate-limited, retrying, translating request sender.

The flows in ``orders_fetch`` and ``jobs`` receive it (and the library's client objects) from
the gateway, so they need not import ``sp_api`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Caller(Protocol):
    """Sends ``send()`` as ``operation``: waits for a token, retries, raises core.errors."""

    def __call__(
        self,
        operation: str,
        send: Callable[[], Any],
        subject: str = "",
        *,
        missing_ok: bool = False,
    ) -> Any:
        """The answer; None only when ``missing_ok`` and Amazon said 404."""
        ...


def must(call: Caller, operation: str, send: Callable[[], Any], subject: str = "") -> Any:
    """``call`` for an answer that must exist."""
    answer = call(operation, send, subject)
    if answer is None:  # only missing_ok calls return None; keep the type honest anyway
        raise AssertionError(f"{operation}: no answer")
    return answer
