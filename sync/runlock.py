"""One scheduled service per database: a lock row with a heartbeat.

A second `stockguard run` on the same database is refused with a clear message. A lock left
by a process that died (kill -9) is taken over when its process is gone (same host) or its
heartbeat is older than the stale limit (another host).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.clock import Clock
from sync.errors import AlreadyRunning
from sync.store.lock_tables import run_lock

LOCK_NAME = "scheduler"


class RunLock:
    """Holds the database's run lock while the service runs."""

    def __init__(self, engine: Engine, clock: Clock, stale_after: timedelta = timedelta(minutes=5)):
        self.engine = engine
        self.clock = clock
        self.stale_after = stale_after
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> None:
        """Take the lock, or raise AlreadyRunning naming the holder."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            row = conn.execute(select(run_lock).where(run_lock.c.name == LOCK_NAME)).first()
            if row is not None:
                if self._holder_alive(row.host, row.pid, row.heartbeat_at, now):
                    raise AlreadyRunning(
                        f"another stockguard run (pid {row.pid} on {row.host}, since "
                        f"{row.acquired_at:%Y-%m-%d %H:%M:%S}) is using this database; "
                        "stop it first"
                    )
                conn.execute(delete(run_lock).where(run_lock.c.name == LOCK_NAME))
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(run_lock).values(
                        name=LOCK_NAME,
                        owner=self.owner,
                        host=self.host,
                        pid=self.pid,
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
        except IntegrityError:
            raise AlreadyRunning("another stockguard run took this database just now") from None

    def heartbeat(self) -> None:
        """Show the lock is still held (called by a scheduler job)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(run_lock)
                .where(run_lock.c.owner == self.owner)
                .values(heartbeat_at=self.clock.now())
            )

    def release(self) -> None:
        """Give the lock back."""
        with self.engine.begin() as conn:
            conn.execute(delete(run_lock).where(run_lock.c.owner == self.owner))

    def _holder_alive(self, host: str, pid: int, heartbeat: datetime, now: datetime) -> bool:
        if host == self.host:
            # Our own pid in the row is a previous life of this service (a container restarted
            # after kill -9 gives `stockguard run` the same pid again), never a live holder.
            return pid != self.pid and _pid_alive(pid)
        return now - heartbeat < self.stale_after


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
