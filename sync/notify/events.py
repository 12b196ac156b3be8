"""Events: one line each, in the seller's language, from the reports the service already has."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from stockguard.core.i18n import tr
from stockguard.sync.push_report import PushReport
from stockguard.sync.readback import VerifyReport


class Topic(StrEnum):
    """What an event is about; a digest lists topics in this order."""

    STOPPED = "stopped"
    RATE = "rate"
    HOST = "host"
    PUSH_REFUSED = "push-refused"
    NOT_APPLIED = "not-applied"
    FEED_REFUSED = "feed-refused"
    CANCELLED = "cancelled"
    BUYER_REQUEST = "buyer-request"
    RETURN_REQUEST = "return-request"
    ZEROED = "zeroed"
    RESTORED = "restored"


TOPIC_TITLES = {
    Topic.STOPPED: "service stopped",
    Topic.RATE: "cancellation rate",
    Topic.HOST: "supplier hosts failing",
    Topic.PUSH_REFUSED: "pushes Amazon refused",
    Topic.NOT_APPLIED: "quantities Amazon did not apply",
    Topic.FEED_REFUSED: "feeds refused by the drift guard",
    Topic.CANCELLED: "orders cancelled",
    Topic.BUYER_REQUEST: "buyer cancellation requests",
    Topic.RETURN_REQUEST: "return requests",
    Topic.ZEROED: "listings zeroed",
    Topic.RESTORED: "listings restored",
}


@dataclass(frozen=True)
class Event:
    """One thing done or found, as one line for the seller."""

    topic: Topic
    text: str


def host_of(ref: str | None) -> str:
    """The supplier host of a source (``feed`` for a feed item)."""
    if not ref:
        return "-"
    return urlsplit(ref).hostname or ref.split(":")[0]


def change_event(
    sku: str,
    market: str,
    target: int,
    current: int | None,
    reason: str,
    evidence: str,
    ref: str | None,
) -> Event:
    """A quantity sent to Amazon: a zeroing (with the supplier and its evidence) or a restore."""
    why = f"{host_of(ref)} {evidence}".strip()[:100]
    if target == 0:
        return Event(
            Topic.ZEROED,
            tr("zeroed {sku} ({market}): {why}", sku=sku, market=market, why=why or reason),
        )
    was = "?" if current is None else str(current)
    return Event(
        Topic.RESTORED,
        tr(
            "restored {sku} ({market}): {was} -> {quantity}",
            sku=sku,
            market=market,
            was=was,
            quantity=target,
        ),
    )


def push_events(report: PushReport | None) -> list[Event]:
    """Each row Amazon refused in this push."""
    if report is None:
        return []
    return [
        Event(
            Topic.PUSH_REFUSED,
            tr(
                "Amazon refused {sku} quantity {quantity}: {message}",
                sku=o.sku,
                quantity=o.quantity,
                message=o.message[:120],
            ),
        )
        for o in report.failed
    ]


def verify_events(report: VerifyReport | None) -> list[Event]:
    """Each accepted quantity Amazon did not show on read-back (sent again)."""
    if report is None:
        return []
    return [
        Event(
            Topic.NOT_APPLIED,
            tr(
                "Amazon did not apply {sku} (shows {shown}): sent again",
                sku=sku,
                shown="?" if shown is None else shown,
            ),
        )
        for sku, shown in report.requeued
    ]
