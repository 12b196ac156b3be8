"""What `stockguard plan` prints: per listing, Amazon now, the policy's target, why, and where
the delivery of that target stands; then one summary line.

The listings shown are exactly ``SyncEngine.changes`` of the engine's own decisions (what a
`sync --once` would send); nothing here decides again. "Amazon now" is the quantity Amazon
last accepted or showed on read-back, not a target still in flight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table

from stockguard.cli.plain import plain
from stockguard.core.domain import Decision, PoolKey
from stockguard.core.i18n import tr
from stockguard.sync import policy
from stockguard.sync.status_query import Delivery

OPEN = ("pending", "sending", "sent")


@dataclass(frozen=True)
class PlanRow:
    """One listing of the plan."""

    decision: Decision
    amazon: int | None  # last accepted / read back; None: not read yet
    delivery: str
    changes: bool  # a `sync --once` would send this target


def plan_rows(
    decisions: Sequence[Decision],
    changed: Sequence[Decision],
    found: dict[PoolKey, Delivery],
) -> list[PlanRow]:
    """A row per decision, in the decisions' order, marked when its pool changes (one push
    sets the SKU's quantity in all its marketplaces)."""
    wanted = {d.key.pool for d in changed}
    rows = []
    for d in decisions:
        seen = found.get(d.key.pool)
        is_change = d.key.pool in wanted
        amazon = None if seen is None else seen.amazon
        rows.append(PlanRow(d, amazon, delivery_text(d, seen, is_change), is_change))
    return rows


def delivery_text(decision: Decision, seen: Delivery | None, is_change: bool) -> str:
    """Where the decided quantity stands on its way to Amazon."""
    target = decision.target_quantity
    if seen is not None and seen.quantity == target and seen.state in OPEN:
        if seen.state == "sent":
            return f"sent, feed {seen.feed_id} processing"
        retry = f" (again after: {seen.error})" if seen.error else ""
        return ("queued" if seen.state == "pending" else "sending") + retry
    if not is_change and seen is not None and seen.amazon == target:
        return "on Amazon"
    if seen is not None and seen.quantity == target and seen.state == "failed":
        return f"refused: {seen.error or 'no detail'}" + (" (sent again)" if is_change else "")
    if is_change:
        if seen is not None and seen.state in OPEN:
            return f"not sent (replaces queued {seen.quantity})"
        return "not sent"
    if seen is None or seen.amazon is None:
        if decision.reason == policy.RESTORE_PENDING:
            return "left alone: restore pending, Amazon not read yet"
        return "Amazon not read yet"
    return "on its way"  # an open target equal to the decision, as the engine counts it


def plan_table(rows: Sequence[PlanRow], title: str, several: bool = False) -> Table:
    """The plan as a table; ``several``: seller accounts to tell apart (an Account column)."""
    table = Table(title=tr(title))
    columns = ("SKU", "market", "Amazon now", "target", "reason", "evidence", "delivery")
    for column in ("Account", *columns) if several else columns:
        table.add_column(tr(column))
    for row in rows:
        d = row.decision
        now = "not read yet" if row.amazon is None else str(row.amazon)
        cells = (d.sku, d.marketplace, now, d.target_quantity, d.reason, d.evidence[:60])
        whose = (d.account,) if several else ()
        table.add_row(*map(plain, (*whose, *cells, row.delivery)))
    return table


def summary(rows: Sequence[PlanRow]) -> str:
    """One line: what a sync would send, what is already on its way, what is left alone."""
    sends = [r for r in rows if r.changes]
    to_zero = sum(1 for r in sends if r.decision.target_quantity == 0)
    refused = sum(1 for r in sends if r.delivery.startswith("refused"))
    unread = sum(1 for r in sends if r.amazon is None)
    kinds = Counter(_kind(r.delivery) for r in rows if not r.changes)
    return (
        f"{len(sends)} change(s) a `sync --once` would send: {to_zero} to 0, "
        f"{len(sends) - to_zero} up ({refused} refused before, {unread} not read on Amazon yet); "
        f"not sent: {kinds['in flight']} already on their way, {kinds['left alone']} "
        f"restore(s) pending left alone (Amazon not read yet), {kinds['on Amazon']} as Amazon "
        f"shows them; {len(rows)} listing(s) decided from stored observations"
    )


def _kind(delivery: str) -> str:
    if delivery.startswith(("queued", "sending", "sent")):
        return "in flight"
    if delivery.startswith("refused"):
        return "refused"
    if delivery.startswith("left alone"):
        return "left alone"
    if delivery == "on Amazon":
        return "on Amazon"
    return "other"
