"""MEME's statistics (binomial and Fisher tails, LOGEV), ported so that printed values
match MEME's."""

from __future__ import annotations

import math

import numpy as np

# MEME's constants, kept verbatim because the printed values depend on them.
_LOGEV_A = 1e-6
_LOGMINPROD = -13.8155105579643  # log(1e-6)
LOGMAXPROD = 4.60517018598809  # log(100)
_BETACF_MAXIT = 1000
_BETACF_EPS = 3.0e-7
_BETACF_FPMIN = 1.0e-300


def logev(logn: float, logp: float) -> float:
    """log of ``1 - (1 - p) ** n`` from log n and log p (MEME's ``LOGEV`` macro)."""
    s = logn + logp
    if s < _LOGMINPROD:
        return s
    if s > LOGMAXPROD:
        return 0.0
    if logn > LOGMAXPROD:
        return math.log(1 - math.pow(1 - _LOGEV_A, math.exp(s - _LOGMINPROD)))
    return math.log(1 - math.pow(1 - math.exp(logp), math.exp(logn)))


def logev_array(logn, logp) -> np.ndarray:
    """Vectorised :func:`logev` (may differ from it in the last bit)."""
    logn, logp = np.broadcast_arrays(np.asarray(logn, float), np.asarray(logp, float))
    s = logn + logp
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        big_n = np.log(1 - np.power(1 - _LOGEV_A, np.exp(s - _LOGMINPROD)))
        small_n = np.log(1 - np.power(1 - np.exp(logp), np.exp(logn)))
    out = np.where(logn > LOGMAXPROD, big_n, small_n)
    out = np.where(s > LOGMAXPROD, 0.0, out)
    return np.where(s < _LOGMINPROD, s, out)


def _away_from_zero(v: float) -> float:
    return _BETACF_FPMIN if abs(v) < _BETACF_FPMIN else v


def _away_from_zero_array(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) < _BETACF_FPMIN, _BETACF_FPMIN, v)


