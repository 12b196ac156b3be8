"""Order searches shared by Orders v0 getOrders and v2026 searchOrders: filter and pages.

A search is "created" or "updated" between two times (exactly one "after" is required; a
"before", when given, must not be later than two minutes ago). Page tokens carry the whole
filter and the offset, so a NextToken alone fetches the next page, as in v0.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from stockguard.core.domain import MARKETPLACES_BY_ID
from stockguard.doubles.emulator.regions import (
    INVALID_MARKETPLACES,
    NOT_IN_REGION,
    outside_region,
)
from stockguard.doubles.emulator.state import OrderState
from stockguard.doubles.emulator.wire import iso, parse_iso

BEFORE_LAG = timedelta(minutes=2)
MAX_MARKETPLACES = 50


class QueryError(ValueError):
    """The search parameters are invalid (-> 400 InvalidInput with this message)."""


@dataclass
class OrderFilter:
    """What an order search selects."""

    by: str  # "created" | "updated" | "ids"
    after: str | None = None
    before: str | None = None
    statuses: list[str] = field(default_factory=list)  # v0 names
    channels: list[str] = field(default_factory=list)  # MFN | AFN
    marketplaces: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    offset: int = 0

    def matches(self, order: OrderState) -> bool:
        if self.order_ids and order.order_id not in self.order_ids:
            return False
        if self.statuses and order.status not in self.statuses:
            return False
        if self.channels and order.fulfillment_channel not in self.channels:
            return False
        if self.marketplaces and order.marketplace_id not in self.marketplaces:
            return False
        if self.by == "ids":
            return True
        moment = order.purchase_date if self.by == "created" else order.last_update_date
        low = parse_iso(self.after) if self.after else None
        high = parse_iso(self.before) if self.before else None
        return (low is None or moment >= low) and (high is None or moment <= high)

    def token(self, offset: int) -> str:
        """An opaque page token for the page starting at ``offset``."""
        data = asdict(self) | {"offset": offset}
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def from_token(token: str) -> OrderFilter:
    """The filter a page token was made from; QueryError if it is not one of ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        return OrderFilter(**data)
    except (ValueError, TypeError) as exc:
        raise QueryError("Invalid pagination token.") from exc


def time_window(
    created_after: str | None,
    created_before: str | None,
    updated_after: str | None,
    updated_before: str | None,
    now: datetime,
) -> tuple[str, str, str]:
    """(by, after, before) from the four time parameters, checked as Amazon checks them."""
    if (created_after is None) == (updated_after is None):
        raise QueryError("Exactly one of createdAfter and lastUpdatedAfter is required.")
    if created_after is not None and updated_before is not None:
        raise QueryError("lastUpdatedBefore cannot be set with createdAfter.")
    if updated_after is not None and created_before is not None:
        raise QueryError("createdBefore cannot be set with lastUpdatedAfter.")
    by = "created" if created_after is not None else "updated"
    after_text = created_after if created_after is not None else updated_after
    before_text = created_before if created_after is not None else updated_before
    try:
        after = parse_iso(after_text or "")
        before = parse_iso(before_text) if before_text else now
    except ValueError as exc:
        raise QueryError("Dates must be in ISO 8601 format.") from exc
    if before_text and before > now - BEFORE_LAG:
        raise QueryError("The 'before' date must be at least two minutes before the request.")
    if before < after:
        raise QueryError("The 'before' date must be equal to or after the 'after' date.")
    return by, iso(after) or "", iso(before) or ""


def page_size(text: str | None) -> int:
    """maxResultsPerPage: 1..100, default 100."""
    try:
        size = int(text) if text else 100
    except ValueError as exc:
        raise QueryError("maxResultsPerPage must be an integer.") from exc
    if not 1 <= size <= 100:
        raise QueryError("maxResultsPerPage must be between 1 and 100.")
    return size


def run(
    orders: list[OrderState], flt: OrderFilter, size: int
) -> tuple[list[OrderState], str | None]:
    """One page of matching orders (oldest first) and the next page's token, if any."""

    def key(order: OrderState) -> tuple[datetime, str]:
        moment = order.purchase_date if flt.by == "created" else order.last_update_date
        return moment, order.order_id

    found = sorted((o for o in orders if flt.matches(o)), key=key)
    page = found[flt.offset : flt.offset + size]
    more = flt.offset + size < len(found)
    return page, flt.token(flt.offset + size) if more else None


def check_values(values: list[str], allowed: tuple[str, ...], name: str) -> list[str]:
    """Refuse values outside an enum."""
    bad = [v for v in values if v not in allowed]
    if bad:
        raise QueryError(f"Invalid {name} value(s): {', '.join(bad)}.")
    return values


class OutOfRegion(QueryError):
    """A marketplace of another region (-> 403 Unauthorized, as Amazon answers)."""


def check_marketplaces(ids: list[str], region: str) -> list[str]:
    """MarketplaceIds: at most 50, each a known one, all of the account's region (an endpoint
    serves one region: a marketplace of another is refused)."""
    if len(ids) > MAX_MARKETPLACES:
        raise QueryError(f"At most {MAX_MARKETPLACES} marketplace ids are allowed.")
    unknown = [i for i in ids if i not in MARKETPLACES_BY_ID]
    if unknown:
        raise QueryError(f"{INVALID_MARKETPLACES} {', '.join(unknown)}")
    if outside_region(region, ids):
        raise OutOfRegion(NOT_IN_REGION)
    return ids
