"""Risk estimators for the planner: rates from little data, and the value of a check.

Arithmetic kept apart from the planner's bookkeeping so it can be tested and reasoned about
on its own (``sync.risk_history.HistoryModel`` combines it into per-listing estimates):

* ``shrunk_rates``: empirical-Bayes rate estimates. Each listing's sales rate (orders per live
  day) and each source's stock-out rate (stock-outs per in-stock day) come from a handful of
  events, often none. Raw counts / exposure would call every listing without an order "never
  sells" and a listing with one lucky order "sells daily". Instead the population's spread is
  fitted (a lognormal prior over rates, by maximum marginal likelihood of the Poisson counts)
  and each unit's estimate is its posterior mean under that prior: a listing with no data gets
  the population mean, one with many events gets about its own count / exposure.

* ``check_index``: how much a check of a source is worth *now*. While unchecked, a live
  listing's chance of selling something the supplier no longer has grows like
  ``p(t) = rho/kappa * (1 - exp(-kappa t))`` (two-state Markov supplier, stock-out rate
  ``rho``, restock rate ``nu``, ``kappa = rho + nu``); a listing at 0 waiting for a restock
  loses sales at the same kind of growing rate. For a cost rate ``c(t)`` that a check resets,
  the classic renewal result is: check when ``t c(t) - integral_0^t c`` reaches the price of a
  check. That quantity is the index: for small t it is ``lambda rho t^2 / 2``, so checking the
  highest index first gives each source a check interval proportional to
  ``1 / sqrt(sales rate x flip rate)`` (the square-root rule), and it saturates for sources
  that rarely matter instead of letting them pile up priority forever.

* ``history_loglik``: what the order history says about both rates (below).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# A fixed grid over log(rate per day), wide enough for one event a century to hundreds a day.
_LOG_GRID = np.linspace(np.log(1e-6), np.log(500.0), 480)
_RATES = np.exp(_LOG_GRID)
_MEANS = np.arange(-10.0, 3.01, 0.25)  # candidate prior means of log(rate)
_SIGMAS = np.arange(0.1, 3.51, 0.2)  # candidate prior spreads of log(rate)


def shrunk_rates(counts: FloatArray, exposures: FloatArray) -> tuple[FloatArray, float, float]:
    """Posterior-mean rates per unit, and the fitted lognormal prior (mu, sigma) of log rate.

    ``counts[i]`` events were seen over ``exposures[i]`` days. Units with no exposure get the
    prior mean.
    """
    counts = np.asarray(counts, dtype=np.float64)
    exposures = np.maximum(np.asarray(exposures, dtype=np.float64), 0.0)
    if counts.size == 0:
        return np.zeros(0), float(_MEANS[0]), float(_SIGMAS[0])
    pairs, inverse = np.unique(
        np.stack([counts, np.round(exposures, 2)], axis=1), axis=0, return_inverse=True
    )
    weight = np.bincount(inverse.ravel(), minlength=len(pairs)).astype(np.float64)
    like = _likelihood(pairs[:, 0], pairs[:, 1])
    mu, sigma = _fit_prior(like, weight)
    prior = _prior(np.array([mu]), np.array([sigma]))[:, 0]
    post = like * prior
    mean = (post @ _RATES) / np.maximum(post.sum(axis=1), 1e-300)
    return mean[inverse.ravel()], mu, sigma


def _likelihood(counts: FloatArray, exposures: FloatArray) -> FloatArray:
    """Poisson likelihood of each (count, exposure) on the rate grid, scaled per row to max 1."""
    mean = exposures[:, None] * _RATES[None, :]
    log_like = counts[:, None] * np.log(np.maximum(mean, 1e-300)) - mean
    log_like[exposures <= 0, :] = 0.0  # no exposure: no information
    log_like -= log_like.max(axis=1, keepdims=True)
    result: FloatArray = np.exp(log_like)
    return result


def _prior(mus: FloatArray, sigmas: FloatArray) -> FloatArray:
    """Normalised prior weights on the grid (columns: one per (mu, sigma) candidate)."""
    z = (_LOG_GRID[:, None] - mus[None, :]) / sigmas[None, :]
    dens = np.exp(-0.5 * z * z)
    result: FloatArray = dens / dens.sum(axis=0, keepdims=True)
    return result


def _fit_prior(like: FloatArray, weight: FloatArray) -> tuple[float, float]:
    """The (mu, sigma) maximising the marginal likelihood, on a grid, then refined once."""
    mus, sigmas = (a.ravel() for a in np.meshgrid(_MEANS, _SIGMAS))
    best = _best(like, weight, mus, sigmas)
    fine_mu = np.arange(best[0] - 0.25, best[0] + 0.26, 0.05)
    fine_sigma = np.arange(max(best[1] - 0.2, 0.05), best[1] + 0.21, 0.05)
    mus, sigmas = (a.ravel() for a in np.meshgrid(fine_mu, fine_sigma))
    return _best(like, weight, mus, sigmas)


def _best(
    like: FloatArray, weight: FloatArray, mus: FloatArray, sigmas: FloatArray
) -> tuple[float, float]:
    marginal = like @ _prior(mus, sigmas)
    score = weight @ np.log(np.maximum(marginal, 1e-300))
    i = int(np.argmax(score))
    return float(mus[i]), float(sigmas[i])


def check_index(
    t_days: FloatArray, sales: FloatArray, rho: FloatArray, nu: FloatArray | float
) -> FloatArray:
    """The value of checking now after ``t_days`` unchecked (see the module docstring).

    ``sales``: orders per day while live; ``rho``: rate at which the state that hurts begins
    (stock-out for a live listing, restock for one at 0); ``nu``: the rate it ends.
    """
    kappa = np.maximum(rho + nu, 1e-12)
    x = kappa * np.maximum(t_days, 0.0)
    # (1 - e^-x)/kappa - t e^-x, written with expm1 so small x keeps its precision.
    shape = (-np.expm1(-x) - x * np.exp(-x)) / kappa
    result: FloatArray = sales * rho / kappa * shape
    return result


# --- what the order history says about stock-outs ---------------------------------------
# Before stockguard ran, a listing's orders stopped while its supplier was out (the listing
# went to 0). A listing that sells daily and shows a four-day silence has probably been out
# once; one that sold steadily for a month probably rarely runs out. The order stream is a
# Markov-modulated Poisson process: rate lambda while the supplier has stock, nothing while it
# is out (stock-out rate mu, restock rate nu). Its likelihood factorises over the gaps between
# orders, because at each order the supplier is known to have had stock.
LAM_GRID = np.exp(np.linspace(np.log(1e-4), np.log(100.0), 64))
MU_GRID = np.exp(np.linspace(np.log(1e-3), np.log(5.0), 32))
_HEAD, _INNER, _TAIL, _EMPTY = 0, 1, 2, 3


_GAP_EDGES = np.geomspace(1e-5, 1e3, 241)  # gap lengths (days) are binned: ratio 1.08 a bin
_GAP_MID = np.sqrt(_GAP_EDGES[:-1] * _GAP_EDGES[1:])


def history_loglik(orders: list[FloatArray], start: float, end: float, nu: float) -> FloatArray:
    """Log-likelihood of each listing's order times (days) on LAM_GRID x MU_GRID.

    Shape (listings, len(LAM_GRID), len(MU_GRID)). ``orders[j]`` holds listing j's order
    times within [start, end). Gaps are binned on a log scale (8% wide), so the cost is one
    small table per segment kind and a matrix product, whatever the number of orders.
    """
    listing, gap, kind = _segments(orders, start, end)
    lam, mu = (a.ravel() for a in np.meshgrid(LAM_GRID, MU_GRID, indexing="ij"))
    bins = _GAP_MID.size
    table = np.concatenate(
        [
            _segment_loglik(_GAP_MID[:, None], np.full((bins, 1), k), lam[None, :], mu[None, :], nu)
            for k in (_HEAD, _INNER, _TAIL, _EMPTY)
        ]
    )
    column = kind * bins + np.clip(np.searchsorted(_GAP_EDGES, gap) - 1, 0, bins - 1)
    counts_table = np.zeros((len(orders), 4 * bins))
    np.add.at(counts_table, (listing, column), 1.0)
    total = counts_table @ table
    counts = np.array([len(o) for o in orders], dtype=np.float64)
    total += counts[:, None] * np.log(lam)[None, :]
    result: FloatArray = total.reshape(len(orders), LAM_GRID.size, MU_GRID.size)
    return result


def _segments(orders: list[FloatArray], start: float, end: float) -> tuple[Any, Any, Any]:
    ids: list[Any] = []
    gaps: list[Any] = []
    kinds: list[Any] = []
    for j, times in enumerate(orders):
        t = np.sort(np.asarray(times, dtype=np.float64))
        if t.size == 0:
            g, k = np.array([end - start]), np.array([_EMPTY])
        else:
            g = np.concatenate([[t[0] - start], np.diff(t), [end - t[-1]]])
            k = np.full(g.size, _INNER)
            k[0], k[-1] = _HEAD, _TAIL
        ids.append(np.full(g.size, j))
        gaps.append(g)
        kinds.append(k)
    return (
        np.concatenate(ids).astype(np.int64),
        np.concatenate(gaps).astype(np.float64),
        np.concatenate(kinds).astype(np.int64),
    )


def _segment_loglik(
    g: FloatArray, kind: Any, lam: FloatArray, mu: FloatArray, nu: float
) -> FloatArray:
    """log of the chance of no order over a gap, with the supplier state at its ends.

    exp(Q g) for the sub-generator Q = [[-(mu+lam), mu], [nu, -nu]] (orders removed), in the
    closed form of a 2x2 matrix exponential: eigenvalues s1 > s2, both negative.
    """
    a = -(mu + lam)
    tr, det = a - nu, lam * nu
    root = np.sqrt(np.maximum(tr * tr - 4 * det, 0.0))
    s1, s2 = (tr + root) / 2, (tr - root) / 2
    span = np.maximum(s1 - s2, 1e-12)
    decay = np.exp((s2 - s1) * g)  # e2 / e1, in (0, 1]
    m_ii = ((a - s2) - (a - s1) * decay) / span
    off = (1 - decay) / span  # times mu (in->out) or nu (out->in)
    m_oo = ((-nu - s2) - (-nu - s1) * decay) / span
    p_in = nu / (mu + nu)
    head = p_in * m_ii + (1 - p_in) * nu * off
    tail = m_ii + mu * off
    empty = p_in * (m_ii + mu * off) + (1 - p_in) * (nu * off + m_oo)
    factor = np.where(
        kind == _INNER, m_ii, np.where(kind == _HEAD, head, np.where(kind == _TAIL, tail, empty))
    )
    result: FloatArray = s1 * g + np.log(np.maximum(factor, 1e-300))
    return result


def fit_lognormal(
    loglik: FloatArray, grid: FloatArray, weights: FloatArray | None = None
) -> tuple[float, float]:
    """The lognormal prior (mu, sigma of log rate) that best explains per-unit likelihoods."""
    like = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    log_grid = np.log(grid)
    means = np.arange(log_grid[0], log_grid[-1] + 1e-9, 0.25)
    sigmas = np.arange(0.1, 3.51, 0.2)
    mus, sig = (a.ravel() for a in np.meshgrid(means, sigmas))
    weights = np.ones(like.shape[0]) if weights is None else weights
    best = _best_on(like, mus, sig, log_grid, weights)
    fine_mu = np.arange(best[0] - 0.25, best[0] + 0.26, 0.05)
    fine_sig = np.arange(max(best[1] - 0.2, 0.05), best[1] + 0.21, 0.05)
    mus, sig = (a.ravel() for a in np.meshgrid(fine_mu, fine_sig))
    return _best_on(like, mus, sig, log_grid, weights)


def lognormal_weights(grid: FloatArray, mu: float, sigma: float) -> FloatArray:
    """Normalised prior weights of a lognormal on ``grid``."""
    z = (np.log(grid) - mu) / sigma
    w = np.exp(-0.5 * z * z)
    result: FloatArray = w / w.sum()
    return result


_UNITS_PER_BLOCK = 8_192


def _best_on(
    like: FloatArray, mus: FloatArray, sigmas: FloatArray, log_grid: FloatArray, weights: FloatArray
) -> tuple[float, float]:
    z = (log_grid[:, None] - mus[None, :]) / sigmas[None, :]
    prior = np.exp(-0.5 * z * z)
    prior /= prior.sum(axis=0, keepdims=True)
    # In blocks of units: (units x candidates) at once is ~1 GB for 150,000 sources.
    score = np.zeros(mus.size)
    for lo in range(0, like.shape[0], _UNITS_PER_BLOCK):
        part = slice(lo, lo + _UNITS_PER_BLOCK)
        score += weights[part] @ np.log(np.maximum(like[part] @ prior, 1e-300))
    i = int(np.argmax(score))
    return float(mus[i]), float(sigmas[i])


def log_weights(weights: FloatArray) -> FloatArray:
    """Logarithm of prior weights, with a floor instead of -inf."""
    result: FloatArray = np.log(np.maximum(weights, 1e-300))
    return result


def posterior_mean(log_post: FloatArray, grid: FloatArray) -> FloatArray:
    """Posterior mean per row of unnormalised log posteriors on ``grid``."""
    w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    # einsum, not ``w @ grid``: BLAS rounds a row differently with its neighbours, and a
    # row's mean must not depend on them (sync.risk_history works out equal rows once).
    result: FloatArray = np.einsum("ij,j->i", w, grid) / w.sum(axis=1)
    return result
