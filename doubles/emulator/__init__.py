"""A local Selling Partner API server for the demo and the tests (127.0.0.1, ephemeral port).

``Emulator`` (emulator.py) is the entry point; docs/emulator.md describes the seed format and
the fault controls.
"""

from stockguard.doubles.emulator.emulator import Emulator

__all__ = ["Emulator"]
