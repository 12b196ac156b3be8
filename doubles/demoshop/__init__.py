"""A local demo shop for the demo, the benchmarks and the tests (see ``DemoShop``)."""

from __future__ import annotations

from stockguard.doubles.demoshop.model import STYLES, DemoProduct, StockChange
from stockguard.doubles.demoshop.server import FAULTS, DemoShop, HostStats

__all__ = ["FAULTS", "STYLES", "DemoProduct", "DemoShop", "HostStats", "StockChange"]
