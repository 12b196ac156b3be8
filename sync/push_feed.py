"""How a push's outbox rows become JSON_LISTINGS_FEEDs, and a finished feed's answer rows again.

Pure functions, no I/O: sync/pusher.py decides when to call Amazon and records the outcome;
this module decides which rows go by feed, how they are batched, and which rows a feed's
processing report refused. Kept apart so those rules can be read (and tested) without the
outbox and the gateway.
"""

from __future__ import annotations

from collections.abc import Sequence

from stockguard.core.amazon.results import FeedResult, ListingIssue
from stockguard.core.store.outbox import OutboxRow

MAX_FEED_MESSAGES = 25_000


def plan(rows: Sequence[OutboxRow], burst: int) -> tuple[list[OutboxRow], list[OutboxRow]]:
    """Split pending rows into (patch, feed): all by patch when few, else zeroings first."""
    if len(rows) <= burst:
        return list(rows), []
    zeroings = [r for r in rows if r.quantity == 0]
    urgent = {r.id for r in zeroings[:burst]}
    return [r for r in rows if r.id in urgent], [r for r in rows if r.id not in urgent]


def feed_batches(rows: Sequence[OutboxRow]) -> list[list[OutboxRow]]:
    """One feed per marketplace, at most MAX_FEED_MESSAGES messages each."""
    by_market: dict[str, list[OutboxRow]] = {}
    for row in rows:
        by_market.setdefault(row.marketplace_id, []).append(row)
    return [
        group[start : start + MAX_FEED_MESSAGES]
        for group in by_market.values()
        for start in range(0, len(group), MAX_FEED_MESSAGES)
    ]


def feed_errors(result: FeedResult, rows: Sequence[OutboxRow]) -> dict[int, str]:
    """Row id -> error message for the rows a finished feed did not apply.

    Issues name the SKU, or only the messageId (then the row at that position: messages are
    numbered from 1 in the order the rows were submitted, oldest first). A feed that did not
    end DONE, or an ERROR about the whole feed, refuses every row.
    """
    prefix = f"feed {result.feed_id}"
    if result.status != "DONE":
        return {r.id: f"{prefix} ended {result.status}" for r in rows}
    errors = {
        r.id: describe_issues(prefix, result.errors_by_key[r.sku])
        for r in rows
        if result.failed(r.sku)
    }
    report = result.report if isinstance(result.report, dict) else {}
    unnamed = [
        i
        for i in report.get("issues") or []
        if isinstance(i, dict)
        and not i.get("sku")
        and str(i.get("severity", "ERROR")).upper() == "ERROR"
    ]
    for issue in unnamed:
        position = issue.get("messageId")
        if isinstance(position, int) and 1 <= position <= len(rows):
            row = rows[position - 1]
            errors[row.id] = f"{prefix}: {issue.get('code', '')} {issue.get('message', '')}"
        elif position is None:
            whole = f"{prefix}: {issue.get('message', 'feed-level error')}"
            return {r.id: whole for r in rows}
    return errors


def describe_issues(what: str, issues: Sequence[ListingIssue]) -> str:
    """``what`` followed by the ERROR issues' codes and messages (warnings do not refuse)."""
    detail = "; ".join(f"{i.code} {i.message}".strip() for i in issues if i.severity == "ERROR")
    return f"{what}: {detail}" if detail else what
