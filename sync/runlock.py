"""One writer per database: a lock row with a heartbeat.

`stockguard run` holds it while it runs; `sync --once`, `push` and the cancellation commands
hold it while they send (``held()``: a daemon thread keeps the heartbeat fresh), so two
processes never drain the outbox at once. A second holder is refused with a clear message
naming the first (``AlreadyRunning.holder``). A lock left by a process that died (kill -9) is
taken over when its process is gone (same host) or its heartbeat is older than the stale limit
(another host).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from stockguard.core.clock import Clock
from stockguard.core.errors import AlreadyRunning
from stockguard.core.store.lock_tables import run_lock

LOCK_NAME = "scheduler"


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: the command (``run``, ``sync``, ``push``...), its pid and host."""

    command: str
    pid: int
    host: str
    since: datetime

    @property
    def is_service(self) -> bool:
        """The scheduled service (`stockguard run`), which sends the outbox on its own."""
        return self.command == "run"


class RunLock:
    """Holds the database's lock while the service runs or a command sends."""

    def __init__(
        self,
        db: Engine,
        clock: Clock,
        stale_after: timedelta = timedelta(minutes=5),
        *,
        command: str = "run",
    ):
        self.db = db
        self.clock = clock
        self.stale_after = stale_after
        self.command = command
        self.host = socket.gethostname()
        self.pid = os.getpid()
        # host:pid:token:command (the command is read back by a refused second writer)
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}:{command}"

    def acquire(self) -> None:
        """Take the lock, or raise AlreadyRunning naming the holder."""
        now = self.clock.now()
        with self.db.begin() as conn:
            row = conn.execute(select(run_lock).where(run_lock.c.name == LOCK_NAME)).first()
            if row is not None:
                if self._holder_alive(row.host, row.pid, row.heartbeat_at, now):
                    holder = Holder(_command(row.owner), row.pid, row.host, row.acquired_at)
                    raise AlreadyRunning(_refusal(holder), holder=holder)
                conn.execute(delete(run_lock).where(run_lock.c.name == LOCK_NAME))
        try:
            with self.db.begin() as conn:
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
        with self.db.begin() as conn:
            conn.execute(
                update(run_lock)
                .where(run_lock.c.owner == self.owner)
                .values(heartbeat_at=self.clock.now())
            )

    def release(self) -> None:
        """Give the lock back."""
        with self.db.begin() as conn:
            conn.execute(delete(run_lock).where(run_lock.c.owner == self.owner))

    @contextmanager
    def held(self, beat_every: float | None = None) -> Iterator[RunLock]:
        """Acquire, keep the heartbeat fresh from a daemon thread, release on the way out."""
        self.acquire()
        with self.beating(beat_every):
            yield self

    @contextmanager
    def beating(self, beat_every: float | None = None) -> Iterator[RunLock]:
        """For a lock already acquired: heartbeats from a daemon thread; release at the end."""
        stop = threading.Event()
        interval = beat_every or max(1.0, self.stale_after.total_seconds() / 5)

        def beat() -> None:
            while not stop.wait(interval):
                try:
                    self.heartbeat()
                except Exception:  # a missed beat is not worth killing the command for
                    continue

        thread = threading.Thread(target=beat, name="run-lock-heartbeat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)
            self.release()

    def _holder_alive(self, host: str, pid: int, heartbeat: datetime, now: datetime) -> bool:
        if host == self.host:
            # Our own pid in the row is a previous life of this service (a container restarted
            # after kill -9 gives `stockguard run` the same pid again), never a live holder.
            return pid != self.pid and _pid_alive(pid)
        return now - heartbeat < self.stale_after


def _command(owner: str) -> str:
    """The command from an owner ``host:pid:token:command`` (older rows: ``run``)."""
    parts = owner.split(":")
    return parts[3] if len(parts) >= 4 and parts[3] else "run"


def _refusal(holder: Holder) -> str:
    since = f"{holder.since:%Y-%m-%d %H:%M:%S}"
    if holder.is_service:
        return (
            f"another stockguard run (pid {holder.pid} on {holder.host}, since {since}) "
            "is using this database; stop it first"
        )
    return (
        f"stockguard {holder.command} (pid {holder.pid} on {holder.host}, since {since}) "
        "is sending on this database; try again when it ends"
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
