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
``sold-through``       stated quantity minus the units sold on Amazon since that observation
                       (our own purchases from the supplier) is below buffer + one pack
``restore-pending``    in stock, but fewer than K consecutive IN_STOCK observations yet
``in-stock``           usable: the listing's default quantity, capped by stated quantity
=====================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stockguard.core.config import PolicySettings
from stockguard.core.domain import Availability, Decision, Listing, Observation, Reason, Source

IN_STOCK = Reason.IN_STOCK
RESTORE_PENDING = Reason.RESTORE_PENDING
UNKNOWN_HOLD = Reason.UNKNOWN_HOLD
SOLD_THROUGH = Reason.SOLD_THROUGH

Sale = tuple[datetime, int]  # (when ordered on Amazon, units)


@dataclass(frozen=True)
class SourceJudgement:
    """What one source's recent observations allow: a capacity (units) or a reason for 0."""

    source_ref: str
    reason: Reason
    capacity: int  # Amazon units this source can back; 0 when not usable
    evidence: str
    streak: int  # consecutive IN_STOCK observations at the end of the history
    expires_at: datetime | None = None  # when time alone could change this verdict

    @property
    def usable(self) -> bool:
        return self.capacity > 0


def decide(
    listing: Listing,
    history: Mapping[str, Sequence[Observation]],
    current_quantity: int | None,
    now: datetime,
    settings: PolicySettings,
    *,
    sales: Sequence[Sale] = (),
) -> Decision:
    """The target quantity for ``listing`` from each source's observations (newest last).

    ``current_quantity`` is what Amazon shows now (None: not known, treated as not live);
    ``sales`` are the listing's SKU's recent Amazon orders (any marketplace).
    """
    if not listing.sources:
        return _decision(listing, 0, "the listing has no supplier source", now)
    live = current_quantity is not None and current_quantity > 0
    held_quantity = current_quantity if live and current_quantity is not None else 0
    verdicts = [
        judge_source(
            listing, src, history.get(src.ref, ()), now, settings, held_quantity, sales=sales
        )
        for src in listing.sources
    ]
    review_at = min((v.expires_at for v in verdicts if v.expires_at), default=None)
    chosen = _combine(listing, verdicts)
    if not chosen.usable:
        return _decision(listing, 0, chosen, now, review_at)
    if not live:
        ready = _ready_to_restore(listing, verdicts, chosen, settings.restore_after)
        if not ready.usable:
            return _decision(listing, 0, ready, now, review_at)
        chosen = ready
    quantity = min(listing.default_quantity, chosen.capacity)
    if chosen.reason == UNKNOWN_HOLD:
        # A hold may keep, never raise, what is live.
        quantity = min(quantity, held_quantity)
    return _decision(listing, quantity, chosen, now, review_at)


def judge_source(
    listing: Listing,
    source: Source,
    history: Sequence[Observation],
    now: datetime,
    settings: PolicySettings,
    held_quantity: int = 0,
    *,
    sales: Sequence[Sale] = (),
) -> SourceJudgement:
    """The verdict of one source from its observations (newest last)."""
    ref = source.ref
    if not history:
        return SourceJudgement(ref, Reason.NO_OBSERVATION, 0, "never checked", 0)
    latest = history[-1]
    max_age = timedelta(hours=settings.max_observation_age_hours)
    if now - latest.checked_at >= max_age:
        # Staleness is never held: the first law wants fresh evidence for every live unit.
        evidence = f"last checked {latest.checked_at.isoformat()}: {latest.evidence}"
        return SourceJudgement(ref, Reason.STALE, 0, evidence, 0)
    if latest.availability is Availability.UNKNOWN:
        evidence = f"{latest.reason}: {latest.evidence}"
        return _hold_or_zero(ref, evidence, history, now, settings, held_quantity)
    if latest.availability is Availability.OUT_OF_STOCK:
        return SourceJudgement(ref, Reason.OUT_OF_STOCK, 0, latest.evidence, 0)
    expires_at = latest.checked_at + max_age  # then stale: time alone changes the verdict
    return _judge_in_stock(listing, latest, _in_stock_streak(history), settings, sales, expires_at)


def _judge_in_stock(
    listing: Listing,
    obs: Observation,
    streak: int,
    settings: PolicySettings,
    sales: Sequence[Sale],
    expires_at: datetime,
) -> SourceJudgement:
    ref, evidence = obs.source_ref, obs.evidence
    allowed_days = listing.handling_days - settings.handling_margin_days
    if obs.ships_within_days is not None and obs.ships_within_days > allowed_days:
        why = f"ships within {obs.ships_within_days} days > {allowed_days} allowed: {evidence}"
        return SourceJudgement(ref, Reason.SHIPPING_DELAY, 0, why, streak, expires_at)
    if listing.max_cost is not None and obs.price is not None:
        if obs.price.currency != listing.max_cost.currency:
            why = f"price {obs.price} vs max cost {listing.max_cost}: {evidence}"
            return SourceJudgement(ref, Reason.CURRENCY_MISMATCH, 0, why, streak, expires_at)
        if obs.price.amount > listing.max_cost.amount:
            why = f"price {obs.price} > max cost {listing.max_cost}: {evidence}"
            return SourceJudgement(ref, Reason.OVER_MAX_COST, 0, why, streak, expires_at)
    if obs.quantity is None:
        return SourceJudgement(
            ref, IN_STOCK, listing.default_quantity, evidence, streak, expires_at
        )
    return _judge_stated(listing, obs, streak, sales, expires_at)


