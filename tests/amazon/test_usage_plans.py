"""The default usage plans (core/amazon/ratelimit.py, also the emulator's) are Amazon's own.

Each operation's description in Amazon's models carries a "Usage Plan" table (rate per second,
burst). The gateway starts from these before x-amzn-RateLimit-Limit corrects them, and the
emulator throttles by them, so a wrong figure would be wrong on both sides and pass every
other test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stockguard.core.amazon.ratelimit import DEFAULT_LIMITS
from tests.amazon.spapi_models import model

pytestmark = pytest.mark.shared

# Our operation name -> (model file, operationId) where the name alone is ambiguous.
RENAMED = {
    "getOrderV0": ("ordersV0.json", "getOrder"),
    "getOrder": ("orders_2026-01-01.json", "getOrder"),
}
_PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")


def _documented_plans(shared: Path) -> dict[tuple[str, str], tuple[float, int]]:
    plans = {}
    for path in sorted((shared / "spapi-models/openapi").glob("*.json")):
        for operations in model(shared, path.name)["paths"].values():
            for op in operations.values():
                found = isinstance(op, dict) and _PLAN.search(op.get("description", ""))
                if found:
                    plans[path.name, op["operationId"]] = (float(found[1]), int(found[2]))
    return plans


def test_every_default_plan_is_the_documented_one(shared_dir: Path) -> None:
    documented = _documented_plans(shared_dir)
    by_operation = {op: plan for (_, op), plan in documented.items()}
    checked = 0
    for operation, plan in DEFAULT_LIMITS.items():
        if operation.startswith("feedType:"):  # a feed-type quota from the changelog, not a model
            continue
        key = RENAMED.get(operation)
        expected = documented[key] if key else by_operation[operation]
        assert plan == expected, f"{operation}: ours {plan}, Amazon's models {expected}"
        checked += 1
    assert checked == len(DEFAULT_LIMITS) - 1
