"""`stockguard sync --once` exit codes: a zeroing Amazon accepted but did not apply is a
partial failure (exit 1), and the re-queued row goes out again at the next pass."""

from __future__ import annotations

from tests.engine.conftest import LiveWorld
from tests.engine.test_cli_engine import Invoke, stockguard

__all__ = ["stockguard"]  # the fixture, used by name


def test_sync_once_exits_1_when_the_read_back_requeues_a_zeroing(
    live: LiveWorld, stockguard: Invoke
) -> None:
    live.emulator.faults.drop_patches(["JP-WHISK"])  # ACCEPTED, but Amazon keeps 3
    live.shop.set_stock(live.product("JP-WHISK"), False)

    dropped = stockguard("sync", "--once")

    assert dropped.code == 1, dropped.out + dropped.err
    assert "read back: 0 applied, 1 re-queued (Amazon did not apply)" in dropped.out
    assert live.emulator.quantity("JP-WHISK") == 3

    again = stockguard("sync", "--once")

    assert again.code == 0, again.out + again.err
    assert live.emulator.quantity("JP-WHISK") == 0
