"""getFeeds and getReports: the account's feeds or reports that match a filter, in pages.

Either the types (``feedTypes`` / ``reportTypes``, 1 to 10) or a ``nextToken`` is required;
``processingStatuses``, ``marketplaceIds`` (1 to 10, matching any), ``createdSince`` (default
90 days ago), ``createdUntil`` (default now) and ``pageSize`` (1 to 100, default 10) narrow
it. Newest first. A ``nextToken`` carries the whole filter and the offset, so it is used as
the only parameter and anything sent beside it is ignored (python-amazon-sp-api adds the
marketplace to every GET).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from stockguard.doubles.emulator.order_query import QueryError, check_marketplaces, check_values
from stockguard.doubles.emulator.wire import Request, parse_iso

STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
RETENTION = timedelta(days=90)
MAX_FILTER_VALUES = 10


@dataclass(frozen=True)
class Job:
    """What the filter looks at in a feed or a report."""

    job_id: str
    kind: str  # feed type or report type
    status: str
    marketplace_ids: list[str]
    created_at: datetime


@dataclass
class JobFilter:
    """One getFeeds/getReports search; a page token is this, encoded."""

    kinds: list[str]
    statuses: list[str]
    marketplaces: list[str]
    since: str
    until: str
    size: int = 10
    offset: int = 0

    def matches(self, job: Job) -> bool:
        return (
            job.kind in self.kinds
            and (not self.statuses or job.status in self.statuses)
            and (not self.marketplaces or bool(set(job.marketplace_ids) & set(self.marketplaces)))
            and parse_iso(self.since) <= job.created_at <= parse_iso(self.until)
        )

    def token(self, offset: int) -> str:
        data = asdict(self) | {"offset": offset}
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def parse(req: Request, kinds_param: str, region: str, now: datetime) -> JobFilter:
    """The filter a request asks for; QueryError (-> 400) or OutOfRegion (-> 403)."""
    token = req.arg("nextToken")
    if token:
        try:
            return JobFilter(**json.loads(base64.urlsafe_b64decode(token.encode()).decode()))
        except (ValueError, TypeError) as exc:
            raise QueryError("Invalid nextToken.") from exc
    kinds = req.arg_list(kinds_param)
    if not kinds:
        raise QueryError(f"Either {kinds_param} or nextToken is required.")
    marketplaces = req.arg_list("marketplaceIds")
    for name, values in ((kinds_param, kinds), ("marketplaceIds", marketplaces)):
        if len(values) > MAX_FILTER_VALUES:
            raise QueryError(f"At most {MAX_FILTER_VALUES} {name} are allowed.")
    since_text, until_text = req.arg("createdSince"), req.arg("createdUntil")
    try:
        since = parse_iso(since_text) if since_text else now - RETENTION
        until = parse_iso(until_text) if until_text else now
        size = int(req.arg("pageSize") or 10)
    except ValueError as exc:
        raise QueryError("createdSince, createdUntil or pageSize is not valid.") from exc
    if not 1 <= size <= 100:
        raise QueryError("pageSize must be between 1 and 100.")
    if since > until:
        raise QueryError("createdSince must be before createdUntil.")
    return JobFilter(
        kinds=kinds,
        statuses=check_values(req.arg_list("processingStatuses"), STATUSES, "processingStatuses"),
        marketplaces=check_marketplaces(marketplaces, region),
        since=since.isoformat(),
        until=until.isoformat(),
        size=size,
    )


def run(jobs: list[Job], flt: JobFilter) -> tuple[list[Job], str | None]:
    """One page of matching jobs, newest first, and the next page's token, if any."""
    found = sorted(
        (j for j in jobs if flt.matches(j)),
        key=lambda j: (j.created_at, int(j.job_id)),
        reverse=True,
    )
    page = found[flt.offset : flt.offset + flt.size]
    more = flt.offset + flt.size < len(found)
    return page, flt.token(flt.offset + flt.size) if more else None