def _lentz_step(aa, c, d, away_from_zero):
    """One half-step of the modified Lentz method, as MEME's ``betacf``: the new ``c`` and
    ``d`` for the term ``aa`` (scalars or arrays, with the matching ``away_from_zero``)."""
    d = away_from_zero(1.0 + aa * d)
    c = away_from_zero(1.0 + aa / c)
    return c, 1.0 / d


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (MEME's ``betacf``)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 / _away_from_zero(1.0 - qab * x / qap)
    h = d
    for m in range(1, _BETACF_MAXIT + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        c, d = _lentz_step(aa, c, d, _away_from_zero)
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        c, d = _lentz_step(aa, c, d, _away_from_zero)
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _BETACF_EPS:
            break
    return h


def log_betai(a: float, b: float, x: float) -> float:
    """log of the regularised incomplete beta function I_x(a, b) (MEME's ``log_betai``)."""
    if x == 0.0 or x == 1.0:
        log_bt = 1.0
    else:
        log_bt = (
            math.lgamma(a + b)
            - math.lgamma(a)
            - math.lgamma(b)
            + a * math.log(x)
            + b * math.log(1.0 - x)
        )
    if x < (a + 1.0) / (a + b + 2.0):
        return log_bt + math.log(_betacf(a, b, x) / a)
    return math.log(1.0 - math.exp(log_bt) * _betacf(b, a, 1.0 - x) / b)


def _betacf_array(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Vectorised :func:`_betacf`; each element stops iterating when it converges."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(a)
    d = 1.0 / _away_from_zero_array(1.0 - qab * x / qap)
    h = d.copy()
    active = np.arange(a.size)
    a_, b_, x_, qab_, qap_, qam_, c_, d_ = a, b, x, qab, qap, qam, c, d.copy()
    for m in range(1, _BETACF_MAXIT + 1):
        if active.size == 0:
            break
        h_ = h[active]
        m2 = 2 * m
        aa = m * (b_ - m) * x_ / ((qam_ + m2) * (a_ + m2))
        c_, d_ = _lentz_step(aa, c_, d_, _away_from_zero_array)
        h_ = h_ * (d_ * c_)
        aa = -(a_ + m) * (qab_ + m) * x_ / ((a_ + m2) * (qap_ + m2))
        c_, d_ = _lentz_step(aa, c_, d_, _away_from_zero_array)
        delta = d_ * c_
        h_ = h_ * delta
        h[active] = h_
        go = ~(np.abs(delta - 1.0) < _BETACF_EPS)
        if not go.all():
            active = active[go]
            a_, b_, x_, qab_, qap_, qam_, c_, d_ = (
                v[go] for v in (a_, b_, x_, qab_, qap_, qam_, c_, d_)
            )
    return h


def log_betai_array(a, b, x) -> np.ndarray:
    """Vectorised :func:`log_betai` (may differ from it in the last bits)."""
    from scipy.special import gammaln

    a, b, x = (np.asarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(a, b, x))
    out = np.zeros(a.size)
    if a.size == 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = (x == 0.0) | (x == 1.0)
        log_bt = np.where(
            edge,
            1.0,
            gammaln(a + b) - gammaln(a) - gammaln(b) + a * np.log(x) + b * np.log(1.0 - x),
        )
        lower = x < (a + 1.0) / (a + b + 2.0)
        cf = _betacf_array(np.where(lower, a, b), np.where(lower, b, a), np.where(lower, x, 1 - x))
        out = np.where(lower, log_bt + np.log(cf / a), np.log(1.0 - np.exp(log_bt) * cf / b))
    return out


def log_binomial_tail(sites, total, bins, n_bins) -> float:
    """log P(X >= sites), X ~ Binomial(total, bins / n_bins) (MEME's ``window_binomial``)."""
    if sites == 0 or bins == n_bins:
        return 0.0
    return log_betai(sites, float(total) - sites + 1.0, float(bins) / float(n_bins))


def log_binomial_tail_array(sites, total, bins, n_bins) -> np.ndarray:
    """Vectorised :func:`log_binomial_tail` over broadcast arrays."""
    sites, total, bins, n_bins = np.broadcast_arrays(
        np.asarray(sites, float),
        np.asarray(total, float),
        np.asarray(bins, float),
        np.asarray(n_bins, float),
    )
    shape = sites.shape
    sites, total, bins, n_bins = (v.ravel() for v in (sites, total, bins, n_bins))
    out = np.zeros(sites.size)
    test = (sites != 0) & (bins != n_bins)
    if test.any():
        out[test] = log_betai_array(
            sites[test], total[test] - sites[test] + 1.0, bins[test] / n_bins[test]
        )
    return out.reshape(shape)


def _log_fact(n: int) -> float:
    if n < 0:
        raise ValueError("negative factorial")
    return 0.0 if n <= 1 else math.lgamma(n + 1)


def _log_binomial_coeff(n: int, k: int) -> float:
    return _log_fact(n) - _log_fact(k) - _log_fact(n - k)


def log_fisher_pvalue(pos_in: int, pos_total: int, neg_in: int, neg_total: int) -> float:
    """log P(>= pos_in positives in the window | margins), one-sided Fisher exact test.

    As MEME's ``getLogFETPvalue`` with ``fast``: 0 (p = 1) when the positive fraction is
    below the negative one.
    """
    if pos_in * neg_total < neg_in * pos_total:
        return 0.0
    population, positives, draws, k = pos_total + neg_total, pos_total, pos_in + neg_in, pos_in
    log_n_choose = _log_binomial_coeff(population, draws)
    top = min(draws, positives)
    mode = (draws + 1) * (positives + 1) // (population + 2)
    total = 0.0
    for i in range(k, top + 1):
        p = (
            _log_binomial_coeff(positives, i)
            + _log_binomial_coeff(population - positives, draws - i)
            - log_n_choose
        )
        if i == k:
            total += p
        else:
            step = p - total
            # past the mode the terms only shrink; once 1 + exp(step) == 1 they add nothing
            if i > mode and step < -40:
                break
            total += math.log(1 + math.exp(step))
    return total
