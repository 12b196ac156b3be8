"""Feed imports through the real store (SQLite and PostgreSQL): drift guard, missing items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockguard.core.clock import ManualClock
from stockguard.core.config import FeedSettings
from stockguard.core.domain import Availability, Money, UnknownReason
from stockguard.core.store.feeds import SqlFeedStore, latest_feed_observations
from stockguard.suppliers.feeds import FeedRefused, ImportReport, import_feed

SETTINGS = FeedSettings(price_column="卸価格")


def write_feed(path: Path, quantities: Sequence[int | str], *, encoding: str = "cp932") -> Path:
    lines = ["商品コード,在庫数,卸価格"]
    lines += [f"T-{n:04d},{q},{1000 + n}" for n, q in enumerate(quantities)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run(
    db: Engine,
    path: Path,
    settings: FeedSettings = SETTINGS,
    *,
    accept_drift: bool = False,
    clock: ManualClock | None = None,
) -> ImportReport:
    return import_feed(
        path,
        "tonya",
        settings,
        SqlFeedStore(db),
        clock or ManualClock(),
        accept_drift=accept_drift,
    )


def test_import_stores_observations_for_the_engine(db: Engine, tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    report = import_feed(
        write_feed(tmp_path / "tonya.csv", [5, 0, "〇"]),
        "tonya",
        SETTINGS,
        SqlFeedStore(db),
        clock,
    )
    assert report.applied
    assert report.summary.items == 3
    assert report.problems == []
    observations = latest_feed_observations(db, "tonya")
    assert set(observations) == {"T-0000", "T-0001", "T-0002"}
    first = observations["T-0000"]
    assert first.availability is Availability.IN_STOCK
    assert first.quantity == 5
    assert first.price == Money(Decimal("1000"), "JPY")
    assert first.checked_at == clock.now()
    assert first.evidence == "feed tonya.csv line 2: 在庫数=5"
    assert observations["T-0001"].availability is Availability.OUT_OF_STOCK
    assert observations["T-0002"].quantity is None
    assert latest_feed_observations(db, "other") == {}


def test_item_missing_from_a_full_feed_goes_out_of_stock(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "a.csv", [3, 3, 3]))
    report = run(db, write_feed(tmp_path / "b.csv", [3, 3]))
    assert report.applied
    assert report.missing == 1
    gone = latest_feed_observations(db, "tonya")["T-0002"]
    assert gone.availability is Availability.OUT_OF_STOCK
    assert gone.evidence == "feed b.csv: item T-0002 absent from the full feed"


def test_missing_item_can_be_unknown_instead(db: Engine, tmp_path: Path) -> None:
    settings = FeedSettings(price_column="卸価格", missing_is_out_of_stock=False)
    run(db, write_feed(tmp_path / "a.csv", [3, 3]), settings)
    run(db, write_feed(tmp_path / "b.csv", [3]), settings)
    gone = latest_feed_observations(db, "tonya")["T-0001"]
    assert gone.availability is Availability.UNKNOWN
    assert gone.reason is UnknownReason.NOT_IN_FEED


def test_partial_feed_leaves_unlisted_items_alone(db: Engine, tmp_path: Path) -> None:
    settings = FeedSettings(price_column="卸価格", full_feed=False)
    run(db, write_feed(tmp_path / "a.csv", [3, 3]), settings)
    run(db, write_feed(tmp_path / "b.csv", [0]), settings)
    observations = latest_feed_observations(db, "tonya")
    assert observations["T-0000"].availability is Availability.OUT_OF_STOCK
    assert observations["T-0001"].quantity == 3


def test_whole_catalogue_at_zero_is_refused_and_nothing_applied(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "good.csv", [5] * 50))
    report = run(db, write_feed(tmp_path / "broken.csv", [0] * 50))
    assert report.status == "refused"
    assert any("out-of-stock share rose from 0% to 100%" in r for r in report.drift)
    assert all(o.quantity == 5 for o in latest_feed_observations(db, "tonya").values())
    history = SqlFeedStore(db).imports("tonya")
    assert [h.status for h in history] == ["refused", "applied"]
    assert "out-of-stock share" in history[0].message


def test_accept_drift_applies_a_suspicious_feed(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "good.csv", [5] * 50))
    report = run(db, write_feed(tmp_path / "sale.csv", [0] * 50), accept_drift=True)
    assert report.applied
    assert report.drift
    assert all(o.quantity == 0 for o in latest_feed_observations(db, "tonya").values())
    assert SqlFeedStore(db).imports("tonya")[0].accepted_drift


def test_truncated_feed_is_refused(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "full.csv", [5] * 100))
    report = run(db, write_feed(tmp_path / "cut.csv", [5] * 40))
    assert report.status == "refused"
    assert any("only 40 items where the previous feed had 100" in r for r in report.drift)
    assert len(latest_feed_observations(db, "tonya")) == 100


def test_total_quantity_collapse_is_refused(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "a.csv", [100] * 20))
    report = run(db, write_feed(tmp_path / "b.csv", [10] * 20))
    assert report.status == "refused"
    assert report.drift == ["total quantity fell from 2,000 to 200 (-90%, limit -60%)"]


def test_small_changes_pass_the_guard(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "a.csv", [10] * 20))
    report = run(db, write_feed(tmp_path / "b.csv", [10] * 17 + [0] * 3))
    assert report.applied
    assert report.drift == []


def test_a_feed_of_only_bad_rows_is_refused(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "a.csv", [1, 2]))
    with pytest.raises(FeedRefused, match="no usable rows"):
        run(db, write_feed(tmp_path / "b.csv", ["", "many"]))
    assert len(latest_feed_observations(db, "tonya")) == 2


def test_large_feed_round_trip(db: Engine, tmp_path: Path) -> None:
    run(db, write_feed(tmp_path / "big.csv", [n % 7 for n in range(3000)], encoding="utf-8"))
    observations = latest_feed_observations(db, "tonya")
    assert len(observations) == 3000
    assert sum(o.availability is Availability.OUT_OF_STOCK for o in observations.values()) == 429
