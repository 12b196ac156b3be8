"""The seller account's lock: one holder decides and pushes for an account, cluster-wide.

A PostgreSQL session advisory lock keyed by the account, held on a connection of its own for
as long as the dispatcher runs. The database frees it when that connection ends, so a
dispatcher killed with -9 leaves nothing to clean up; a second dispatcher for the same
account is refused with the reason.
"""

from __future__ import annotations

import hashlib

import psycopg

from stockguard.core.errors import AlreadyRunning


def account_key(account: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``account``."""
    digest = hashlib.sha256(f"stockguard:account:{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AccountLock:
    """Holds the account's advisory lock until ``release`` (or the process dies)."""

    def __init__(self, conninfo: str, account: str) -> None:
        self.conninfo = conninfo
        self.account = account
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning (another dispatcher has this account)."""
        conn = psycopg.connect(self.conninfo, autocommit=True)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (account_key(self.account),))
        taken = row.fetchone()
        if not (taken and taken[0]):
            conn.close()
            raise AlreadyRunning(
                f"another dispatcher decides and pushes for seller account {self.account!r}"
            )
        self._conn = conn

    def release(self) -> None:
        """Let go of the lock (closing its connection)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
