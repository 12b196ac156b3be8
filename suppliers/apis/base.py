"""The item-API contract: an official API answers many items per call, under a quota.

A page adapter reads one page; an item API (SP-API Product Pricing for Amazon.co.jp, Rakuten
Ichiba Item Search, Yahoo! Shopping itemSearch) answers a batch of item codes in one call and
is paced by its published quota, not by page politeness. ``read`` never sleeps and never
guesses: a code the answer does not cover, an error or a quota refusal is UNKNOWN with a
reason, never OUT_OF_STOCK without evidence and never IN_STOCK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from stockguard.suppliers.base import Reading


@dataclass(frozen=True)
class ApiQuota:
    """An API's published limits: steady calls per second, burst, and an optional daily cap."""

    calls_per_second: float
    burst: int = 1
    calls_per_day: int | None = None


class ItemApi(Protocol):
    """One official item API, configured with its credentials and base URL."""

    name: str  # the source prefix after "api:", e.g. "amazon-jp", "rakuten", "yahoo"
    batch_size: int  # codes answered by one call
    quota: ApiQuota

    def read(self, codes: Sequence[str]) -> Mapping[str, Reading]:
        """One call for at most ``batch_size`` codes: a verdict for every code asked."""
        ...
