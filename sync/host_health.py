"""How each supplier host is doing, from the stored checks: for the dashboard's hosts page.

Per host, over a window (24 hours by default): checks, how many were UNKNOWN and why
(blocked, error, layout changed...), checks in the last hour (against the planner's per-host
budget), the last check and the last check that could read the stock (IN_STOCK or
OUT_OF_STOCK, at any time). Grouped per URL in SQL, then folded into hosts here, as `status`
does for its unreadable checks (a feed's items have no URL: their host is "feed").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Connection, case, func, select

from stockguard.core.domain import Availability, UnknownReason
from stockguard.core.store.observation_tables import observations

FEED_HOST = "feed"


def host_of(where: str) -> str:
    """The host of a checked URL; a feed item's code has none."""
    return urlsplit(where).hostname or FEED_HOST


@dataclass
class HostHealth:
    """One supplier host's checks in the window."""

    host: str
    checks: int = 0
    unknown: Counter[str] = field(default_factory=Counter)  # UnknownReason value -> checks
    last_hour: int = 0
    last_check: datetime | None = None
    last_success: datetime | None = None

    @property
    def unknown_share(self) -> float:
        """The share of the window's checks that could not read the stock (0..1)."""
        return sum(self.unknown.values()) / self.checks if self.checks else 0.0

    @property
    def blocked(self) -> int:
        """Checks answered with a captcha, a bot check, 403/429/503."""
        return self.unknown[UnknownReason.BLOCKED.value]


def host_health(
    conn: Connection, now: datetime, window: timedelta = timedelta(hours=24)
) -> list[HostHealth]:
    """Every host checked in the window, the least healthy (largest UNKNOWN share) first."""
    where = func.coalesce(observations.c.url, observations.c.source_ref).label("where")
    unknown = observations.c.availability == Availability.UNKNOWN.value
    recent = case((observations.c.checked_at >= now - timedelta(hours=1), 1), else_=0)
    query = (
        select(
            where,
            observations.c.availability,
            observations.c.reason,
            func.count().label("n"),
            func.sum(recent).label("last_hour"),
            func.max(observations.c.checked_at).label("last"),
        )
        .where(observations.c.checked_at >= now - window)
        .group_by(where, observations.c.availability, observations.c.reason)
    )
    hosts: dict[str, HostHealth] = {}
    for row in conn.execute(query):
        health = hosts.setdefault(host_of(row.where), HostHealth(host_of(row.where)))
        health.checks += int(row.n)
        health.last_hour += int(row.last_hour or 0)
        if row.availability == Availability.UNKNOWN.value:
            health.unknown[row.reason or UnknownReason.ERROR.value] += int(row.n)
        health.last_check = _later(health.last_check, row.last)
    successes = (
        select(where, func.max(observations.c.checked_at).label("last"))
        .where(~unknown)
        .group_by(where)
    )
    for row in conn.execute(successes):
        if host_of(row.where) in hosts:
            found = hosts[host_of(row.where)]
            found.last_success = _later(found.last_success, row.last)
    return sorted(hosts.values(), key=lambda h: (-h.unknown_share, h.host))


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)
