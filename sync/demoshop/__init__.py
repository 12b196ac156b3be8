"""A local demo shop for the demo, the benchmarks and the tests (see ``DemoShop``)."""

from __future__ import annotations

from sync.demoshop.model import STYLES, DemoProduct, StockChange
from sync.demoshop.server import FAULTS, DemoShop, HostStats

__all__ = ["FAULTS", "STYLES", "DemoProduct", "DemoShop", "HostStats", "StockChange"]
