"""What two checks of a source say about its stock-out and restock rates.

A supplier is a two-state Markov chain: in stock, running out at rate ``rho``; out, restocking
at rate ``nu``. Checks see it only at moments, so counting the changes seen and the time
between checks is biased: an out-of-stock spell shorter than the gap between two checks is
missed entirely, and a long gap between two IN_STOCK checks is not a long in-stock time (the
chain may have been out and back). In a catalogue checked about daily, with spells of a few
days, that counting misses a third of all stock-outs.

The exact chance of each pair of checks is known (``P(state at t + g | state at t)`` of the
chain), and its logarithm, as a function of ``rho``, is close to the Poisson form
``changes x log(rho) - rho x exposure``, with an *effective* exposure for the gap (its
derivative at the current estimate). So the planner keeps a count and an effective exposure
per source, as before, and its Poisson-grid posterior stays exact to first order; the same
for ``nu`` over out-of-stock gaps. At the maximum, counts ÷ exposures are the chain's
maximum-likelihood rates (an EM fixed point).
"""

from __future__ import annotations

import math


def exposure(was_in: bool, now_in: bool, gap_days: float, rho: float, nu: float) -> float:
    """Effective exposure of one gap for the rate of leaving the state seen first.

    ``was_in``/``now_in``: the states seen at the two checks, ``gap_days`` apart; ``rho`` and
    ``nu``: current estimates of the stock-out and restock rates (per day). The rate the gap
    informs is ``rho`` when the first check saw stock and ``nu`` when it saw none.
    """
    leave, back = (rho, nu) if was_in else (nu, rho)
    kappa = max(leave + back, 1e-12)
    x = kappa * max(gap_days, 0.0)
    if x < 1e-9:
        return 0.0
    decay = math.exp(-x)
    spent = -math.expm1(-x)  # 1 - exp(-kappa g): chance the chain mixed during the gap
    if was_in != now_in:  # the state changed somewhere inside the gap
        return 1.0 / kappa - gap_days * decay / spent
    stay = 1.0 - leave / kappa * spent  # chance of seeing the same state again
    return (back / kappa**2 * spent + leave / kappa * gap_days * decay) / stay
