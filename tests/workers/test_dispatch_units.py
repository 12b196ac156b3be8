"""The dispatcher's pure parts and the configuration it refuses (no workers started here)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from stockguard.cli import cli
from stockguard.cli.context import run_guarded
from stockguard.core.config import parse_settings
from stockguard.core.domain import Source, SourceKind
from stockguard.sync.workers.batch import HostBatch
from stockguard.sync.workers.dispatch import group_by_host, job_priority
from stockguard.sync.workers.jobs_app import ensure_schema, require_postgres


def _page(url: str) -> Source:
    return Source(SourceKind.PAGE, url, "rakuten", variant=None)


def test_batches_one_per_host_in_order_of_their_riskiest_source_capped() -> None:
    sources = [_page(f"http://{h}/item/{n}") for n, h in enumerate("abacbaa")]
    risks = [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0]
    batches = group_by_host("S1", sources, risks, batch_max=2)
    assert [b.host for b in batches] == ["a", "b", "c"]
    assert [len(b.sources) for b in batches] == [2, 2, 1]
    assert [b.risk for b in batches] == [9.0, 8.0, 6.0]
    assert {b.account for b in batches} == {"S1"}


def test_job_priority_keeps_the_planner_tiers_above_any_risk() -> None:
    assert job_priority(4e12) > job_priority(2e12 + 5) > job_priority(1e12 + 5) > job_priority(5e11)
    assert job_priority(10.0) > job_priority(0.5) > job_priority(0.0) == 0
    assert job_priority(-math.inf) == 0


def test_a_batch_survives_its_job_payload() -> None:
    batch = HostBatch(
        "S1",
        "shop.example.jp",
        (Source(SourceKind.PAGE, "http://shop.example.jp/1", "shopify", "M"),),
        3.5,
    )
    assert HostBatch.from_job(batch.to_job()) == batch


@pytest.mark.parametrize("args", [["run", "--workers", "--for", "1"], ["worker"]])
def test_workers_on_sqlite_is_a_configuration_error(
    tmp_path: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["stockguard", "--db", str(tmp_path / "s.db"), *args])
    assert run_guarded(cli) == 2
    err = capsys.readouterr().err
    assert "[workers] needs the store on PostgreSQL, not sqlite" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert not (tmp_path / "s.db").exists()  # refused before anything was opened


@pytest.mark.postgres
def test_the_job_schema_is_applied_once(postgres_url: str) -> None:
    conninfo = require_postgres(parse_settings({"store": {"url": postgres_url}}))
    assert ensure_schema(conninfo) is True
    assert ensure_schema(conninfo) is False
