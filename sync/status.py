"""`stockguard status`: the one-screen state of a catalogue, read from the store only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, func, select

from sync.store.listings import count_listings
from sync.store.observation_tables import decisions, observations
from sync.store.outbox_tables import outbox

UNKNOWN_REASONS = ("unknown", "unknown-hold", "stale", "no-observation")
OPEN_STATES = ("pending", "sending", "sent")


@dataclass
class Status:
    """What `status` shows."""

    listings: int = 0
    live: int = 0
    at_zero: int = 0
    unknown: int = 0
    checks_last_hour: int = 0
    last_push: datetime | None = None
    pending_outbox: int = 0
    errors_by_host: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for a table."""
        errors = ", ".join(f"{h}: {n}" for h, n in self.errors_by_host.most_common(8))
        return [
            ("listings", str(self.listings)),
            ("live on Amazon (>0)", str(self.live)),
            ("at 0", str(self.at_zero)),
            ("at 0 because a source could not be read", str(self.unknown)),
            ("supplier checks in the last hour", str(self.checks_last_hour)),
            (
                "last push accepted",
                f"{self.last_push:%Y-%m-%d %H:%M:%S}" if self.last_push else "never",
            ),
            ("outbox rows not yet answered", str(self.pending_outbox)),
            ("unreadable checks by supplier host (24 h)", errors or "none"),
        ]


def read_status(db: Engine, now: datetime) -> Status:
    """Gather the status figures (a handful of aggregate queries)."""
    status = Status(listings=count_listings(db))
    with db.connect() as conn:
        latest = _latest_decisions(conn)
        status.live = sum(1 for qty, _ in latest.values() if qty > 0)
        status.at_zero = sum(1 for qty, _ in latest.values() if qty == 0)
        status.unknown = sum(
            1 for qty, why in latest.values() if qty == 0 and why in UNKNOWN_REASONS
        )
        status.checks_last_hour = int(
            conn.scalar(
                select(func.count())
                .select_from(observations)
                .where(observations.c.checked_at >= now - timedelta(hours=1))
            )
            or 0
        )
        status.last_push = conn.scalar(
            select(func.max(outbox.c.closed_at)).where(
                outbox.c.state.in_(("accepted", "applied")),
                outbox.c.kind != "readback",  # a quantity read back is not a push
            )
        )
        status.pending_outbox = int(
            conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.state.in_(OPEN_STATES))
            )
            or 0
        )
        unreadable = conn.execute(
            select(observations.c.url, observations.c.source_ref).where(
                observations.c.availability == "UNKNOWN",
                observations.c.checked_at >= now - timedelta(hours=24),
            )
        )
        for url, ref in unreadable:
            status.errors_by_host[urlsplit(url or ref).hostname or "feed"] += 1
    return status


def _latest_decisions(conn: Connection) -> dict[tuple[str, str], tuple[int, str]]:
    """(SKU, marketplace) -> (target quantity, reason) of its newest decision."""
    newest = (
        select(decisions.c.sku, decisions.c.marketplace, func.max(decisions.c.id).label("id"))
        .group_by(decisions.c.sku, decisions.c.marketplace)
        .subquery()
    )
    query = select(
        decisions.c.sku, decisions.c.marketplace, decisions.c.target_quantity, decisions.c.reason
    ).join(newest, decisions.c.id == newest.c.id)
    rows = conn.execute(query)
    return {(r.sku, r.marketplace): (r.target_quantity, r.reason) for r in rows}
