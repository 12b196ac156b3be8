"""One writer per database: beside a running `stockguard run`, `sync --once` is refused and
`push` hands its rows over; the run lock's heartbeat while a command holds it."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select

from stockguard.core.clock import ManualClock
from stockguard.core.errors import AlreadyRunning
from stockguard.core.store import outbox as ob
from stockguard.core.store.lock_tables import run_lock
from stockguard.core.store.outbox import OPEN, State
from stockguard.sync.runlock import LOCK_NAME, Holder, RunLock
from tests.engine.conftest import LiveWorld

SAFETY = 30.0  # seconds: only ever reached when something is broken


def wait_until(done: Callable[[], bool], what: str) -> None:
    """Poll another process's progress (not timing the code under test)."""
    deadline = time.monotonic() + SAFETY
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {SAFETY} s: {what}")
        time.sleep(0.05)


def newest_targets(db: Engine) -> dict[str, int]:
    with db.connect() as conn:
        rows = ob.rows_in(conn, *State)
    return {r.sku: r.quantity for r in rows if r.kind != "readback" and r.state != "superseded"}


def outbox_settled(db: Engine) -> bool:
    with db.connect() as conn:
        return not ob.rows_in(conn, *OPEN)


def test_beside_run_sync_once_is_refused_and_push_hands_over(live: LiveWorld) -> None:
    service = live.start("run", "--verbose")
    service.wait_for_line('Job "checks', "executed successfully")  # lock held, a pass done
    patched_before = live.emulator.requests_by_operation().get("patchListingsItem", 0)

    refused = live.start("sync", "--once")
    handed = live.start("push", "--sku", "JP-WHISK", "--quantity", "3", "--force")

    assert refused.finish() == 2
    [line] = refused.stderr
    assert line.startswith(f"error: stockguard run (pid {service.pid} on ")
    assert "is running on this database and does this every 2 s;" in line
    assert line.rstrip().endswith("use `stockguard plan` to see what it will do")
    assert handed.finish() == 0, handed.text
    assert "JP-WHISK [ATVPDKIKX0DER] quantity 3: queued" in handed.stdout[0]
    assert handed.stdout[-1].startswith(f"1 queued; stockguard run (pid {service.pid} on ")
    assert handed.stdout[-1].rstrip().endswith("sends them within 5 s")

    def sent_by_run() -> bool:
        with live.db.connect() as conn:
            manual = [r for r in ob.history(conn, "JP-WHISK") if r.reason == "manual"]
        return bool(manual) and manual[-1].state in (State.ACCEPTED, State.APPLIED)

    wait_until(sent_by_run, "the running service sent the handed-over row")
    wait_until(lambda: outbox_settled(live.db), "the outbox settled")
    service.popen.send_signal(signal.SIGTERM)
    assert service.finish() == 0, service.text

    patches = live.emulator.requests_by_operation().get("patchListingsItem", 0)
    assert patches - patched_before == 1  # sent once, by the service
    for sku, quantity in newest_targets(live.db).items():
        assert live.emulator.quantity(sku) == quantity, sku  # Amazon ends at the newest target
    with live.db.connect() as conn:
        assert conn.execute(select(run_lock)).first() is None


def test_push_without_a_service_takes_the_lock_and_gives_it_back(live: LiveWorld) -> None:
    process = live.start("push", "--sku", "JP-KYUSU", "--quantity", "0")

    assert process.finish() == 0, process.text
    assert "JP-KYUSU [ATVPDKIKX0DER] quantity 0: ACCEPTED via patch" in process.stdout[0]
    assert live.emulator.quantity("JP-KYUSU") == 0
    with live.db.connect() as conn:
        assert conn.execute(select(run_lock)).first() is None


def test_a_held_lock_beats_from_its_own_thread_and_is_released(
    db: Engine, clock: ManualClock
) -> None:
    with RunLock(db, clock, command="sync").held(beat_every=0.01):
        clock.advance(60)
        wait_until(lambda: _beat(db) == clock.now(), "a heartbeat from the held lock")
        with db.connect() as conn:
            assert str(conn.scalar(select(run_lock.c.owner))).endswith(":sync")
    with db.connect() as conn:
        assert conn.execute(select(run_lock)).first() is None  # released on the way out


def test_a_sending_command_is_named_in_the_refusal(db: Engine, clock: ManualClock) -> None:
    holder = RunLock(db, clock, command="sync")
    now = clock.now()
    with db.begin() as conn:  # a live process of this host (our parent) holds it
        conn.execute(
            insert(run_lock).values(
                name=LOCK_NAME,
                owner=f"{holder.host}:{os.getppid()}:abc:sync",
                host=holder.host,
                pid=os.getppid(),
                acquired_at=now,
                heartbeat_at=now,
            )
        )

    with pytest.raises(AlreadyRunning) as refused:
        RunLock(db, clock).acquire()

    assert isinstance(refused.value.holder, Holder)
    assert (refused.value.holder.command, refused.value.holder.is_service) == ("sync", False)
    assert refused.value.message.startswith(f"stockguard sync (pid {os.getppid()} on ")
    assert refused.value.message.endswith("is sending on this database; try again when it ends")


def _beat(db: Engine) -> datetime | None:
    with db.connect() as conn:
        beat = conn.scalar(select(run_lock.c.heartbeat_at))
    if beat is not None and beat.tzinfo is None:  # SQLite gives naive UTC back
        beat = beat.replace(tzinfo=UTC)
    return beat


def test_a_refused_push_prints_its_error_once(live: LiveWorld) -> None:
    process = live.start("push", "--sku", "NO-SUCH-SKU", "--quantity", "0")

    assert process.finish() == 1
    text = process.text
    assert "NO-SUCH-SKU [ATVPDKIKX0DER] quantity 0: REFUSED via patch" in text
    assert text.count("BAD_REQUEST") == 1, text  # not once more per attempt from the log
