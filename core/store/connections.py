"""A connection for ``with`` from what a store query was given: an Engine or a Connection.

Queries take either, so a caller can run several of them in one transaction of its own:
given an Engine, ``begin`` opens a transaction and ``connect`` a plain connection, both closed
on leaving the block; given a Connection, both hand it back untouched (the caller commits).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine


class Using:
    """A connection for ``with``: a fresh one from an Engine, or the caller's own Connection."""

    def __init__(self, target: Engine | Connection, begin: bool) -> None:
        self.target, self.begin = target, begin
        self._ctx: Any = None

    def __enter__(self) -> Connection:
        if isinstance(self.target, Connection):
            return self.target
        self._ctx = self.target.begin() if self.begin else self.target.connect()
        conn: Connection = self._ctx.__enter__()
        return conn

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


def begin(target: Engine | Connection) -> Using:
    """A connection in a transaction (committed on leaving, when it is our own)."""
    return Using(target, begin=True)


def connect(target: Engine | Connection) -> Using:
    """A connection for reading."""
    return Using(target, begin=False)
