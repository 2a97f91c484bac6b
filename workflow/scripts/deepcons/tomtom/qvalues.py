"""Storey's q-values as MEME computes them, with its own Mersenne Twister draws (step 7)."""

from __future__ import annotations

import numpy as np

from . import loops

# q-value constants of MEME's qvalue.h
MIN_PVALUES_FOR_PI0 = 100
NUM_BOOTSTRAPS = 100
NUM_BOOTSTRAP_SAMPLES = 1000
_NUM_LAMBDA = 100
_MAX_LAMBDA = 0.5
_MT_DEFAULT_SEED = 4357  # mtwist seeds itself with this when never seeded (Tomtom never is)
PI_ZERO_DRAWS = NUM_BOOTSTRAPS * NUM_BOOTSTRAP_SAMPLES  # drand_mt calls per pi0 estimate


def mt_seed_key(seed: int = _MT_DEFAULT_SEED) -> np.ndarray:
    """mtwist's state after seeding with Knuth's old multiplier (69069), as MT19937's key."""
    key = np.empty(624, dtype=np.uint64)
    key[0] = seed & 0xFFFFFFFF
    for i in range(1, 624):
        key[i] = (69069 * int(key[i - 1])) & 0xFFFFFFFF
    return key.astype(np.uint32)


class MemeRandom:
    """MEME's program-wide Mersenne Twister (``drand_mt``) as Tomtom uses it.

    Tomtom never seeds it, so mtwist seeds itself with 4357 by Knuth's old multiplier
    (69069); ``drand_mt`` is mtwist's 64-bit ``mt_ldrand`` (two 32-bit draws, the first
    high). numpy's MT19937 is the same generator once given the same state (mtwist keeps
    the state reversed but draws the reference sequence).
    """

    def __init__(self, seed: int = _MT_DEFAULT_SEED):
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": mt_seed_key(seed), "pos": 624},
        }

    def words(self, n: int) -> np.ndarray:
        """The 2n 32-bit draws behind ``n`` calls of ``drand_mt``, shape (2n,)."""
        return self._bits.random_raw(2 * n).astype(np.uint32)

    def skip(self, n: int) -> None:
        """Advance past ``n`` calls of ``drand_mt``."""
        self._bits.random_raw(2 * n, output=False)

    @staticmethod
    def doubles(words: np.ndarray) -> np.ndarray:
        """``drand_mt`` values from pairs of draws: (high * 2^32 + low) * 2^-64.

        The sum of two exact doubles rounds once, as C's uint64-to-double conversion does.
        """
        return (words[0::2].astype(np.float64) * 4294967296.0 + words[1::2]) * 2.0**-64

    def ldrand(self, n: int) -> np.ndarray:
        """``n`` doubles in [0, 1)."""
        return self.doubles(self.words(n))

    @staticmethod
    def picks(words: np.ndarray, m: int) -> np.ndarray:
        """``(int)(drand_mt() * m)`` of the draws behind ``words``, capped at m - 1 (a draw
        that rounds to 1.0, where C would overrun)."""
        picks = (MemeRandom.doubles(words) * float(m)).astype(np.int64)
        np.minimum(picks, m - 1, out=picks)
        return picks

    def bootstrap_picks(self, m: int) -> np.ndarray:
        """Indices MEME's pi0 estimate draws from ``m`` sorted p-values: 100 bootstraps of
        1,000 ``(int)(drand_mt() * m)``, shape (100 000,)."""
        return self.picks(self.words(PI_ZERO_DRAWS), m)


LAMBDAS = ((np.arange(_NUM_LAMBDA) + 1.0) / _NUM_LAMBDA) * _MAX_LAMBDA
_BOOTSTRAP_ROWS = np.repeat(np.arange(NUM_BOOTSTRAPS), NUM_BOOTSTRAP_SAMPLES) * (_NUM_LAMBDA + 1)


