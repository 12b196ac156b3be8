"""Quantity pools: Amazon keeps one merchant-fulfilled quantity per seller account and SKU,
shown in every marketplace the SKU is listed in (``PoolKey``).

A pool's listings are decided together: its target is the lowest of their decisions (a 0
anywhere wins), and a listing decided higher records the lower decision with its sibling's
reason and evidence, named. Pure: decisions in, decisions out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from stockguard.core.domain import Decision, ListingKey, PoolKey, primary_first


def pools_of(listings: Iterable[ListingKey]) -> dict[PoolKey, tuple[ListingKey, ...]]:
    """Each pool's listings, its primary (the one its push is addressed to) first."""
    found: dict[PoolKey, list[ListingKey]] = {}
    for key in listings:
        found.setdefault(key.pool, []).append(key)
    return {pool: tuple(sorted(keys, key=primary_first)) for pool, keys in found.items()}


def pooled(decisions: Sequence[Decision]) -> list[Decision]:
    """The decisions with each pool's target made its lowest: Amazon shows one quantity for
    all the SKU's marketplaces, so a 0 (or any lower quantity) in one listing holds in all.
    A listing decided higher than its pool says why it shows less: its sibling's reason and
    evidence, named."""
    lowest = {d.key.pool: d for d in pool_heads(decisions)}
    return [_capped(d, lowest[d.key.pool]) for d in decisions]


def pool_heads(decisions: Iterable[Decision]) -> list[Decision]:
    """One decision per pool: its lowest target (ties: the primary listing's)."""
    heads: dict[PoolKey, Decision] = {}
    for d in decisions:
        best = heads.get(d.key.pool)
        if best is None or _rank(d) < _rank(best):
            heads[d.key.pool] = d
    return list(heads.values())


def _rank(decision: Decision) -> tuple[int, tuple[int, str]]:
    return (decision.target_quantity, primary_first(decision.key))


def _capped(decision: Decision, lowest: Decision) -> Decision:
    if decision.target_quantity <= lowest.target_quantity:
        return decision
    evidence = f"same SKU in {lowest.marketplace} (one quantity on Amazon): {lowest.evidence}"
    return dataclasses.replace(
        lowest, sku=decision.sku, marketplace=decision.marketplace, evidence=evidence
    )
