"""The progress display every long command shares: transient, on stderr, terminals only.

Shown only when stderr is a terminal, so pipes, cron mail and tests see nothing of it; it
vanishes when done (``transient``) and never mixes with stdout, where the results go. The
labels are printed as plain text (``markup=False``): a file name or SKU in one is data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")


@contextmanager
def progress_display(console: Console | None = None) -> Iterator[Progress]:
    """A Rich ``Progress`` on stderr, disabled unless stderr (or ``console``) is a terminal."""
    shown_on = console or Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=shown_on, transient=True, disable=not shown_on.is_terminal
    ) as progress:
        yield progress


@contextmanager
def step(
    label: str, total: int | None = None, console: Console | None = None
) -> Iterator[Callable[[], None]]:
    """One long step (``total`` known or not): yields the function that counts one unit."""
    with progress_display(console) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def tracked(items: Iterable[T], label: str, console: Console | None = None) -> Iterator[T]:
    """``items`` one by one, counted on the display (with a total when ``items`` has one)."""
    total = len(items) if isinstance(items, Sized) else None
    with step(label, total, console) as advance:
        for item in items:
            yield item
            advance()
