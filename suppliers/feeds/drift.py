"""The drift guard: a feed that suddenly looks very different from the last one is suspicious.

A broken export shows the whole catalogue at zero; a truncated upload has a fraction of its
rows. Applying either would zero (or restore) thousands of listings on the strength of a bad
file. Compared with the supplier's previous applied import, a feed is refused when its share
of out-of-stock items rises by more than ``max_out_of_stock_share_increase`` (in points of
share), when its total stated quantity falls by more than ``max_total_quantity_drop`` (as a
fraction), or, for a full feed, when it has fewer than ``min_row_ratio`` of the previous rows.
The guard only compares with a previous feed of at least ``drift_min_items`` items: on a tiny
feed one item is a big share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, Observation
from stockguard.core.storable import INT_MAX


@dataclass(frozen=True)
class FeedSummary:
    """The figures the drift guard compares: items, out-of-stock items, total stated quantity."""

    items: int
    out_of_stock: int
    total_quantity: int

    @property
    def out_of_stock_share(self) -> float:
        """Out-of-stock items as a fraction of all items (0 for an empty feed)."""
        return self.out_of_stock / self.items if self.items else 0.0

    @classmethod
    def of(cls, observations: Iterable[Observation]) -> FeedSummary:
        """Summarise a feed's accepted items."""
        items = out = total = 0
        for obs in observations:
            items += 1
            out += obs.availability is Availability.OUT_OF_STOCK
            total += obs.quantity or 0
        # Stored as an INTEGER: a total past it compares (and is kept) as the largest one.
        return cls(items, out, min(total, INT_MAX))


def check_drift(
    current: FeedSummary, previous: FeedSummary | None, settings: FeedSettings
) -> list[str]:
    """Why this feed looks broken compared with the previous one; empty when it looks fine."""
    if previous is None or previous.items < max(settings.drift_min_items, 1):
        return []
    reasons: list[str] = []
    share_limit, drop_limit = (
        settings.max_out_of_stock_share_increase,
        settings.max_total_quantity_drop,
    )
    rise = current.out_of_stock_share - previous.out_of_stock_share
    if rise > settings.max_out_of_stock_share_increase:
        reasons.append(
            f"out-of-stock share rose from {previous.out_of_stock_share:.0%} to "
            f"{current.out_of_stock_share:.0%} (limit +{share_limit:.0%})"
        )
    if previous.total_quantity > 0:
        drop = (previous.total_quantity - current.total_quantity) / previous.total_quantity
        if drop > drop_limit:
            reasons.append(
                f"total quantity fell from {previous.total_quantity:,} to "
                f"{current.total_quantity:,} (-{drop:.0%}, limit -{drop_limit:.0%})"
            )
    if settings.full_feed and current.items < settings.min_row_ratio * previous.items:
        reasons.append(
            f"only {current.items:,} items where the previous feed had {previous.items:,} "
            f"(below {settings.min_row_ratio:.0%}: truncated?)"
        )
    return reasons
