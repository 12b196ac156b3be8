"""Amazon's own cancellation rate, read from GET_V2_SELLER_PERFORMANCE_REPORT (Account Health).

The schema (accountHealthReport-2020-11-18) names the metric ``preFulfillmentCancellationRate``;
Amazon's own example in the same file spells it ``prefulfillmentCancelRate``: both are read
(pitfall 13). ``rate`` and ``targetValue`` are *fractions* (0.005 = 0.5%) even though the
schema's prose says "percentage": a value above 1 is refused rather than divided by 100.
Values become Decimals through their text form so 0.025 stays exactly 0.025. There is no
``cancellationRate`` field and no numerator object: the counts are ``cancellationCount`` and
``orderCount``. Per marketplace; a marketplace without the metric is simply absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stockguard.cancellations.store.mail import HealthFigure
from stockguard.core.errors import InputError

METRIC_KEYS = ("preFulfillmentCancellationRate", "prefulfillmentCancelRate")


def parse_account_health(
    document: Mapping[str, Any], *, where: str = "account health report"
) -> list[HealthFigure]:
    """Every marketplace's pre-fulfilment cancellation figure in ``document``."""
    metrics = document.get("performanceMetrics") if isinstance(document, Mapping) else None
    if not isinstance(metrics, list):
        raise InputError(f"{where}: no performanceMetrics list (is this a V2 seller report?)")
    figures = []
    for index, entry in enumerate(metrics):
        path = f"{where}: performanceMetrics[{index}]"
        if not isinstance(entry, Mapping):
            raise InputError(f"{path}: expected an object")
        key = next((k for k in METRIC_KEYS if k in entry), None)
        if key is None:
            continue
        marketplace_id = entry.get("marketplaceId")
        if not isinstance(marketplace_id, str) or not marketplace_id:
            raise InputError(f"{path}.marketplaceId: missing")
        figures.append(_figure(marketplace_id, key, entry[key], f"{path}.{key}"))
    return figures


def _figure(marketplace_id: str, key: str, metric: Any, path: str) -> HealthFigure:
    if not isinstance(metric, Mapping):
        raise InputError(f"{path}: expected an object")
    period = metric.get("reportingDateRange")
    if not isinstance(period, Mapping):
        raise InputError(f"{path}.reportingDateRange: missing")
    return HealthFigure(
        marketplace_id=marketplace_id,
        metric_key=key,
        date_from=_when(
            period.get("reportingDateFrom"), f"{path}.reportingDateRange.reportingDateFrom"
        ),
        date_to=_when(period.get("reportingDateTo"), f"{path}.reportingDateRange.reportingDateTo"),
        order_count=_count(metric.get("orderCount"), f"{path}.orderCount"),
        cancellation_count=_count(metric.get("cancellationCount"), f"{path}.cancellationCount"),
        rate=_fraction(metric.get("rate"), f"{path}.rate"),
        target=_fraction(metric.get("targetValue"), f"{path}.targetValue"),
        target_condition=str(metric.get("targetCondition") or "LESS_THAN"),
        status=str(metric.get("status") or "NONE"),
    )


def _when(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{path}: missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{path}: not a date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise InputError(f"{path}: no time zone in {value!r}")
    return moment


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{path}: expected a whole number >= 0, got {value!r}")
    return value


def _fraction(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{path}: expected a number, got {value!r}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise InputError(f"{path}: expected a number, got {value!r}") from None
    if not Decimal(0) <= number <= Decimal(1):
        raise InputError(f"{path}: {value!r} is not a fraction between 0 and 1 (0.025 = 2.5%)")
    return number
