"""The cancellation-rate report: per marketplace, the daily 7-day rate, budget and outlook.

Built from stored orders (``cancellations.rate`` / ``outlook`` hold the definitions) and,
when one was fetched, Amazon's own figure (``health``). The target is Amazon's stated
``targetValue`` for the marketplace when known, else ``[cancellations] target_rate``.
Outputs: the summary lines (printed by ``cli.report_view``, also in the HTML), CSV
(``write_csv``, one row per marketplace and day, columns in ``CSV_COLUMNS`` and
docs/report.md), HTML and PNG (``cancellations.chart``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from stockguard.cancellations import outlook
from stockguard.cancellations.chart import percent
from stockguard.cancellations.rate import (
    COUNTED,
    DayFigures,
    Treatment,
    as_fraction,
    classify,
    counts_by_day,
    daily_series,
    local_day,
    orders_for_next_slot,
    seller_orders,
)
from stockguard.cancellations.store.mail import HealthFigure
from stockguard.core.config import CancellationSettings
from stockguard.core.domain import DEFAULT_ACCOUNT, MARKETPLACES_BY_ID, Marketplace, Order
from stockguard.core.errors import InputError
from stockguard.core.excel_csv import write_excel_csv

CSV_COLUMNS = (
    "date",
    "marketplace",
    "marketplace_id",
    "window_start",
    "window_end",
    "window_orders",
    "window_seller_cancellations",
    "rate",
    "target",
    "remaining_budget",
    "at_or_over_target",
    "amazon_orders",
    "amazon_cancellations",
    "amazon_rate",
    "amazon_target",
    "amazon_period",
)


@dataclass(frozen=True)
class CountedCancellation:
    """One cancellation the rate counts: the order behind it (listed in the HTML report)."""

    order_id: str
    day: date  # local purchase day: the windows it counts in start here
    treatment: str
    reason: str
    skus: tuple[str, ...]


@dataclass(frozen=True)
class MarketplaceReport:
    """Everything the report says about one marketplace."""

    marketplace: Marketplace
    target: Fraction
    target_source: str  # "amazon" (account-health targetValue) or "config"
    days: list[DayFigures]
    leaving: list[outlook.Leaving]
    projection: outlook.Projection
    next_slot: int | None  # new orders needed before the budget grows by one
    offers: list[outlook.OfferRisk]
    flags: list[outlook.Flag]
    health: HealthFigure | None
    counted: tuple[CountedCancellation, ...] = ()  # in the windows of the report's days
    account: str = DEFAULT_ACCOUNT  # the seller account: Amazon measures the rate per account

    @property
    def current(self) -> DayFigures:
        return self.days[-1]

    @property
    def warnings(self) -> list[str]:
        return _warnings(self)


def marketplaces_in(orders: Iterable[Order], health: Collection[str] = ()) -> list[str]:
    """Marketplace ids with seller-fulfilled orders or an Amazon figure, in a stable order."""
    found = {o.marketplace_id for o in orders if o.fulfilled_by == "MERCHANT"} | set(health)
    return sorted(m for m in found if m in MARKETPLACES_BY_ID)


def build_report(
    orders: Sequence[Order],
    marketplace_id: str,
    *,
    now: datetime,
    settings: CancellationSettings,
    first: date | None = None,
    last: date | None = None,
    health: HealthFigure | None = None,
    planned: Collection[str] = (),
) -> MarketplaceReport:
    """One marketplace's report for days ``first``..``last`` (default: the last 7 local days)."""
    market = MARKETPLACES_BY_ID[marketplace_id]
    tz = market.timezone
    last = last or local_day(now, tz)
    first = first or last - timedelta(days=settings.window_days - 1)
    if first > last:
        raise InputError(f"{market.code}: report period starts {first}, after its end {last}")
    target, source = as_fraction(settings.target_rate), "config"
    if health is not None and health.target > 0:
        target, source = as_fraction(health.target), "amazon"
    mine = seller_orders(orders, marketplace_id)
    days = daily_series(
        counts_by_day(mine, tz), market.code, first, last, target, settings.window_days
    )
    today = days[-1]
    return MarketplaceReport(
        marketplace=market,
        target=target,
        target_source=source,
        days=days,
        leaving=outlook.leaving(mine, tz, last, settings.window_days),
        projection=outlook.project(mine, tz, last, target, settings.window_days, planned),
        next_slot=orders_for_next_slot(today.orders, today.cancellations, target),
        offers=outlook.offer_risks(mine, tz, last),
        flags=outlook.flags(mine, tz, first - timedelta(days=settings.window_days - 1), last),
        health=health,
        counted=_counted(mine, tz, first - timedelta(days=settings.window_days - 1), last),
    )


