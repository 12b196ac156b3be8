"""The planner's rate estimates from history and live evidence (see ``sync.risk``).

``HistoryModel.fit`` reads the order history before stockguard started as a Markov-modulated
Poisson process (``sync.risk.history_loglik``), fits the population's sales-rate prior (and
the stock-out prior where enough listings sold to say anything), and keeps each listing's
evidence on both rates. ``sales`` and ``stockouts`` then add what was seen since: orders while
live, and the stock-outs the planner's own checks caught.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from stockguard.sync.risk import (
    LAM_GRID,
    MU_GRID,
    FloatArray,
    fit_lognormal,
    history_loglik,
    log_weights,
    lognormal_weights,
    posterior_mean,
)


def _likes(series: list[FloatArray], days: float, nu: float) -> FloatArray:
    """Per-listing history likelihood on the joint grid, each scaled to a maximum of 1."""
    ll = history_loglik(series, 0.0, days, nu)
    ll -= ll.max(axis=(1, 2), keepdims=True)
    result: FloatArray = np.exp(ll, out=ll)  # in place: a batch is 5,000 x 64 x 32 floats
    return result


class HistoryModel:
    """Priors and per-listing evidence from the order history, combined with live evidence.

    The stock-out prior is fitted only on units that carry information about it (listings
    with a few history orders, sources watched for some days): a catalogue that never sold
    says nothing about its suppliers, and the default prior stands until something does.
    """

    MIN_UNITS = 20  # fewer informative units than this: keep the default stock-out prior
    FIT_SAMPLE = 5_000  # at most this many listings fit the priors
    STOCKOUT_FIT_SAMPLE = 50_000  # at most this many sources fit the stock-out prior
    MAX_JOINT = 64 * 32 * 20_000  # keep the joint (sales, stock-out) history up to this size
    EVIDENCE_BATCH = 1_000  # listings per likelihood batch of the evidence (16 MB each)
    BLOCK = 8_192  # listings (or sources) per block of the posterior means
    joint: Any = None  # per listing: history likelihood on LAM_GRID x MU_GRID (float32)
    _live_lam: Any = None  # the live sales evidence of the last ``sales``, kept for the joint

    def __init__(
        self,
        log_lam_prior: FloatArray,
        default_mu: FloatArray,
        hist_lam: FloatArray,
        hist_mu: FloatArray,
        informative: Any,
        hist_row: Any = None,
    ) -> None:
        """``hist_lam``/``hist_mu``: evidence rows; ``hist_row``: each listing's row (listings
        that never sold share one), one row per listing when omitted."""
        self.log_lam_prior, self.default_mu = log_lam_prior, default_mu
        # A flat row last, for listings that joined after the fit.
        self.hist_lam = np.vstack([hist_lam, np.zeros((1, hist_lam.shape[1]))])
        self.hist_mu = np.vstack([hist_mu, np.zeros((1, hist_mu.shape[1]))])
        self.informative = informative
        self.hist_row = np.arange(hist_lam.shape[0]) if hist_row is None else hist_row
        self.listings = self.hist_row.shape[0]

    @classmethod
    def fit(
        cls,
        orders: Mapping[int, Sequence[float]],
        listings: int,
        start: float,
        end: float,
        outage_days: float,
        stockouts_per_day: float,
    ) -> HistoryModel:
        """Fit the sales prior and keep each listing's marginal evidence on both rates.

        ``orders``: the order times of the listings (numbered 0 .. ``listings`` - 1) that
        have any; the rest never sold (most of a large catalogue: not listed one by one)."""
        p_mu = lognormal_weights(MU_GRID, np.log(stockouts_per_day) - 0.5, 1.0)
        if not listings:
            empty = np.zeros((0, MU_GRID.size))
            p_lam = lognormal_weights(LAM_GRID, np.log(0.1) - 2, 2.0)
            return cls(
                log_weights(p_lam),
                log_weights(p_mu),
                np.zeros((0, LAM_GRID.size)),
                empty,
                np.zeros(0, dtype=bool),
            )
        series = {k: np.asarray(o, dtype=np.float64) for k, o in sorted(orders.items()) if o}
        nu = 1.0 / outage_days
        days = (end - start) / 86400.0
        sold = list(series)
        empty_count = listings - len(sold)
        # Fit the priors on a sample; listings that never sold share one likelihood row.
        step = max(1, -(-len(sold) // cls.FIT_SAMPLE))
        sample = sold[::step]
        like = _likes([series[k] for k in sample] + [np.zeros(0)], days, nu)
        scale = len(sample) / len(sold) if sold else 1.0
        weights = np.array([1.0] * len(sample) + [empty_count * scale])
        informative = np.array([series[k].size >= 3 for k in sample] + [False])
        p_lam = lognormal_weights(LAM_GRID, np.log(0.1) - 2, 2.0)
        for _ in range(3):  # alternate: each prior fitted with the other integrated out
            hist_lam = log_weights(like @ p_mu)
            p_lam = lognormal_weights(LAM_GRID, *fit_lognormal(hist_lam, LAM_GRID, weights))
            if informative.sum() < cls.MIN_UNITS:
                break
            hist_mu = log_weights(np.einsum("jab,a->jb", like, p_lam))
            p_mu = lognormal_weights(MU_GRID, *fit_lognormal(hist_mu[informative], MU_GRID))
        empty_like = like[-1].copy()
        del like  # the sample's likelihoods (~80 MB) are not needed for the evidence pass
        return cls._evidence(series, listings, empty_like, days, nu, p_lam, p_mu)

    @classmethod
    def _evidence(
        cls,
        series: dict[int, FloatArray],
        n: int,
        empty_like: FloatArray,
        days: float,
        nu: float,
        p_lam: FloatArray,
        p_mu: FloatArray,
    ) -> HistoryModel:
        """Every listing's marginal evidence on each rate (and the joint when small enough);
        ``series``: the order times of the listings that sold, by listing."""
        sold = list(series)
        keep_joint = n * LAM_GRID.size * MU_GRID.size <= cls.MAX_JOINT
        joint = np.empty((n, LAM_GRID.size, MU_GRID.size), np.float32) if keep_joint else None
        # Row 0: every listing that never sold (a million listings need not hold copies of it).
        hist_lam = np.empty((len(sold) + 1, LAM_GRID.size))
        hist_mu = np.empty((len(sold) + 1, MU_GRID.size))
        hist_lam[0] = log_weights(empty_like @ p_mu)
        hist_mu[0] = log_weights(p_lam @ empty_like)
        hist_row = np.zeros(n, dtype=np.int64)
        hist_row[sold] = np.arange(1, len(sold) + 1)
        if joint is not None:
            joint[:] = empty_like
        for lo in range(0, len(sold), cls.EVIDENCE_BATCH):
            rows = sold[lo : lo + cls.EVIDENCE_BATCH]
            like = _likes([series[k] for k in rows], days, nu)
            hist_lam[1 + lo : 1 + lo + len(rows)] = log_weights(like @ p_mu)
            hist_mu[1 + lo : 1 + lo + len(rows)] = log_weights(np.einsum("jab,a->jb", like, p_lam))
            if joint is not None:
                joint[rows] = like
        informative = np.zeros(n, dtype=bool)
        informative[[k for k in sold if series[k].size >= 3]] = True
        model = cls(log_weights(p_lam), log_weights(p_mu), hist_lam, hist_mu, informative, hist_row)
        model.joint = joint
        return model

    def sales(self, orders: FloatArray, live_days: FloatArray) -> FloatArray:
        """Posterior-mean sales rate per listing, adding orders seen since the start.

        Worked in blocks of listings: at 100,000 listings the whole (listing x grid) arrays
        would cost a few hundred MB at once. The live evidence is kept only for the joint.
        Without the joint, listings with the same evidence (history row, orders, live days:
        most of a large catalogue never sold and was never dark) are worked out once.
        """
        n = orders.size
        if self.joint is not None:
            return self._sales_each(orders, live_days, np.arange(n))
        rows = self._history_rows(np.arange(n))
        first, inverse = _groups(rows, orders, live_days)
        each = self._sales_each(orders[first], live_days[first], first, rows[first])
        self._live_lam = None
        result: FloatArray = each[inverse]
        return result

    def _sales_each(
        self, orders: FloatArray, live_days: FloatArray, listings: Any, rows: Any = None
    ) -> FloatArray:
        """``sales`` one listing at a time (``rows``: their history rows, when known)."""
        n = orders.size
        live_lam = np.empty((n, LAM_GRID.size)) if self.joint is not None else None
        result = np.empty(n)
        for lo in range(0, n, self.BLOCK):
            part = slice(lo, lo + self.BLOCK)
            live = (
                orders[part, None] * np.log(LAM_GRID)[None, :]
                - live_days[part, None] * LAM_GRID[None, :]
            )
            live = live + self.log_lam_prior[None, :]
            if live_lam is not None:
                live_lam[part] = live
            if rows is None:
                hist = self._history(self.hist_lam, listings[part])
            else:
                hist = self.hist_lam[rows[part]]
            result[part] = posterior_mean(hist + live, LAM_GRID)
        self._live_lam = live_lam
        return result

    def stockouts(self, listing_of: Any, seen: FloatArray, in_days: FloatArray) -> FloatArray:
        """Posterior-mean stock-out rate per source: history evidence plus what checks saw."""
        n = int(listing_of.max(initial=-1)) + 1

        def evidence(rows: Any) -> FloatArray:  # rows: a slice or index array of sources
            found: FloatArray = self._history(self.hist_mu, listing_of[rows])
            found = found + seen[rows, None] * np.log(MU_GRID)[None, :]
            found -= in_days[rows, None] * MU_GRID[None, :]
            return found

        informed = (in_days >= 2.0) | self._flags(n)[listing_of]
        log_prior = self.default_mu
        if informed.sum() >= self.MIN_UNITS:
            units = np.flatnonzero(informed)
            # An even sample fixes the prior's two numbers as well as all of them (a million
            # sources would take seconds): the same for catalogues up to the sample's size.
            units = units[:: max(1, -(-units.size // self.STOCKOUT_FIT_SAMPLE))]
            fitted = fit_lognormal(evidence(units), MU_GRID)
            log_prior = log_weights(lognormal_weights(MU_GRID, *fitted))
        if self.joint is not None and self.joint.shape[0] >= n and self._live_lam is not None:
            log_post = evidence(slice(None)) + log_prior[None, :]
            history = self._history(self.hist_mu, listing_of)
            return self._joint_stockouts(listing_of, log_post - history)
        result = np.empty(listing_of.size)
        for lo in range(0, listing_of.size, self.BLOCK):
            part = slice(lo, lo + self.BLOCK)
            result[part] = posterior_mean(evidence(part) + log_prior[None, :], MU_GRID)
        return result

    def _joint_stockouts(self, listing_of: Any, mu_live: FloatArray) -> FloatArray:
        """E[sales x stock-out] / E[sales] per source: the rate that matters for oversells,
        from the joint history (a listing that sells daily and fell silent for days) and
        the live evidence on each rate."""
        out = np.empty(listing_of.size)
        lam_w = np.exp(self._live_lam - self._live_lam.max(axis=1, keepdims=True))
        mu_w = np.exp(mu_live - mu_live.max(axis=1, keepdims=True))
        for lo in range(0, listing_of.size, 4096):
            part = slice(lo, lo + 4096)
            j = listing_of[part]
            # Sum over the stock-out grid first (batched matrix products), then over sales.
            over_mu = np.matmul(self.joint[j], mu_w[part][:, :, None])[:, :, 0]
            over_mu_mu = np.matmul(self.joint[j], (mu_w[part] * MU_GRID)[:, :, None])[:, :, 0]
            lam_side = lam_w[j] * LAM_GRID
            e_lam = (lam_side * over_mu).sum(axis=1)
            out[part] = (lam_side * over_mu_mu).sum(axis=1) / np.maximum(e_lam, 1e-300)
        return out

    def _flags(self, n: int) -> Any:
        if self.informative.size >= n:
            return self.informative[:n]
        return np.concatenate([self.informative, np.zeros(n - self.informative.size, bool)])

    def _history(self, table: FloatArray, listings: Any) -> FloatArray:
        """The history evidence rows of ``listings`` in ``table`` (hist_lam or hist_mu); a
        flat row for listings that joined after the fit."""
        found: FloatArray = table[self._history_rows(listings)]
        return found

    def _history_rows(self, listings: Any) -> Any:
        """Each listing's row in the history tables (the flat last one: joined after the fit)."""
        known = listings < self.listings
        row = self.hist_row[np.where(known, listings, 0)] if self.listings else listings * 0
        return np.where(known, row, self.hist_lam.shape[0] - 1)


def _groups(*keys: Any) -> tuple[Any, Any]:
    """Rows with equal ``keys``: the first row of each group, and each row's group number
    (one stable sort; ``np.unique(axis=0)`` takes ten times longer)."""
    order = np.lexsort(keys[::-1])
    starts = np.ones(order.size, dtype=bool)
    for key in keys:
        ranked = key[order]
        starts[1:] &= ranked[1:] == ranked[:-1]
    starts[1:] = ~starts[1:]
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return order[starts], inverse
