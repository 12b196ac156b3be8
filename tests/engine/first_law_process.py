"""The process half of the first-law property: `stockguard run` as a real subprocess on a
SQLite file and the real clock, supplier pages flipping, `push --sku --quantity` and
`sync --once` started beside it, and a `kill -9` of `run` at some point followed by a new `run`.
After a final quiet `sync --once` the law (first_law_checks.py) must hold on the emulator.

Steps synchronise on `run`'s own log lines ("Job "checks..." executed successfully"), never on
sleeps.
"""

from __future__ import annotations

import signal
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import strategies as st

from stockguard.core.config import parse_settings
from stockguard.core.store.listings import find_listings
from tests.engine.conftest import CATALOGUE, LiveWorld, StockguardProcess, build_live
from tests.engine.first_law_checks import assert_law

LIVE_SKUS = tuple(CATALOGUE)


@dataclass(frozen=True)
class Flip:
    """The supplier's page of ``sku`` goes in or out of stock (real time)."""

    sku: str
    in_stock: bool


@dataclass(frozen=True)
class Beside:
    """Commands started together while `run` runs: `push --sku --quantity`, `sync --once`."""

    push: tuple[str, int] | None
    sync: bool


@dataclass(frozen=True)
class Checks:
    """Wait until `run` finishes this many more check passes."""

    count: int


@dataclass(frozen=True)
class Kill9:
    """`kill -9` the running `run`, then start a new one on the same database."""


Step = Flip | Beside | Checks | Kill9


@st.composite
def process_scenarios(draw: st.DrawFn) -> tuple[tuple[str, ...], tuple[Step, ...]]:
    dark = tuple(s for s in LIVE_SKUS if draw(st.booleans()))  # at 0 on Amazon before `run`
    step = st.one_of(
        st.builds(Flip, st.sampled_from(LIVE_SKUS), st.booleans()),
        st.builds(
            Beside,
            st.one_of(st.none(), st.tuples(st.sampled_from(LIVE_SKUS), st.integers(0, 5))),
            st.booleans(),
        ),
        st.builds(Checks, st.integers(1, 2)),
    )
    steps = draw(st.lists(step, min_size=1, max_size=4))
    steps.insert(draw(st.integers(0, len(steps))), Kill9())
    return dark, tuple(steps)


def run_process_scenario(work: Path, dark: tuple[str, ...], steps: tuple[Step, ...]) -> None:
    with ExitStack() as stack:
        live = build_live(stack, work)
        for sku in dark:
            live.emulator.set_quantity(sku, 0)
        run = live.start("run", "--verbose")
        try:
            for step in steps:
                run = play_step(live, run, step)
        finally:
            run.popen.send_signal(signal.SIGTERM)
            run.finish()
        quiet = live.start("sync", "--once")  # the final quiet pass, alone
        quiet.finish()
        listings = find_listings(live.db)
        settings = parse_settings(live.sections)
        assert_law(live.db, listings, live.emulator, datetime.now(UTC), settings)


def play_step(live: LiveWorld, run: StockguardProcess, step: Step) -> StockguardProcess:
    """Apply one step; returns the `run` process now running (a new one after Kill9)."""
    if isinstance(step, Flip):
        live.shop.set_stock(live.product(step.sku), step.in_stock)
    elif isinstance(step, Checks):
        for _ in range(step.count):
            run.wait_for_line('Job "checks', "executed successfully")
    elif isinstance(step, Beside):
        started = []
        if step.push is not None:
            sku, quantity = step.push
            started.append(live.start("push", "--sku", sku, "--quantity", str(quantity)))
        if step.sync:
            started.append(live.start("sync", "--once"))
        for command in started:
            command.finish()
        if run.popen.poll() is not None:  # a sync --once took the database first: run refused
            run.finish()
            run = live.start("run", "--verbose")
    else:
        run.popen.send_signal(signal.SIGKILL)
        run.finish()
        run = live.start("run", "--verbose")
    return run
