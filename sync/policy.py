"""Pure rules: a listing's sources' recent observations -> the quantity Amazon should show.

``decide`` is a pure function of its arguments (no clock, no store, no I/O) so it can be
tested exhaustively and replayed: the same history always gives the same Decision.

Per source, the newest observation gives a verdict (table below); the listing then combines
them: every *required* source must be usable and at least one source must be usable. A
listing going back above 0 needs ``restore_after`` consecutive IN_STOCK observations of the
source(s) it relies on; going to 0 needs one. Nothing here ever treats "not known" as "in
stock": UNKNOWN, a stale observation and a missing one all mean 0, except the optional bounded
hold, which may only *keep* a quantity that is already live, for at most N minutes.

=====================  ===================================================================
reason code            when (for the source that decides)
=====================  ===================================================================
``no-sources``         the listing has no source
``no-observation``     the source was never checked
``stale``              its newest observation is older than ``max_observation_age_hours``
``unknown``            the newest observation is UNKNOWN (blocked, error, layout...)
``unknown-hold``       UNKNOWN/stale, live listing, within ``unknown_hold_minutes``: kept
``out-of-stock``       OUT_OF_STOCK
``shipping-delay``     stated delay longer than the handling time allows
``over-max-cost``      supplier price above the listing's max_cost (same currency)
``currency-mismatch``  price and max_cost in different currencies (never guess FX)
``low-quantity``       stated quantity minus safety buffer is less than one pack
``restore-pending``    in stock, but fewer than K consecutive IN_STOCK observations yet
``in-stock``           usable: the listing's default quantity, capped by stated quantity
=====================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.config import PolicySettings
from sync.domain import Availability, Decision, Listing, Observation, Source

IN_STOCK = "in-stock"
RESTORE_PENDING = "restore-pending"
UNKNOWN_HOLD = "unknown-hold"


@dataclass(frozen=True)
class SourceVerdict:
    """What one source's recent observations allow: a capacity (units) or a reason for 0."""

    source_ref: str
    reason: str
    capacity: int  # Amazon units this source can back; 0 when not usable
    evidence: str
    streak: int  # consecutive IN_STOCK observations at the end of the history

    @property
    def usable(self) -> bool:
        return self.capacity > 0


def decide(
    listing: Listing,
    history: Mapping[str, Sequence[Observation]],
    current_quantity: int | None,
    now: datetime,
    settings: PolicySettings,
) -> Decision:
    """The target quantity for ``listing`` from each source's observations (newest last).

    ``current_quantity`` is what Amazon shows now (None: not known, treated as not live).
    """
    if not listing.sources:
        return _decision(listing, 0, "no-sources", "the listing has no supplier source", now)
    live = current_quantity is not None and current_quantity > 0
    held_quantity = current_quantity if live and current_quantity is not None else 0
    verdicts = [
        judge_source(listing, src, history.get(src.ref, ()), now, settings, held_quantity)
        for src in listing.sources
    ]
    chosen = _combine(listing, verdicts)
    if not chosen.usable:
        return _decision(listing, 0, chosen.reason, chosen.evidence, now, chosen.source_ref)
    if not live:
        ready = _ready_to_restore(listing, verdicts, chosen, settings.restore_after)
        if not ready.usable:
            return _decision(listing, 0, ready.reason, ready.evidence, now, ready.source_ref)
        chosen = ready
    quantity = min(listing.default_quantity, chosen.capacity)
    if chosen.reason == UNKNOWN_HOLD:
        # A hold may keep, never raise, what is live.
        quantity = min(quantity, held_quantity)
    return _decision(listing, quantity, chosen.reason, chosen.evidence, now, chosen.source_ref)


def judge_source(
    listing: Listing,
    source: Source,
    history: Sequence[Observation],
    now: datetime,
    settings: PolicySettings,
    held_quantity: int = 0,
) -> SourceVerdict:
    """The verdict of one source from its observations (newest last)."""
    ref = source.ref
    if not history:
        return _hold_or_zero(
            ref, "no-observation", "never checked", None, now, settings, held_quantity
        )
    latest = history[-1]
    streak = _in_stock_streak(history)
    max_age = timedelta(hours=settings.max_observation_age_hours)
    if now - latest.checked_at > max_age:
        evidence = f"last checked {latest.checked_at.isoformat()}: {latest.evidence}"
        return _hold_or_zero(
            ref, "stale", evidence, latest.checked_at + max_age, now, settings, held_quantity
        )
    if latest.availability is Availability.UNKNOWN:
        since = _unknown_since(history)
        evidence = f"{latest.reason}: {latest.evidence}"
        return _hold_or_zero(ref, "unknown", evidence, since, now, settings, held_quantity)
    if latest.availability is Availability.OUT_OF_STOCK:
        return SourceVerdict(ref, "out-of-stock", 0, latest.evidence, 0)
    return _judge_in_stock(listing, latest, streak, settings)


