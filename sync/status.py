"""`stockguard status`: the one-screen state of a catalogue, read from the store only.

Three views of the listings, kept apart because they differ while changes are in flight:

* **on Amazon**: the quantity Amazon last accepted or showed on read-back (live / at 0 /
  never read), never what stockguard merely wants;
* **the policy**: the newest decision per listing (live / at 0, the at-0 reasons counted);
* **where they differ, and why**: queued, waiting for a quota or a retry, sent awaiting
  Amazon, refused by Amazon, Amazon not read yet, not sent yet, not yet decided.

The listing figures come from one grouped query (``sync.status_query.listing_states``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, case, func, select, true

from stockguard.core.i18n import tr, when
from stockguard.core.store.observation_tables import observations
from stockguard.core.store.outbox_tables import outbox
from stockguard.sync.host_health import host_of
from stockguard.sync.status_query import AGREE, StateCount, listing_states

OPEN_STATES = ("pending", "sending", "sent")


@dataclass
class Status:
    """What `status` shows."""

    listings: int = 0
    account: str | None = None  # the one seller account shown; None: every account
    by_account: Counter[str] = field(default_factory=Counter)  # listings per seller account
    amazon: Counter[str] = field(default_factory=Counter)  # live / at 0 / never read
    policy: Counter[str] = field(default_factory=Counter)  # live / at 0 / not decided
    zero_reasons: Counter[str] = field(default_factory=Counter)  # the policy's at-0 reasons
    differ: Counter[str] = field(default_factory=Counter)  # why -> listings
    live_but_zero: int = 0  # live on Amazon while the policy wants 0
    checks_last_hour: int = 0
    last_push: datetime | None = None
    last_readback: datetime | None = None  # Amazon's quantities last read back
    pending_outbox: int = 0
    errors_by_host: Counter[str] = field(default_factory=Counter)
    # per item API (lane "api:NAME"): (items read in the last hour, UNKNOWN among them,
    # items per hour its quota allows; 0 when not configured)
    api_use: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    audit_disagreements: int = 0  # API and page disagreed (24 h); the worse reading held

    def add(self, state: StateCount) -> None:
        """Count one group of listings."""
        n = state.listings
        self.listings += n
        self.by_account[state.account] += n
        self.amazon[state.amazon] += n
        self.policy[state.policy] += n
        if state.policy == "at 0":
            self.zero_reasons[state.reason] += n
        if state.why != AGREE:
            self.differ[state.why] += n
        if state.amazon == "live" and state.policy == "at 0":
            self.live_but_zero += n

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for a table: the three views, then the machinery."""
        errors = ", ".join(f"{h}: {n}" for h, n in self.errors_by_host.most_common(8))
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.zero_reasons.items()))
        differ = sum(self.differ.values())
        rows = [("seller account", self.account)] if self.account is not None else []
        rows += [("listings", str(self.listings))]
        if self.account is None and len(self.by_account) > 1:  # several: each one's share
            rows += [
                (f"  {tr('account')} {name}", str(n)) for name, n in sorted(self.by_account.items())
            ]
        rows += [
            ("on Amazon: live (>0)", str(self.amazon["live"])),
            ("on Amazon: at 0", str(self.amazon["at 0"])),
            ("on Amazon: never read", str(self.amazon["never read"])),
            ("policy wants: live", str(self.policy["live"])),
            ("policy wants: 0", str(self.policy["at 0"])),
            ("policy's reasons for 0", reasons or "none"),
            ("policy: not decided yet", str(self.policy["not decided"])),
            ("Amazon differs from the policy", str(differ)),
        ]
        rows += [
            (f"  {tr('differs')}: {tr(why)}", str(n)) for why, n in sorted(self.differ.items())
        ]
        rows += [
            ("live on Amazon while the policy wants 0", str(self.live_but_zero)),
            ("supplier checks in the last hour", str(self.checks_last_hour)),
            ("last push accepted", when(self.last_push, seconds=True, missing=tr("never"))),
            (
                "last read-back from Amazon",
                when(self.last_readback, seconds=True, missing=tr("never")),
            ),
            ("outbox rows not yet answered", str(self.pending_outbox)),
            ("unreadable checks by supplier host (24 h)", errors or "none"),
        ]
        for lane, (read, unknown, capacity) in sorted(self.api_use.items()):
            limit = f"of {capacity} its quota allows" if capacity else "(not configured)"
            rows.append((f"{lane} quota, last hour", f"{read} items {limit}, {unknown} unknown"))
        if self.api_use:
            rows.append(("API/page audit disagreements (24 h)", str(self.audit_disagreements)))
        return [
            (label if label.startswith("  ") else tr(label), tr(value)) for label, value in rows
        ]


def read_status(
    db: Engine,
    now: datetime,
    quotas: Mapping[str, int] | None = None,
    account: str | None = None,
) -> Status:
    """Gather the status figures (a handful of aggregate queries); ``quotas``: items per hour
    each item API's quota allows, by lane (``api:amazon-jp``). ``account``: that seller
    account's listings and pushes only (supplier checks and hosts are shared by all)."""
    status = Status(account=account)
    mine = true() if account is None else outbox.c.account == account
    with db.connect() as conn:
        for state in listing_states(conn, account):
            status.add(state)
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
                mine,
                outbox.c.state.in_(("accepted", "applied")),
                outbox.c.kind != "readback",  # a quantity read back is not a push
            )
        )
        status.last_readback = conn.scalar(
            select(func.max(outbox.c.closed_at)).where(mine, outbox.c.kind == "readback")
        )
        status.pending_outbox = int(
            conn.scalar(
                select(func.count())
                .select_from(outbox)
                .where(mine, outbox.c.state.in_(OPEN_STATES))
            )
            or 0
        )
        status.errors_by_host = _unreadable_by_host(conn, now)
        status.api_use = _api_use(conn, now, quotas or {})
        if status.api_use:
            status.audit_disagreements = int(
                conn.scalar(
                    select(func.count())
                    .select_from(observations)
                    .where(
                        observations.c.checked_at >= now - timedelta(hours=24),
                        observations.c.adapter.like("api:%"),
                        observations.c.evidence.like("audit disagreement%"),
                    )
                )
                or 0
            )
    return status


def _api_use(
    conn: Connection, now: datetime, quotas: Mapping[str, int]
) -> dict[str, tuple[int, int, int]]:
    """Items each item API read in the last hour, the UNKNOWN among them, and its quota."""
    unknown = func.sum(case((observations.c.availability == "UNKNOWN", 1), else_=0))
    query = (
        select(observations.c.adapter, func.count().label("n"), unknown.label("u"))
        .where(
            observations.c.checked_at >= now - timedelta(hours=1),
            observations.c.adapter.like("api:%"),
        )
        .group_by(observations.c.adapter)
    )
    found = {lane: (0, 0, capacity) for lane, capacity in quotas.items()}
    for row in conn.execute(query):
        found[row.adapter] = (int(row.n), int(row.u or 0), quotas.get(row.adapter, 0))
    return found


def _unreadable_by_host(conn: Connection, now: datetime) -> Counter[str]:
    """UNKNOWN checks of the last 24 hours per supplier host (counted per URL in SQL)."""
    where = func.coalesce(observations.c.url, observations.c.source_ref)
    query = (
        select(where.label("where"), func.count().label("n"))
        .where(
            observations.c.availability == "UNKNOWN",
            observations.c.checked_at >= now - timedelta(hours=24),
        )
        .group_by(where)
    )
    found: Counter[str] = Counter()
    for row in conn.execute(query):
        found[host_of(row.where)] += int(row.n)
    return found
