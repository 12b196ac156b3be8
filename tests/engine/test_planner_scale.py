"""The planner's fast paths at scale give exactly what the plain ones give.

* the schedule read column by column (``load_schedule_columns``) equals the rows
  (``load_schedule``), on both backends, with never-set times, microseconds and a value the
  PostgreSQL path cannot split (a newline: that slice is read row by row);
* registering many sources at once (``Table.sources``) numbers them as ``Table.source`` one
  by one does;
* the sales estimates worked out once per distinct evidence equal the per-listing ones.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from stockguard.sync.planner_state import ScheduleColumns, SourceState, Table
from stockguard.sync.planner_store import load_schedule, load_schedule_columns, save_schedule
from stockguard.sync.risk_history import HistoryModel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _assert_same(got: ScheduleColumns, want: ScheduleColumns) -> None:
    for field in fields(ScheduleColumns):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(b, list):
            assert a == b, field.name
        else:
            assert a.dtype == b.dtype, field.name
            assert np.array_equal(a, b), field.name


def test_the_schedule_read_by_columns_equals_the_rows(db: Engine) -> None:
    rows = [
        SourceState(
            f"https://shop{i % 3}.example/item/{i}",
            f"SKU-{i // 2}",
            f"shop{i % 3}.example",
            ("UNSEEN", "IN_STOCK", "OUT_OF_STOCK", "UNKNOWN")[i % 4],
            None if i % 4 == 0 else T0 + timedelta(microseconds=250 * i),
            None if i % 4 == 0 else T0 + timedelta(hours=i, microseconds=7),
            i % 5,
            i % 3,
            i % 2,
            0.125 * i,
            1 / (i + 1),
            T0 + timedelta(days=1),
            float(i),
        )
        for i in range(40)
    ]
    rows.append(
        SourceState(
            "https://odd.example/x",
            "SKU\nwith a newline",
            "odd.example",
            "IN_STOCK",
            T0,
            T0,
            1,
            0,
            0,
            2.5,
            0.0,
        )
    )
    save_schedule(db, rows)
    want = ScheduleColumns.from_states(load_schedule(db))
    assert len(want.refs) == len(rows)
    _assert_same(load_schedule_columns(db), want)


def test_an_empty_schedule_reads_as_no_columns(db: Engine) -> None:
    assert load_schedule_columns(db).refs == []


_REF = st.integers(0, 12).map(lambda n: f"https://h{n % 3}.example/{n}")


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_REF, max_size=6),
    refs=st.lists(_REF, max_size=20),
)
def test_many_sources_are_numbered_as_one_by_one(before: list[str], refs: list[str]) -> None:
    _numbered_alike(before, refs)


def test_a_new_ref_twice_is_one_source() -> None:
    """Found by Hypothesis: every ref new, one of them twice."""
    _numbered_alike([], ["https://h0.example/0"] * 2)


def _numbered_alike(before: list[str], refs: list[str]) -> None:
    skus = [f"SKU{len(r) % 4}-{r[-1]}" for r in refs]
    hosts = [r.split("/")[2] for r in refs]
    one, many = Table(), Table()
    for table in (one, many):
        for r in before:
            table.source(r, "SKU-early", "early.example")
    expected = [one.source(r, s, h) for r, s, h in zip(refs, skus, hosts, strict=True)]
    assert many.sources(refs, skus, hosts).tolist() == expected
    assert (many.refs, many.index, many.size) == (one.refs, one.index, one.size)
    assert (many.listing_index, many.host_index, many.listings) == (
        one.listing_index,
        one.host_index,
        one.listings,
    )
    n = one.size
    assert np.array_equal(many.listing_of[:n], one.listing_of[:n])
    assert np.array_equal(many.host_of[:n], one.host_of[:n])


@settings(max_examples=40, deadline=None)
@given(
    sold=st.dictionaries(st.integers(0, 29), st.lists(st.floats(0.0, 59.0), max_size=5)),
    orders=st.lists(st.sampled_from([0.0, 0.0, 1.0, 3.0]), min_size=34, max_size=34),
    live=st.lists(st.sampled_from([0.0, 2.5, 2.5, 10.0]), min_size=34, max_size=34),
)
def test_sales_shared_by_equal_evidence_equal_the_per_listing_ones(
    sold: dict[int, list[float]], orders: list[float], live: list[float]
) -> None:
    model = HistoryModel.fit(sold, 30, 0.0, 60 * 86400.0, 2.0, 0.05)  # 4 listings joined later
    model.joint = None  # a catalogue too large for the joint history: the grouped path
    got = model.sales(np.array(orders), np.array(live))
    each = model._sales_each(np.array(orders), np.array(live), np.arange(34))
    assert np.array_equal(got, each)
