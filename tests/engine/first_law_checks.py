"""The first law (issue 9), checked against a store and the emulator after a pass.

(a) every listing's quantity on Amazon (read from the emulator) equals the policy's target for
the evidence stored at that moment; (b) no listing is above 0 without, for at least one source
and for every ``required`` source, a newest stored observation that is IN_STOCK and no older than
``max_observation_age_hours``; where that observation states a quantity, the quantity minus the
units sold on Amazon since must still cover the safety buffer plus one pack. Part (b) reads the
stored observations and the emulator's order book itself, without ``sync.policy``.

A violation raises a subclass of ``FirstLawBroken`` named for what went wrong, so Hypothesis
keeps distinct failures apart (it tells bugs apart by exception type and place).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from stockguard.core.config import Settings
from stockguard.core.domain import Availability, Listing, Observation
from stockguard.core.store.observations import recent_observations
from stockguard.doubles.emulator import Emulator
from stockguard.sync import policy
from stockguard.sync.engine import HISTORY_DEPTH

# --- violations ---------------------------------------------------------------------------------


class FirstLawBroken(AssertionError):
    """A listing is not what the first law allows after a pass."""


class LiveWithoutEvidence(FirstLawBroken):
    """Above 0 with no stored observation at all for a source it relies on."""


class LiveOnStaleEvidence(FirstLawBroken):
    """Above 0 while its newest IN_STOCK is older than max_observation_age_hours."""


class LiveOnOutOfStock(FirstLawBroken):
    """Above 0 while the newest observation says OUT_OF_STOCK."""


class LiveOnUnknown(FirstLawBroken):
    """Above 0 while the newest observation is UNKNOWN (blocked, error...)."""


class LiveOnLowStatedQuantity(FirstLawBroken):
    """Above 0 while the stated quantity - safety buffer < one pack."""


class LiveOnDepletedSupply(FirstLawBroken):
    """Above 0 while stated quantity - units sold since - safety buffer < one pack."""


class OffTarget(FirstLawBroken):
    """Amazon's quantity differs from the policy's target for the stored evidence."""


FAILING_SOURCE = {
    "no-observation": LiveWithoutEvidence,
    "stale": LiveOnStaleEvidence,
    "out-of-stock": LiveOnOutOfStock,
    "unknown": LiveOnUnknown,
    "low-quantity": LiveOnLowStatedQuantity,
    "depleted": LiveOnDepletedSupply,
}


def policy_target(
    listing: Listing,
    history: Mapping[str, Sequence[Observation]],
    shown: int,
    now: datetime,
    settings: Settings,
    orders: Sequence[tuple[str, int, datetime]] = (),
) -> int:
    """The policy's quantity for this evidence and the SKU's orders on Amazon."""
    mine = {s.ref: history.get(s.ref, []) for s in listing.sources}
    sales = [(at, q) for sku, q, at in orders if sku == listing.sku]
    decided = policy.decide(listing, mine, shown, now, settings.policy, sales=sales)
    return decided.target_quantity


def sold_since(orders: Sequence[tuple[str, int, datetime]], sku: str, since: datetime) -> int:
    """Units of ``sku`` ordered on Amazon after ``since`` (cancelled orders left out)."""
    return sum(q for s, q, at in orders if s == sku and at > since)


def source_failure(
    listing: Listing,
    seen: Sequence[Observation],
    orders: Sequence[tuple[str, int, datetime]],
    now: datetime,
    max_age: timedelta,
) -> str | None:
    """Why this source cannot back a live listing (None: it can), read from the store alone."""
    if not seen:
        return "no-observation"
    newest = max(seen, key=lambda o: o.checked_at)
    if now - newest.checked_at > max_age:
        return "stale"
    if newest.availability is Availability.OUT_OF_STOCK:
        return "out-of-stock"
    if newest.availability is Availability.UNKNOWN:
        return "unknown"
    pack = max(listing.pack_size, 1)
    if newest.quantity is not None and newest.quantity - listing.safety_buffer < pack:
        return "low-quantity"
    if newest.quantity is not None:
        left = newest.quantity - sold_since(orders, listing.sku, newest.checked_at)
        if left - listing.safety_buffer < pack:
            return "depleted"
    return None


def evidence_failure(
    listing: Listing,
    history: Mapping[str, Sequence[Observation]],
    orders: Sequence[tuple[str, int, datetime]],
    now: datetime,
    max_age: timedelta,
) -> tuple[str, str] | None:
    """(reason, source) that forbids this listing to be live, or None when it may be."""
    failures = {
        s.ref: source_failure(listing, history.get(s.ref, []), orders, now, max_age)
        for s in listing.sources
    }
    for s in listing.sources:
        failure = failures[s.ref]
        if s.required and failure is not None:
            return failure, s.ref
    if any(f is None for f in failures.values()):
        return None
    first = listing.sources[0].ref
    return failures[first] or "no-observation", first


# --- the law, on any store and emulator -----------------------------------------------------------


def amazon_orders(emulator: Emulator) -> list[tuple[str, int, datetime]]:
    """(sku, units, purchased at) of every order on Amazon that was not cancelled."""
    return [
        (line.sku, line.quantity, order.purchase_date)
        for order in emulator.orders()
        if order.status != "Canceled"
        for line in order.items
    ]


def law_violations(
    db: Engine, listings: Sequence[Listing], emulator: Emulator, now: datetime, settings: Settings
) -> list[tuple[type[FirstLawBroken], str]]:
    """Every listing that breaks (b), else (a), now; with a line saying why."""
    refs = [s.ref for item in listings for s in item.sources]
    history = recent_observations(db, HISTORY_DEPTH, refs)
    orders = amazon_orders(emulator)
    max_age = timedelta(hours=settings.policy.max_observation_age_hours)
    found: list[tuple[type[FirstLawBroken], str]] = []
    for listing in listings:
        shown = emulator.quantity(listing.sku) or 0
        failure = evidence_failure(listing, history, orders, now, max_age)
        if shown > 0 and failure is not None:
            reason, ref = failure
            why = f"{listing.sku} at {shown} on Amazon: {reason} {ref}"
            found.append((FAILING_SOURCE[reason], why))
            continue
        target = policy_target(listing, history, shown, now, settings, orders)
        if target != shown:
            found.append((OffTarget, f"{listing.sku} at {shown} on Amazon, target {target}"))
    return found


def assert_law(
    db: Engine, listings: Sequence[Listing], emulator: Emulator, now: datetime, settings: Settings
) -> None:
    """Raise the FirstLawBroken subclass of the first violation, naming every one."""
    found = law_violations(db, listings, emulator, now, settings)
    if found:
        kind = found[0][0]
        raise kind("first law broken after a pass: " + "; ".join(why for _, why in found))


def pressure(
    db: Engine, listings: Sequence[Listing], emulator: Emulator, now: datetime
) -> dict[str, float]:
    """How close live listings are to breaking (b): for Hypothesis to steer toward.

    ``evidence-age-hours``: the oldest "freshest observation" among live listings;
    ``sold-against-stated``: the most units sold since a stated quantity, less its headroom.
    """
    refs = [s.ref for item in listings for s in item.sources]
    history = recent_observations(db, HISTORY_DEPTH, refs)
    orders = amazon_orders(emulator)
    age, sold = 0.0, -100.0
    for listing in listings:
        if not emulator.quantity(listing.sku):
            continue
        newest = [
            max(history[s.ref], key=lambda o: o.checked_at)
            for s in listing.sources
            if history.get(s.ref)
        ]
        if not newest:
            continue
        age = max(age, min((now - o.checked_at).total_seconds() / 3600 for o in newest))
        for obs in newest:
            if obs.quantity is not None:
                headroom = obs.quantity - listing.safety_buffer - max(listing.pack_size, 1)
                sold = max(sold, sold_since(orders, listing.sku, obs.checked_at) - headroom)
    return {"evidence-age-hours": age, "sold-against-stated": sold}
