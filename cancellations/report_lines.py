"""The report's summary lines under each marketplace's table (terminal and HTML alike)."""

from __future__ import annotations

from stockguard.cancellations.chart import percent
from stockguard.cancellations.report import MarketplaceReport
from stockguard.core.i18n import tr


def summary_lines(report: MarketplaceReport) -> list[str]:
    """Budget, new-order effect, leaving dates, projection, Amazon's figure and offers at risk."""
    today, ahead, code = report.current, report.projection, report.marketplace.code
    lines = [
        tr(
            "{market} {day}: {cancelled} seller cancellations in {orders} orders ({rate}); "
            "room for {budget} more under {target} ({source} target)",
            market=code,
            day=today.day,
            cancelled=today.cancellations,
            orders=today.orders,
            rate=percent(today.rate),
            budget=today.budget,
            target=percent(report.target),
            source=report.target_source,
        )
    ]
    if report.next_slot is not None:
        lines.append(
            "  "
            + tr(
                "each new order that is not cancelled adds room; {count} more orders in this "
                "window make room for one more cancellation",
                count=report.next_slot,
            )
        )
    lines += [
        "  "
        + tr(
            "{order} ({treatment}) leaves the window on {day}",
            order=item.order_id,
            treatment=item.treatment,
            day=item.leaves_on,
        )
        for item in report.leaving
    ]
    lines.append(
        "  "
        + tr(
            "projected {day}: {rate} ({cancelled}/{orders}, assuming {new} new orders and "
            "{planned} planned cancellations)",
            day=ahead.day,
            rate=percent(ahead.rate),
            cancelled=ahead.cancellations,
            orders=ahead.orders,
            new=ahead.expected_new_orders,
            planned=ahead.planned,
        )
    )
    if report.health is not None:
        h = report.health
        lines.append(
            f"  Amazon ({h.date_from:%Y-%m-%d}..{h.date_to:%Y-%m-%d} UTC, {h.metric_key}):"
            f" {percent(h.rate)} ({h.cancellation_count}/{h.order_count}), "
            + tr("target {rate}, status {status}", rate=percent(h.target), status=h.status)
        )
    lines += [
        "  "
        + tr(
            "SKU {sku}: {level} ({cancelled} of {orders} orders cancelled in 30 days)",
            sku=risk.sku,
            level=risk.level,
            cancelled=risk.cancellations,
            orders=risk.orders,
        )
        for risk in report.offers
    ]
    return lines
