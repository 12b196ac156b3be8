"""Wiring for `stockguard report cancellations`: the store and the gateway in, reports out.

Reads the stored orders (``core.store.orders.load_orders``), the open planned cancellations
that are not BuyerCanceled (they will count once sent: the projection adds them), and the
latest stored account-health figures; ``fetch_health`` asks Amazon for a fresh report first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from stockguard.cancellations.health import parse_account_health
from stockguard.cancellations.outlook import OFFER_DAYS
from stockguard.cancellations.report import MarketplaceReport, build_report, marketplaces_in
from stockguard.cancellations.store.cancellation_plan import OPEN_STATES, rows_in
from stockguard.cancellations.store.mail import HealthFigure, latest_health, save_health
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.config import CancellationSettings
from stockguard.core.domain import CancelReason, marketplace
from stockguard.core.errors import InputError
from stockguard.core.store.orders import load_orders


def fetch_health(db: Engine, gateway: AmazonGateway, now: datetime) -> list[HealthFigure]:
    """Request GET_V2_SELLER_PERFORMANCE_REPORT, keep its cancellation figures, return them."""
    figures = parse_account_health(gateway.request_account_health(), where="account health report")
    save_health(db, figures, now)
    return figures


def planned_order_ids(db: Engine) -> set[str]:
    """Orders with an open planned cancellation that will count (not BuyerCanceled)."""
    return {
        row.order_id
        for row in rows_in(db, OPEN_STATES)
        if row.reason != CancelReason.BUYER_CANCELED.value
    }


def marketplace_ids(codes: Sequence[str]) -> list[str]:
    """``US``/``jp``/SP-API ids -> marketplace ids; an unknown one is an InputError."""
    found = []
    for code in codes:
        try:
            found.append(marketplace(code).marketplace_id)
        except KeyError:
            raise InputError(f"--marketplace {code}: unknown marketplace") from None
    return found


def gather_reports(
    db: Engine,
    settings: CancellationSettings,
    now: datetime,
    *,
    first: date | None = None,
    last: date | None = None,
    markets: Sequence[str] = (),
) -> list[MarketplaceReport]:
    """One report per marketplace (those asked for, else every one with orders or a figure)."""
    if first is not None and last is not None and first > last:
        raise InputError(f"--from {first} is after --to {last}")
    # Enough history for the first window, the 30-day offer look-back and time-zone slack.
    base = first or (last or now.date()) - timedelta(days=settings.window_days)
    earliest = base - timedelta(days=settings.window_days + OFFER_DAYS + 2)
    orders = load_orders(db, since=datetime.combine(earliest, time(), tzinfo=UTC))
    health = latest_health(db)
    wanted = marketplace_ids(markets) or marketplaces_in(orders, health)
    planned = planned_order_ids(db)
    return [
        build_report(
            orders,
            market_id,
            now=now,
            settings=settings,
            first=first,
            last=last,
            health=health.get(market_id),
            planned=planned,
        )
        for market_id in wanted
    ]
