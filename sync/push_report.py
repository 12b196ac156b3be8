"""What a push did: one outcome per outbox row, and the whole push's report (sync/pusher.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stockguard.core.domain import DEFAULT_ACCOUNT, PoolKey
from stockguard.core.store.outbox import State


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one outbox row in this push."""

    sku: str
    marketplace_id: str
    quantity: int
    state: State  # accepted | failed | pending (deferred) | sent (feed still processing)
    via: str  # patch | feed
    submission_id: str | None = None
    feed_id: str | None = None
    message: str = ""
    account: str = DEFAULT_ACCOUNT

    @property
    def pool(self) -> PoolKey:
        """The quantity this row set: the account's SKU, in every marketplace it is listed in."""
        return PoolKey(self.sku, self.account)


@dataclass
class PushReport:
    """The whole push: what was queued, skipped, resumed, and each row's outcome."""

    queued: int = 0
    unchanged: list[str] = field(default_factory=list)
    resumed: int = 0
    superseded: int = 0
    reasserted: int = 0
    feed_ids: list[str] = field(default_factory=list)
    outcomes: dict[int, PushOutcome] = field(default_factory=dict)

    def add(self, other: PushReport) -> None:
        """Take in another push's report (one per seller account in a pass)."""
        self.queued += other.queued
        self.unchanged += other.unchanged
        self.resumed += other.resumed
        self.superseded += other.superseded
        self.reasserted += other.reasserted
        self.feed_ids += other.feed_ids
        self.outcomes.update(other.outcomes)

    def _in(self, *states: State) -> list[PushOutcome]:
        return [o for o in self.outcomes.values() if o.state in states]

    @property
    def accepted(self) -> list[PushOutcome]:
        return self._in(State.ACCEPTED)

    @property
    def failed(self) -> list[PushOutcome]:
        return self._in(State.FAILED)

    @property
    def deferred(self) -> list[PushOutcome]:
        """Rows left ``pending`` for the next push (a transient failure, a feed quota)."""
        return self._in(State.PENDING)

    @property
    def in_flight(self) -> list[PushOutcome]:
        """Rows in a feed Amazon is still processing: the next push reads its result."""
        return self._in(State.SENT)

    @property
    def ok(self) -> bool:
        """Nothing refused and nothing left pending (a feed still processing is not a fault)."""
        return not self.failed and not self.deferred
