"""The engine tests' local world (demo shop, SP-API emulator, store), for notifications."""

from tests.engine.conftest import shop, world

__all__ = ["shop", "world"]
