"""Wiring for `stockguard report cancellations`: the store and the gateway in, reports out.

Reads the stored orders (``core.store.orders.load_orders``), the open planned cancellations
that are not BuyerCanceled (they will count once sent: the projection adds them), and each
seller account's latest stored account-health figures; ``fetch_health`` asks Amazon for a
fresh report first, through the account's own gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from stockguard.cancellations.health import parse_account_health
from stockguard.cancellations.outlook import OFFER_DAYS
from stockguard.cancellations.report import MarketplaceReport, build_report, marketplaces_in
from stockguard.cancellations.store.cancellation_plan import OPEN_STATES, rows_in
from stockguard.cancellations.store.mail import HealthFigure, health_by_account, save_health
from stockguard.core.amazon.gateway import AmazonGateway
from stockguard.core.config import CancellationSettings
from stockguard.core.domain import DEFAULT_ACCOUNT, CancelReason, Order, marketplace
from stockguard.core.errors import InputError
from stockguard.core.store.orders import load_orders


def fetch_health(
    db: Engine, gateway: AmazonGateway, now: datetime, account: str = DEFAULT_ACCOUNT
) -> list[HealthFigure]:
    """Request GET_V2_SELLER_PERFORMANCE_REPORT through ``account``'s gateway, keep its
    cancellation figures as that account's, return them."""
    where = "account health report" + ("" if account == DEFAULT_ACCOUNT else f" of {account}")
    figures = parse_account_health(gateway.request_account_health(), where=where)
    save_health(db, figures, now, account)
    return [dataclasses.replace(f, account=account) for f in figures]


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
    account: str | None = None,
) -> list[MarketplaceReport]:
    """One report per seller account and marketplace (those asked for, else every one with
    orders or a figure): Amazon measures the rate per seller account, so two accounts'
    orders never share a rate. ``account``: only that account's."""
    if first is not None and last is not None and first > last:
        raise InputError(f"--from {first} is after --to {last}")
    # Enough history for the first window, the 30-day offer look-back and time-zone slack.
    base = first or (last or now.date()) - timedelta(days=settings.window_days)
    earliest = base - timedelta(days=settings.window_days + OFFER_DAYS + 2)
    since = datetime.combine(earliest, time(), tzinfo=UTC)
    orders = load_orders(db, since=since, account=account)
    health_of = health_by_account(db)
    planned = planned_order_ids(db)
    by_account: dict[str, list[Order]] = {
        name: [] for name in health_of if account in (None, name)
    }  # an account with Amazon's figure but no stored order is reported too
    for order in orders:
        by_account.setdefault(order.account, []).append(order)
    if not by_account:
        by_account[account or DEFAULT_ACCOUNT] = []
    reports = []
    for name, mine in sorted(by_account.items()):
        health = health_of.get(name, {})
        wanted = marketplace_ids(markets) or marketplaces_in(mine, health)
        reports += [
            dataclasses.replace(
                build_report(
                    mine,
                    market_id,
                    now=now,
                    settings=settings,
                    first=first,
                    last=last,
                    health=health.get(market_id),
                    planned=planned,
                ),
                account=name,
            )
            for market_id in wanted
        ]
    return reports