def _judge_in_stock(
    listing: Listing, obs: Observation, streak: int, settings: PolicySettings
) -> SourceVerdict:
    ref, evidence = obs.source_ref, obs.evidence
    allowed_days = listing.handling_days - settings.handling_margin_days
    if obs.ships_within_days is not None and obs.ships_within_days > allowed_days:
        why = f"ships within {obs.ships_within_days} days > {allowed_days} allowed: {evidence}"
        return SourceVerdict(ref, "shipping-delay", 0, why, streak)
    if listing.max_cost is not None and obs.price is not None:
        if obs.price.currency != listing.max_cost.currency:
            why = f"price {obs.price} vs max cost {listing.max_cost}: {evidence}"
            return SourceVerdict(ref, "currency-mismatch", 0, why, streak)
        if obs.price.amount > listing.max_cost.amount:
            why = f"price {obs.price} > max cost {listing.max_cost}: {evidence}"
            return SourceVerdict(ref, "over-max-cost", 0, why, streak)
    capacity = listing.default_quantity
    if obs.quantity is not None:
        pack = max(listing.pack_size, 1)
        capacity = min(capacity, max(obs.quantity - listing.safety_buffer, 0) // pack)
        if capacity <= 0:
            why = (
                f"stated quantity {obs.quantity} - buffer {listing.safety_buffer} "
                f"< pack {pack}: {evidence}"
            )
            return SourceVerdict(ref, "low-quantity", 0, why, streak)
    return SourceVerdict(ref, IN_STOCK, max(capacity, 0), evidence, streak)


def _hold_or_zero(
    ref: str,
    reason: str,
    evidence: str,
    since: datetime | None,
    now: datetime,
    settings: PolicySettings,
    held_quantity: int,
) -> SourceVerdict:
    """UNKNOWN-like verdicts: 0, or a bounded hold of a quantity that is already live."""
    hold = timedelta(minutes=settings.unknown_hold_minutes)
    if held_quantity > 0 and since is not None and hold > timedelta(0) and now - since < hold:
        until = (since + hold).isoformat()
        return SourceVerdict(
            ref,
            UNKNOWN_HOLD,
            held_quantity,
            f"{reason} since {since.isoformat()}, held until {until}: {evidence}",
            0,
        )
    return SourceVerdict(ref, reason, 0, evidence, 0)


def _combine(listing: Listing, verdicts: list[SourceVerdict]) -> SourceVerdict:
    """The verdict that decides: a failing required source, else the best usable one."""
    required = [v for v in verdicts if _is_required(listing, v)]
    failing = [v for v in required if not v.usable]
    if failing:
        return failing[0]
    if required:
        # The scarcest component limits; a held one caps at what is live.
        return min(required, key=lambda v: (v.capacity, v.reason != UNKNOWN_HOLD))
    usable = [v for v in verdicts if v.usable]
    if not usable:
        return verdicts[0]
    # Prefer a source that could restore now, then the one backing the most units.
    return max(usable, key=lambda v: (v.reason != UNKNOWN_HOLD, v.capacity))


def _ready_to_restore(
    listing: Listing, verdicts: list[SourceVerdict], chosen: SourceVerdict, needed: int
) -> SourceVerdict:
    """The verdict a listing at 0 may restore on: each source relied on needs a K-streak.

    Returns a ``restore-pending`` verdict (capacity 0) naming the source still short.
    """
    required = [v for v in verdicts if _is_required(listing, v)]
    if required:
        short = [v for v in required if v.streak < needed]
        return _pending(short[0], needed) if short else chosen
    ready = [v for v in verdicts if v.usable and v.streak >= needed]
    if not ready:
        return _pending(chosen, needed)
    return max(ready, key=lambda v: v.capacity)


def _pending(v: SourceVerdict, needed: int) -> SourceVerdict:
    return SourceVerdict(
        v.source_ref,
        RESTORE_PENDING,
        0,
        f"{v.streak} of {needed} consecutive IN_STOCK: {v.evidence}",
        v.streak,
    )


def _is_required(listing: Listing, verdict: SourceVerdict) -> bool:
    return any(s.required and s.ref == verdict.source_ref for s in listing.sources)


def _in_stock_streak(history: Sequence[Observation]) -> int:
    count = 0
    for obs in reversed(history):
        if obs.availability is not Availability.IN_STOCK:
            break
        count += 1
    return count


def _unknown_since(history: Sequence[Observation]) -> datetime:
    """When the trailing run of UNKNOWN observations began."""
    since = history[-1].checked_at
    for obs in reversed(history):
        if obs.availability is not Availability.UNKNOWN:
            break
        since = obs.checked_at
    return since


def _decision(
    listing: Listing,
    quantity: int,
    reason: str,
    evidence: str,
    now: datetime,
    source_ref: str | None = None,
) -> Decision:
    return Decision(
        sku=listing.sku,
        marketplace=listing.marketplace,
        target_quantity=quantity,
        reason=reason,
        evidence=evidence,
        decided_at=now,
        source_ref=source_ref,
    )


def plan_changes(
    items: Iterable[Listing],
    history: Mapping[str, Sequence[Observation]],
    current: Mapping[tuple[str, str], int | None],
    now: datetime,
    settings: PolicySettings,
) -> list[Decision]:
    """Decide every listing; return the decisions that change what Amazon shows.

    ``current`` maps (sku, marketplace) to the quantity Amazon shows (absent: not known, so
    any decision is a change). The dry run of ``stockguard plan`` and each sync pass use it.
    """
    changes = []
    for item in items:
        shown = current.get((item.sku, item.marketplace))
        decision = decide(item, history, shown, now, settings)
        if shown is None or decision.target_quantity != shown:
            changes.append(decision)
    return changes