def _judge_stated(
    listing: Listing,
    obs: Observation,
    streak: int,
    sales: Sequence[Sale],
    expires_at: datetime,
) -> SourceJudgement:
    """An IN_STOCK with a stated quantity: what is left of it after the buffer, one pack per
    unit, and the packs we bought from this supplier for Amazon orders since it was seen."""
    assert obs.quantity is not None
    pack = max(listing.pack_size, 1)
    sold = sum(units for at, units in sales if at > obs.checked_at)
    left = obs.quantity - sold * pack - listing.safety_buffer
    capacity = min(listing.default_quantity, max(left, 0) // pack)
    if capacity > 0:
        return SourceJudgement(obs.source_ref, IN_STOCK, capacity, obs.evidence, streak, expires_at)
    stated = f"stated quantity {obs.quantity} at {obs.checked_at.isoformat()}"
    if sold:
        why = (
            f"{stated} - {sold} sold on Amazon since ({sold * pack} supplier units) - buffer "
            f"{listing.safety_buffer} < pack {pack}: {obs.evidence}"
        )
        return SourceJudgement(obs.source_ref, SOLD_THROUGH, 0, why, streak, expires_at)
    why = f"{stated} - buffer {listing.safety_buffer} < pack {pack}: {obs.evidence}"
    return SourceJudgement(obs.source_ref, Reason.LOW_QUANTITY, 0, why, streak, expires_at)


def _hold_or_zero(
    ref: str,
    evidence: str,
    history: Sequence[Observation],
    now: datetime,
    settings: PolicySettings,
    held_quantity: int,
) -> SourceJudgement:
    """An UNKNOWN: 0, or a bounded hold of a quantity that is already live — never past
    ``unknown_hold_minutes`` from the first UNKNOWN, nor past the last IN_STOCK's freshness."""
    since = _unknown_since(history)
    last_in = next(
        (o.checked_at for o in reversed(history) if o.availability is Availability.IN_STOCK),
        None,
    )
    if held_quantity <= 0 or last_in is None or settings.unknown_hold_minutes <= 0:
        return SourceJudgement(ref, Reason.UNKNOWN, 0, evidence, 0)
    until = min(
        since + timedelta(minutes=settings.unknown_hold_minutes),
        last_in + timedelta(hours=settings.max_observation_age_hours),
    )
    if now >= until:
        return SourceJudgement(ref, Reason.UNKNOWN, 0, evidence, 0)
    why = f"unknown since {since.isoformat()}, held until {until.isoformat()}: {evidence}"
    return SourceJudgement(ref, UNKNOWN_HOLD, held_quantity, why, 0, until)


def _combine(listing: Listing, verdicts: list[SourceJudgement]) -> SourceJudgement:
    """The verdict that decides: a failing required source, else the best usable one."""
    required = _required(listing, verdicts)
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
    listing: Listing, verdicts: list[SourceJudgement], chosen: SourceJudgement, needed: int
) -> SourceJudgement:
    """The verdict a listing at 0 may restore on: each source relied on needs a K-streak.

    Returns a ``restore-pending`` verdict (capacity 0) naming the source still short.
    """
    required = _required(listing, verdicts)
    if required:
        short = [v for v in required if v.streak < needed]
        return _pending(short[0], needed) if short else chosen
    ready = [v for v in verdicts if v.usable and v.streak >= needed]
    if not ready:
        return _pending(chosen, needed)
    return max(ready, key=lambda v: v.capacity)


def _pending(v: SourceJudgement, needed: int) -> SourceJudgement:
    return SourceJudgement(
        v.source_ref,
        RESTORE_PENDING,
        0,
        f"{v.streak} of {needed} consecutive IN_STOCK: {v.evidence}",
        v.streak,
    )


def required_refs(listing: Listing) -> frozenset[str]:
    """The refs of the listing's required sources: each must be usable for it to be live."""
    return frozenset(s.ref for s in listing.sources if s.required)


def listing_usable(listing: Listing, usable: Mapping[str, bool]) -> bool:
    """The listing rule over its sources (ref -> usable; a source left out is not counted):
    every required source usable, and at least one source usable."""
    required = required_refs(listing)
    return any(usable.values()) and all(ok for ref, ok in usable.items() if ref in required)


def _required(listing: Listing, verdicts: list[SourceJudgement]) -> list[SourceJudgement]:
    """The verdicts of the listing's required sources (most listings have none)."""
    required = required_refs(listing)
    return [v for v in verdicts if v.source_ref in required] if required else []


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
    verdict: SourceJudgement | str,
    now: datetime,
    review_at: datetime | None = None,
) -> Decision:
    if isinstance(verdict, str):  # no source at all: the text is the evidence
        verdict = SourceJudgement("", Reason.NO_SOURCES, 0, verdict, 0)
    return Decision(
        sku=listing.sku,
        marketplace=listing.marketplace,
        target_quantity=quantity,
        reason=verdict.reason,
        evidence=verdict.evidence,
        decided_at=now,
        source_ref=verdict.source_ref or None,
        review_at=review_at,
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