def estimate_pi_zero(
    sorted_pvalues: np.ndarray, rng: MemeRandom | None = None, picks: np.ndarray | None = None
) -> float:
    """Storey's (2002) bootstrap estimate of the null proportion, as MEME's qvalue.c.

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending.
    rng : MemeRandom, optional
        Generator to draw the 100 bootstraps of 1,000 p-values from (a fresh one if
        neither it nor ``picks`` is given).
    picks : ndarray, shape (100 000,), optional
        The drawn indices instead (:meth:`MemeRandom.bootstrap_picks`).

    Returns
    -------
    float
        pi0 in [0, 1].
    """
    m = len(sorted_pvalues)
    first_at_least = np.searchsorted(sorted_pvalues, LAMBDAS, side="left")

    def pi_zero(n_greater: np.ndarray, n_values: int) -> np.ndarray:
        estimate = n_greater / ((1.0 - LAMBDAS) * n_values)
        return np.where(estimate == 0, np.inf, estimate)  # MEME: no estimate -> HUGE_VAL

    pi_zeroes = pi_zero(m - first_at_least, m)
    minimum = pi_zeroes.min()
    if picks is None:
        picks = (rng if rng is not None else MemeRandom()).bootstrap_picks(m)
    # p[pick] >= lambda  <=>  pick >= first_at_least[lambda] (p sorted): count each
    # bootstrap's picks by how many lambdas they reach.
    reached = np.searchsorted(first_at_least, np.arange(m), side="right")[picks]
    counts = np.bincount(_BOOTSTRAP_ROWS + reached, minlength=NUM_BOOTSTRAPS * (_NUM_LAMBDA + 1))
    counts = counts.reshape(NUM_BOOTSTRAPS, _NUM_LAMBDA + 1)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:]
    with np.errstate(invalid="ignore"):
        squared = (pi_zero(at_least, NUM_BOOTSTRAP_SAMPLES) - minimum) ** 2
    errors = np.zeros(_NUM_LAMBDA)
    for row in squared:  # in bootstrap order, as the C loop adds them
        errors += row
    best = 0  # the C loop keeps the first strict minimum and never leaves a NaN start
    if not np.isnan(errors[0]):
        best = int(np.argmin(np.where(np.isnan(errors), np.inf, errors)))
    return float(min(max(pi_zeroes[best], 0.0), 1.0))


def meme_qvalues(
    sorted_pvalues: np.ndarray, rng: MemeRandom | None = None, picks: np.ndarray | None = None
) -> np.ndarray:
    """MEME's ``compute_qvalues``: Storey's q-values, pi0 estimated above 100 p-values.

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending p-values.
    rng, picks : optional
        Draws for pi0's bootstraps, as in :func:`estimate_pi_zero`.

    Returns
    -------
    ndarray, shape (m,)
    """
    p = np.asarray(sorted_pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    pi_zero = 1.0
    if m > MIN_PVALUES_FOR_PI0:
        pi_zero = estimate_pi_zero(p, rng, picks)
    fdr = np.minimum(1.0, (pi_zero * p * float(m)) / (np.arange(m) + 1.0))
    if m == 1:
        return fdr
    return np.minimum.accumulate(fdr[::-1])[::-1]


class PiZeroDraws:
    """MEME's pi0 bootstrap draws, query after query from one generator: every query draws
    its 100,000 (when it has over 100 p-values), whether or not its estimate needs them."""

    def __init__(self, m: int, compiled: bool):
        self.m = m
        self.done = 0  # queries whose draws the generator is past
        self.compiled = compiled
        if self.compiled:
            self.key, self.position = mt_seed_key(), 624
        else:
            self.rng = MemeRandom()

    def advance(self, query: int) -> None:
        """Skip the draws of the queries before ``query``."""
        if query < self.done:
            raise ValueError("draws are made in query order")
        skip, self.done = query - self.done, query
        if not skip:
            return
        if self.compiled:
            no_words = np.empty(0, dtype=np.uint32)
            self.position = loops.nb_mt_draws(
                self.key, self.position, 2 * skip * PI_ZERO_DRAWS, no_words
            )
        else:
            self.rng.skip(skip * PI_ZERO_DRAWS)

    def picks(self, query: int) -> np.ndarray:
        """Query ``query``'s draws (queries in increasing order)."""
        self.advance(query)
        self.done = query + 1
        if not self.compiled:
            return self.rng.bootstrap_picks(self.m)
        words = np.empty(2 * PI_ZERO_DRAWS, dtype=np.uint32)
        self.position = loops.nb_mt_draws(self.key, self.position, 0, words)
        return MemeRandom.picks(words, self.m)
