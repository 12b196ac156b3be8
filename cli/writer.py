"""One writer per database for the commands that send to Amazon.

`sync --once`, `push`, `cancellations plan` and `cancellations apply` take the database's
lock (sync/runlock.py) for as long as they send. While `stockguard run` holds it they either
hand their work to it (they only enqueue: the service's push job sends it) or are refused;
while another sending command holds it they are refused. A refusal is one line on stderr
and exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from sqlalchemy import Engine

from stockguard.core.clock import Clock
from stockguard.core.config import Settings
from stockguard.core.errors import AlreadyRunning
from stockguard.sync.runlock import Holder, RunLock

EXIT_REFUSED = 2


class Refused(click.ClickException):
    """Another writer holds the database: one line, exit status 2."""

    exit_code = EXIT_REFUSED

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


@contextmanager
def sole_writer(
    db: Engine, clock: Clock, command: str, settings: Settings, *, hand_over: bool = False
) -> Iterator[Holder | None]:
    """Hold the lock while the block runs (yields None). When `run` holds it: with
    ``hand_over`` yield its Holder (the block must then only enqueue), else refuse in the
    service's words. Beside any other sender: refuse in the holder's words."""
    lock = RunLock(db, clock, command=command)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        holder = exc.holder
        if not isinstance(holder, Holder) or not holder.is_service:
            raise Refused(exc.message) from None
        if not hand_over:
            raise service_refusal(holder, settings) from None
        yield holder
        return
    with lock.beating():
        yield None


def service_refusal(holder: Holder, settings: Settings) -> Refused:
    """`sync --once` (or the like) while `run` holds the database."""
    every = settings.scheduler.check_every
    return Refused(
        f"stockguard run (pid {holder.pid} on {holder.host}) is running on this database and "
        f"does this every {every:.0f} s; use `stockguard plan` to see what it will do"
    )
