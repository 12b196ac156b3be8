"""The one exception tree of stockguard.

::

    StockguardError                      root; .transient says whether a retry may help
    ├── ConfigError                      bad config file, unknown key, wrong type, missing secret
    ├── InputError                       a user's file (CSV, seed, email) is malformed
    │   └── FileRefused                  refused whole (missing columns, not text): exit 2
    ├── StoreError                       database unreachable, migration failed
    │   └── AlreadyRunning               another `stockguard run` holds this database
    ├── SupplierError                    the supplier side of the world failed
    │   ├── SupplierUnavailable          timeout, connection error, 5xx       (transient)
    │   ├── SupplierBlocked              captcha, bot check, 403/429           (transient)
    │   │   └── ApiQuotaRefused          an item API refused a call for its quota
    │   └── ApiCallFailed                an item API call failed as a whole    (transient)
    ├── AmazonError                      the Selling Partner API failed
    │   ├── AmazonThrottled              429 QuotaExceeded                     (transient)
    │   ├── AmazonUnavailable            5xx, connection error                 (transient)
    │   ├── AmazonAuthError              LWA refused the credentials, 403
    │   └── AmazonRejected               400/404/409...: the request itself is wrong
    └── CancellationError                a cancellation cannot be planned or applied

"The world failed" (transient) is kept apart from "we asked wrongly" (not transient): retries
live in one place per side (the gateway, the fetcher) and look only at ``transient``.
Messages never contain secrets: a URL is shown with ``hide_passwords``.
"""

from __future__ import annotations

import re

# scheme://user:password@ (the password may hold an unescaped "@": up to the last one), and
# libpq's ?password=… query parameter.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*):[^/?#\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<head>[?&]password=)[^&#\s]*")


def hide_passwords(text: str) -> str:
    """``text`` with the password of every URL in it shown as ``***`` (user and host kept)."""
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    return _QUERY_PASSWORD.sub(r"\g<head>***", text)


class StockguardError(Exception):
    """Root of every error stockguard raises on purpose."""

    transient: bool = False

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if transient is not None:
            self.transient = transient


class ConfigError(StockguardError):
    """The configuration (file, environment, command line) is wrong."""


class InputError(StockguardError):
    """A file the user gave us is malformed; the message names the file, line or key."""


class FileRefused(InputError):
    """A file that cannot be used at all (a usage error: exit 2), not one with bad rows."""


class StoreError(StockguardError):
    """The store cannot be opened, migrated or written."""


class AlreadyRunning(StoreError):
    """Another scheduled service (or a sending command) holds this database."""

    def __init__(self, message: str, *, holder: object | None = None) -> None:
        super().__init__(message)
        self.holder = holder  # sync.runlock.Holder when known


class SupplierError(StockguardError):
    """Reading a supplier failed."""


class SupplierUnavailable(SupplierError):
    """Timeout, connection error or server error at the supplier."""

    transient = True


class SupplierBlocked(SupplierError):
    """The supplier answered with a captcha, a bot check or a refusal."""

    transient = True


class AmazonError(StockguardError):
    """The Selling Partner API failed."""

    def __init__(
        self, message: str, *, transient: bool | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, transient=transient)
        self.code = code


class AmazonThrottled(AmazonError):
    """429: the operation's rate limit was exceeded."""

    transient = True


class AmazonUnavailable(AmazonError):
    """5xx or a connection error."""

    transient = True


class AmazonAuthError(AmazonError):
    """Login with Amazon refused the credentials, or the call was forbidden."""


class AmazonRejected(AmazonError):
    """Amazon refused the request itself (400, 404, 409, an INVALID submission)."""


class CancellationError(StockguardError):
    """A cancellation cannot be planned or applied."""


class ApiQuotaRefused(SupplierBlocked):
    """An item API refused a call for its quota (429, or a daily cap spent): nothing was read."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, day_spent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, when the API said (Retry-After)
        self.day_spent = day_spent  # the daily cap: refused until the day ends


class ApiCallFailed(SupplierError):
    """An item API call failed as a whole (network, 5xx, authorisation): nothing was read."""

    transient = True

    def __init__(self, message: str, *, blocked: bool = False) -> None:
        super().__init__(message)
        self.blocked = blocked  # refused for access (401/403) rather than broken
