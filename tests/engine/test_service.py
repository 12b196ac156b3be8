"""The scheduled service: jobs that fail, never overlap and stop cleanly; one service per
database; and `stockguard run` as a real process (SIGTERM, a second instance, kill -9)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from stockguard.cli.jobs import JobCounters, build_jobs
from stockguard.core.clock import ManualClock, SystemClock
from stockguard.core.errors import AlreadyRunning
from stockguard.core.store import outbox as ob
from stockguard.core.store.lock_tables import run_lock
from stockguard.core.store.outbox import State
from stockguard.sync.runlock import LOCK_NAME, RunLock
from stockguard.sync.scheduler import JobSpec, Service, guarded
from stockguard.sync.scheduler import ServiceStats as Stats
from tests.engine.conftest import HOST_A, LiveWorld, World, build_live

SAFETY = 20.0  # seconds: only ever reached when something is broken

# --- guarded jobs and the Service, in this process ---------------------------------------------


def test_guarded_counts_a_failure_logs_it_and_lets_the_next_run_happen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    outcomes = iter([RuntimeError("supplier exploded"), None])

    def flaky() -> None:
        error = next(outcomes)
        if error is not None:
            raise error

    stats = Stats()
    job = guarded(JobSpec("flaky", flaky, 60), stats, clock)
    with caplog.at_level(logging.ERROR, logger="stockguard.scheduler"):
        job()  # must not raise
    clock.advance(60)
    job()

    flaky_stats = stats.jobs["flaky"]
    assert (flaky_stats.runs, flaky_stats.failures) == (2, 1)
    assert flaky_stats.last_error == "RuntimeError: supplier exploded"
    assert flaky_stats.last_run_at == clock.now()
    [record] = caplog.records
    assert record.getMessage() == "job flaky failed (1 failures so far); it runs again next time"
    assert record.exc_info is not None  # the traceback is in the log


def test_service_survives_a_failing_job_and_runs_it_again() -> None:
    runs: list[str] = []
    service: Service

    def flaky() -> None:
        runs.append("run")
        if len(runs) == 1:
            raise ValueError("first run fails")
        service.stop()  # the second run proves the service went on

    service = Service([JobSpec("flaky", flaky, 0.01)], SystemClock())
    stats = service.run_until_stopped(SAFETY)

    assert stats.jobs["flaky"].failures == 1
    assert stats.jobs["flaky"].runs >= 2
    assert stats.jobs["flaky"].last_error == "ValueError: first run fails"


def test_jobs_never_overlap() -> None:
    guard = threading.Lock()
    seen: list[tuple[str, int]] = []
    overlaps: list[str] = []
    service: Service

    def job(name: str) -> None:
        if not guard.acquire(blocking=False):
            overlaps.append(name)
            return
        try:
            seen.append((name, threading.get_ident()))
            if min(sum(1 for n, _ in seen if n == x) for x in "abc") >= 3:
                service.stop()
        finally:
            guard.release()

    specs = [JobSpec(x, functools.partial(job, x), 0.005) for x in "abc"]
    service = Service(specs, SystemClock())
    service.run_until_stopped(SAFETY)

    assert overlaps == []
    assert len({ident for _, ident in seen}) == 1  # one worker thread runs every job
    assert threading.get_ident() not in {ident for _, ident in seen}


def test_the_lock_heartbeat_keeps_beating_through_a_long_job() -> None:
    beats: list[int] = []
    three_beats = threading.Event()
    waited: list[bool] = []
    service: Service

    def heartbeat() -> None:
        beats.append(threading.get_ident())
        if len(beats) >= 3:
            three_beats.set()

    def long_pass() -> None:  # a pass over a big catalogue, or a feed taking minutes
        waited.append(three_beats.wait(SAFETY))
        service.stop()

    service = Service(
        [JobSpec("checks", long_pass, 60), JobSpec("heartbeat", heartbeat, 0.01, own_thread=True)],
        SystemClock(),
    )
    service.run_until_stopped(SAFETY)

    assert waited == [True]  # the heartbeat ran while the long job held the job thread


def test_sigterm_stops_the_service_after_the_running_job_finishes() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be installed from the main thread")
    events: list[str] = []
    service: Service

    def long_job() -> None:
        events.append("start")
        os.kill(os.getpid(), signal.SIGTERM)
        # The handler runs in the main thread; this job still gets to finish its work.
        assert service.stopping.wait(SAFETY)
        events.append("end")

    before = signal.getsignal(signal.SIGTERM)
    service = Service([JobSpec("long", long_job, 0.01)], SystemClock())
    stats = service.run_until_stopped(SAFETY)

    assert events == ["start", "end"]
    assert stats.jobs["long"].failures == 0
    assert signal.getsignal(signal.SIGTERM) is before  # handlers are given back


def test_sigterm_ends_a_wait_on_amazon_and_is_no_job_failure() -> None:
    stopping = threading.Event()
    amazon_clock = SystemClock(interrupt=stopping)  # what `run` gives its gateways
    events: list[str] = []

    def push_waiting_on_a_feed_quota() -> None:
        events.append("waiting")
        os.kill(os.getpid(), signal.SIGTERM)
        amazon_clock.sleep(3 * SAFETY)  # createFeed's next token, minutes away
        events.append("sent")  # never: the stop ended the wait before the request

    service = Service([JobSpec("push", push_waiting_on_a_feed_quota, 60)], SystemClock(), stopping)
    stats = service.run_until_stopped(SAFETY)

    assert events == ["waiting"]
    assert stats.jobs["push"].failures == 0
    assert stopping.is_set()


def test_outbox_jobs_have_their_own_thread_and_never_delay_the_checks() -> None:
    released = threading.Event()
    checks: list[int] = []
    service: Service

    def slow_read_back() -> None:  # a feed poll or a long read-back, on the io lane
        released.wait(SAFETY)

    def check() -> None:
        checks.append(threading.get_ident())
        if len(checks) >= 3:
            released.set()
            service.stop()

    specs = [
        JobSpec("read-back", slow_read_back, 0.005, io=True),
        JobSpec("checks", check, 0.005),
    ]
    service = Service(specs, SystemClock())
    service.run_until_stopped(SAFETY)

    assert len(checks) >= 3  # the checks ran while the read-back was still running
    assert released.is_set()


def test_the_jobs_of_run_each_do_their_part(world: World, tmp_path: Path) -> None:
    settings = dataclasses.replace(
        world.settings,
        scheduler=dataclasses.replace(world.settings.scheduler, report_dir=str(tmp_path)),
        cancellations=dataclasses.replace(world.settings.cancellations, auto_apply=True),
    )
    lock = RunLock(world.db, world.clock)
    counters = JobCounters()
    specs = build_jobs(world.wired, settings, world.clock, lock, counters)
    names = [
        "heartbeat",
        "checks",
        "catalogue",
        "schedule",
        "push",
        "read-back",
        "orders",
        "cancellations",
        "report",
    ]
    assert [s.name for s in specs] == names
    assert [s.name for s in specs if s.own_thread] == ["heartbeat"]
    assert [s.name for s in specs if s.io] == ["push", "read-back", "cancellations"]
    world.emulator.add_order("JP-HASHI")
    world.shop.set_stock("hashi-set", False)

    for spec in specs:
        spec.run()

    assert (counters.passes, counters.changes, counters.orders_pulled) == (1, 1, 1)
    assert world.emulator.quantity("JP-HASHI") == 0
    assert counters.cancellations_planned == 1  # the open order can no longer be filled
    [order] = world.emulator.orders()
    assert order.status == "Canceled"  # applied by the cancellations job (auto_apply)
    assert list(tmp_path.glob("cancellations-*.csv"))


def test_the_check_job_leaves_read_backs_to_the_read_back_job(world: World) -> None:
    lock = RunLock(world.db, world.clock)
    specs = {
        s.name: s for s in build_jobs(world.wired, world.settings, world.clock, lock, JobCounters())
    }
    world.shop.set_stock("hashi-set", False)

    specs["checks"].run()

    assert world.emulator.quantity("JP-HASHI") == 0
    with world.db.connect() as conn:
        [zero] = [r for r in ob.history(conn, "JP-HASHI") if r.kind != "readback"]
    assert zero.state is State.ACCEPTED  # not read back inside the pass
    specs["read-back"].run()
    with world.db.connect() as conn:
        [zero] = [r for r in ob.history(conn, "JP-HASHI") if r.kind != "readback"]
    assert zero.state is State.APPLIED


# --- the run lock, on every backend ------------------------------------------------------------


def lock_row(db: Engine) -> tuple[str, int] | None:
    with db.connect() as conn:
        row = conn.execute(select(run_lock.c.host, run_lock.c.pid)).first()
    return None if row is None else (row.host, row.pid)


def plant_lock(db: Engine, clock: ManualClock, host: str, pid: int) -> None:
    now = clock.now()
    with db.begin() as conn:
        conn.execute(
            insert(run_lock).values(
                name=LOCK_NAME,
                owner=f"{host}:{pid}:dead",
                host=host,
                pid=pid,
                acquired_at=now,
                heartbeat_at=now,
            )
        )


def test_a_live_holder_on_this_host_is_refused(db: Engine, clock: ManualClock) -> None:
    lock = RunLock(db, clock)
    holder = os.getppid()  # a live process on this host that is not us
    plant_lock(db, clock, lock.host, holder)
    clock.advance(3600)  # on the same host the process table decides, not the heartbeat

    with pytest.raises(AlreadyRunning) as refused:
        lock.acquire()

    assert f"another stockguard run (pid {holder} on {lock.host}, since " in str(refused.value)
    assert str(refused.value).endswith("is using this database; stop it first")
    assert lock_row(db) == (lock.host, holder)


def test_the_lock_is_released_for_the_next_run(db: Engine, clock: ManualClock) -> None:
    first = RunLock(db, clock)
    first.acquire()
    clock.advance(30)
    first.heartbeat()
    with db.connect() as conn:
        beat = conn.scalar(select(run_lock.c.heartbeat_at))
    assert beat is not None
    assert (beat if beat.tzinfo else beat.replace(tzinfo=UTC)) == clock.now()  # SQLite: naive
    first.release()
    assert lock_row(db) is None

    RunLock(db, clock).acquire()
    assert lock_row(db) == (first.host, os.getpid())


def test_a_lock_with_our_own_pid_is_a_previous_life(db: Engine, clock: ManualClock) -> None:
    # In a container, `stockguard run` restarted after kill -9 often gets the same pid again.
    lock = RunLock(db, clock)
    plant_lock(db, clock, lock.host, os.getpid())

    lock.acquire()

    with db.connect() as conn:
        assert conn.scalar(select(run_lock.c.owner)) == lock.owner


def test_a_lock_left_by_a_dead_process_is_taken_over(db: Engine, clock: ManualClock) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process now
    lock = RunLock(db, clock)
    plant_lock(db, clock, lock.host, dead.pid)

    lock.acquire()

    assert lock_row(db) == (lock.host, os.getpid())


def test_a_lock_from_another_host_is_trusted_until_its_heartbeat_is_stale(
    db: Engine, clock: ManualClock
) -> None:
    plant_lock(db, clock, "other-host", 4242)
    lock = RunLock(db, clock)
    clock.advance(4 * 60)
    with pytest.raises(AlreadyRunning, match="pid 4242 on other-host"):
        lock.acquire()

    clock.advance(2 * 60)  # no heartbeat for 6 minutes: the other host is gone
    lock.acquire()

    assert lock_row(db) == (lock.host, os.getpid())


# --- `stockguard run` as a real process --------------------------------------------------------


def test_second_run_is_refused_and_sigterm_stops_the_first_cleanly(live: LiveWorld) -> None:
    first = live.start("run", "--verbose")
    first.wait_for_line('Job "checks', "executed successfully")  # lock held, a pass done

    second = live.start("run", "--for", "5")

    assert second.finish() == 1
    [message] = second.stderr
    assert message.startswith(f"error: another stockguard run (pid {first.pid} on ")
    assert message.rstrip().endswith("is using this database; stop it first")
    assert lock_row(live.db) is not None

    first.popen.send_signal(signal.SIGTERM)

    assert first.finish() == 0, first.text
    assert "stopping after the running job" in first.text
    assert first.stdout[-1].startswith("stopped: ")
    assert "job failures: none" in first.stdout[-1]
    assert "Traceback" not in first.text
    assert lock_row(live.db) is None  # released


def test_a_failing_job_in_run_is_logged_counted_and_retried(live: LiveWorld) -> None:
    blocker = live.work / "not-a-directory"
    blocker.write_text("a file where the report directory should be", encoding="utf-8")
    live.write_config(scheduler={"report_dir": str(blocker), "report_every": 0.5})
    process = live.start("run")
    process.wait_for_line("job report failed (2 failures so far); it runs again next time")
    process.popen.send_signal(signal.SIGTERM)

    assert process.finish() == 1  # stopped cleanly, but a job failed: partial failure
    summary = process.stdout[-1]
    assert summary.startswith("stopped: ")
    assert "job failures: report " in summary
    assert "FileExistsError" in process.text or "NotADirectoryError" in process.text
    assert lock_row(live.db) is None


CRASH_CATALOGUE = {f"JP-ITEM-{n:02d}": (f"item-{n:02d}", "yodobashi", HOST_A) for n in range(12)}


def open_rows(db: Engine) -> dict[State, list[ob.OutboxRow]]:
    with db.connect() as conn:
        rows = ob.rows_in(conn, *State)
    found: dict[State, list[ob.OutboxRow]] = {}
    for row in rows:
        found.setdefault(row.state, []).append(row)
    return found


def wait_for_feed_in_flight(db: Engine, deadline: float) -> None:
    """Poll the store until a feed is submitted and not yet answered (a push in progress)."""
    while time.monotonic() < deadline:
        rows = open_rows(db)
        patched = [r for r in rows.get(State.ACCEPTED, []) if r.kind == "patch"]
        if rows.get(State.SENT) and patched:
            return
        time.sleep(0.02)  # polling another process's progress, not timing the code under test
    raise AssertionError(f"no feed in flight before the deadline: {open_rows(db)}")


def test_kill_9_during_a_push_loses_nothing_and_applies_nothing_twice(tmp_path: Path) -> None:
    with ExitStack() as stack:
        live = build_live(
            stack, tmp_path, CRASH_CATALOGUE, in_stock=False, feed_processing_seconds=1.5
        )
        # 12 zeroings at once: 6 urgent ones by patch, the other 6 as one JSON_LISTINGS_FEED.
        live.write_config(amazon={"patch_burst_max": 6})
        first = live.start("run", "--verbose")
        wait_for_feed_in_flight(live.db, time.monotonic() + SAFETY)
        first.popen.send_signal(signal.SIGKILL)
        assert first.finish() == -signal.SIGKILL
        at_kill = open_rows(live.db)
        in_doubt = {r.sku for r in at_kill.get(State.SENDING, [])}  # sent, answer never seen
        assert lock_row(live.db) == (socket.gethostname(), first.pid)  # left behind

        again = live.start("run", "--for", "1")

        assert again.finish() == 0, again.text
        # A feed may still be processing when the service stops (pushes never wait for feeds):
        # `push` resumes what the outbox holds and waits for it.
        resume = live.start("push")
        assert resume.finish() == 0, resume.text
        rows = open_rows(live.db)
        assert not rows.get(State.PENDING)
        assert not rows.get(State.SENDING)
        assert not rows.get(State.SENT)
        assert not rows.get(State.FAILED)
        emu = live.emulator
        assert emu.requests_by_operation()["createFeed"] == 1  # polled after restart, not resent
        for sku in CRASH_CATALOGUE:
            assert emu.quantity(sku) == 0, sku  # nothing lost
            applied = [q for _, q, cause in emu.quantity_history(sku) if cause != "seed"]
            assert applied == [0] or (sku in in_doubt and applied == [0, 0]), (sku, applied)
        assert lock_row(live.db) is None
