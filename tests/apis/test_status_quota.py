"""`status` shows each item API's quota use and the audit disagreements."""

from __future__ import annotations

from pathlib import Path

from stockguard.cli.apis import hourly_capacity
from stockguard.core.clock import ManualClock
from stockguard.core.config import parse_settings
from stockguard.core.domain import Availability, Observation, UnknownReason
from stockguard.core.store import open_store
from stockguard.core.store.observations import record_observations
from stockguard.sync.status import read_status


def test_status_shows_items_read_against_each_quota(tmp_path: Path) -> None:
    clock = ManualClock()
    db = open_store(f"sqlite:///{tmp_path / 's.db'}")
    now = clock.now()
    seen = [
        Observation(
            f"api:amazon-jp:B0JP00000{i}", Availability.IN_STOCK, now, "ok", adapter="api:amazon-jp"
        )
        for i in range(3)
    ]
    seen.append(
        Observation(
            "api:amazon-jp:B0JP000009",
            Availability.UNKNOWN,
            now,
            "429",
            reason=UnknownReason.BLOCKED,
            adapter="api:amazon-jp",
        )
    )
    seen.append(
        Observation(
            "https://www.amazon.co.jp/dp/B0JP000010",
            Availability.OUT_OF_STOCK,
            now,
            "audit disagreement: API IN_STOCK | page OUT_OF_STOCK",
            adapter="api:amazon-jp",
        )
    )
    record_observations(db, seen)
    settings = parse_settings({"apis": {"amazon-jp": {}}})
    assert hourly_capacity(settings) == {"api:amazon-jp": 7200}  # 0.1/s x 3600 s x 20 ASINs
    rows = dict(read_status(db, now, hourly_capacity(settings)).rows())
    db.dispose()
    assert rows["api:amazon-jp quota, last hour"] == "5 items of 7200 its quota allows, 1 unknown"
    assert rows["API/page audit disagreements (24 h)"] == "1"
