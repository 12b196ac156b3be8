"""What an item API's ``read`` may raise instead of answering: the call was refused or failed.

Anything else is answered per code (``Verdict``); these two mean nothing was read at all, and
the checker turns every code of the batch into UNKNOWN with the message (never a secret):
``ApiQuotaRefused`` (429, or ``day_spent`` for a daily cap; the API is backed off) and
``ApiCallFailed`` (network, 5xx, authorisation). They live in ``sync.errors`` so that the
transports in ``sync.amazon`` can raise them too.
"""

from __future__ import annotations

from stockguard.sync.errors import ApiCallFailed, ApiQuotaRefused

__all__ = ["ApiCallFailed", "ApiQuotaRefused"]