def _counted(
    orders: Sequence[Order], tz: str, first: date, last: date
) -> tuple[CountedCancellation, ...]:
    found = []
    for order in orders:
        treatment, day = classify(order), local_day(order.purchased_at, tz)
        if treatment in COUNTED and first <= day <= last:
            skus = tuple(sorted({line.sku for line in order.items}))
            found.append(
                CountedCancellation(
                    order.order_id, day, treatment.value, order.cancel_reason or "", skus
                )
            )
    return tuple(sorted(found, key=lambda c: (c.day, c.order_id)))


def _warnings(report: MarketplaceReport) -> list[str]:
    code, today, ahead = report.marketplace.code, report.current, report.projection
    found = []
    if today.at_or_over_target:
        found.append(
            f"{code}: the rate of the window ending {today.day} is {percent(today.rate)}, "
            f"not under the {percent(report.target)} target"
        )
    if ahead.at_or_over_target:
        found.append(
            f"{code}: projected rate for {ahead.day} is {percent(ahead.rate)} "
            f"({ahead.cancellations}/{ahead.orders}), not under {percent(report.target)}"
        )
    for flag in report.flags:
        if flag.treatment is Treatment.WRONG_REASON:
            found.append(
                f"{code}: order {flag.order_id}: an official buyer request cancelled with "
                f"reason {flag.reason!r}: counted as a seller cancellation (use BuyerCanceled)"
            )
        else:
            found.append(f"{code}: order {flag.order_id}: cancelled, by whom unknown: counted")
    for risk in report.offers:
        if risk.level == outlook.TWO_IN_A_ROW:
            found.append(
                f"{code}: SKU {risk.sku}: two seller cancellations in a row within 30 "
                "days: Amazon may remove the offer"
            )
    return found


def market_label(report: MarketplaceReport, several: bool) -> str:
    """The marketplace's code, after its seller account's name when there are ``several``."""
    code = report.marketplace.code
    return f"{report.account} {code}" if several else code


def csv_rows(reports: Iterable[MarketplaceReport], several: bool = False) -> list[dict[str, str]]:
    """One row per marketplace and day; Amazon's figure on the day its period ends; with
    ``several`` seller accounts, whose row it is (``account``)."""
    rows = []
    for report in reports:
        health = report.health
        for day in report.days:
            row = {
                "date": day.day.isoformat(),
                "marketplace": day.marketplace,
                "marketplace_id": report.marketplace.marketplace_id,
                "window_start": day.first_day.isoformat(),
                "window_end": day.day.isoformat(),
                "window_orders": str(day.orders),
                "window_seller_cancellations": str(day.cancellations),
                "rate": _decimal(day.rate),
                "target": _decimal(report.target),
                "remaining_budget": str(day.budget),
                "at_or_over_target": "yes" if day.at_or_over_target else "no",
            }
            row.update(
                _amazon_columns(health if health and health.date_to.date() == day.day else None)
            )
            if several:
                row["account"] = report.account
            rows.append(row)
    return rows


def _amazon_columns(health: HealthFigure | None) -> dict[str, str]:
    if health is None:
        return {key: "" for key in CSV_COLUMNS if key.startswith("amazon_")}
    return {
        "amazon_orders": str(health.order_count),
        "amazon_cancellations": str(health.cancellation_count),
        "amazon_rate": str(health.rate),
        "amazon_target": str(health.target),
        "amazon_period": f"{health.date_from:%Y-%m-%dT%H:%MZ}/{health.date_to:%Y-%m-%dT%H:%MZ}",
    }


def _decimal(value: Fraction | None, places: int = 6) -> str:
    """A fraction as plain decimal text (rounded half-even), empty when there is none."""
    if value is None:
        return ""
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    return str(quotient.quantize(Decimal(1).scaleb(-places)))


def write_csv(
    reports: Iterable[MarketplaceReport],
    path: Path,
    encoding: str = "utf-8-sig",
    *,
    several: bool = False,
) -> int:
    """Write the CSV; the number of data rows. UTF-8 with a BOM by default (Excel, Japanese
    Excel included, then opens it as UTF-8), or CP932 (Shift_JIS) on request. ``several``
    seller accounts configured: a last column ``account`` says whose each row is."""
    columns = (*CSV_COLUMNS, "account") if several else CSV_COLUMNS
    rows = ([row[c] for c in columns] for row in csv_rows(reports, several))
    return write_excel_csv(path, columns, rows, encoding)
