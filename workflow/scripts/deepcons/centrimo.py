"""Central motif enrichment analysis, reproducing the MEME suite's CentriMo 5.5.6.

CentriMo asks whether a motif's best site in each sequence sits at a fixed position, the
sequence centre, more often than chance. The steps, as in ``src/centrimo.c``:

1. Background: letter frequencies of the sequence file (+1 pseudocount per letter),
   averaged with their complements when both strands are scanned; or ``--bfile``.
2. Motifs: rows renormalised, ``--motif-pseudo`` added (weighted by ``nsites``, 20 when
   absent), then a log2-odds PSSM scaled to integers: ``offset = floor(min)``,
   ``scale = floor(1000 / (max - offset))``, cell = ``nint((lo - offset) * scale)``.
3. Scan: each sequence's best site over both strands; all sites tying with it share one
   count (``1 / n_ties`` each). The sequence counts if the best site scores at least
   ``--score`` bits (default 5), or a fraction of the maximum (``--use-lo-fraction``), or
   its p-value adjusted for the number of sites is at most ``--score``
   (``--use-pvalues``).
4. Windows: sites sit at half-base positions (``2 * start + w - 1`` in doubled
   coordinates, the centre of the sequence at ``L - 1``). Central windows of every width
   of the parity that puts whole bins at both ends are tested with a one-sided binomial
   test, ``p_success = bins / (L - w + 1)``; ``mult_tests`` is the number of windows,
   adjusted p = ``1 - (1 - p) ** mult_tests`` (MEME's ``LOGEV`` approximation) and
   E = adjusted p times the number of motifs. A motif is reported if its best window has
   E <= ``--ethresh``. ``--neg`` adds the control set's counts, its own binomial test
   and a one-sided Fisher exact test, both adjusted the same way.

The scoring is vectorised (:mod:`deepcons.motif_scan`) and the window statistics are
computed for all motifs at once; the few numbers that reach the output are recomputed with
a line-by-line port of MEME's arithmetic so that the printed values match MEME's.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import __version__
from .errors import InputError
from .formats import open_text
from .meme_io import Motif
from .motif_scan import INVALID, NO_SITE, BestSites, encode_sequences, scan_best_sites

MEME_VERSION = "5.5.6"
PSSM_RANGE = 1000  # integer range of one scaled PSSM column
DEFAULT_PSEUDOCOUNT = 0.1
DEFAULT_SCORE_THRESH = 5.0
DEFAULT_PVALUE_THRESH = 0.05
DEFAULT_LO_FRACTION = 0.25
DEFAULT_EVALUE_THRESH = 10.0
DEFAULT_SITE_COUNT = 20  # nsites of a motif that gives none
BG_PSEUDO = 0.0000005  # MEME adds this to every background letter before normalising

# MEME's constants, kept verbatim because the printed values depend on them.
_LOG2_E = 1.44269504  # my_log2(x) = log(x) * 1.44269504
_SMALL_POS = 1e-300  # my_log2(0)
_LOG_SMALL = -0.5e10
_LOG_ZERO = -1.0e10
_LOGEV_A = 1e-6
_LOGMINPROD = -13.8155105579643  # log(1e-6)
_LOGMAXPROD = 4.60517018598809  # log(100)
_BETACF_MAXIT = 1000
_BETACF_EPS = 3.0e-7
_BETACF_FPMIN = 1.0e-300

TSV_COLUMNS = (
    "db_index motif_id motif_alt_id consensus E-value adj_p-value log_adj_p-value "
    "bin_location bin_width total_width sites_in_bin total_sites p_success p-value mult_tests"
).split()
NEG_COLUMNS = (
    "neg_sites_in_bin neg_sites neg_adj_pvalue log_neg_adj_pvalue fisher_adj_pvalue "
    "log_fisher_adj_pvalue"
).split()


# --------------------------------------------------------------------------------------
# Sequences
# --------------------------------------------------------------------------------------


# MEME keeps letters, digits and "-*." in a sequence (non-letters become N) and skips the rest.
_FASTA_SKIP = {c: None for c in range(128) if not (chr(c).isalnum() or chr(c) in "-*.")}


def iter_fasta(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """Stream (name, sequence) records from a FASTA file (plain or gzipped) of any wrapping.

    The name is the header up to the first white space; sequences are upper-cased. As in
    MEME, white space and punctuation other than ``-*.`` are dropped, and every kept
    character other than A, C, G, T and U is treated as ambiguous (no site contains it).

    Raises
    ------
    InputError
        If the file has text before its first header, a header without a name, or no
        sequence at all.
    """
    name: str | None = None
    chunks: list[str] = []
    n_records = 0
    try:
        with open_text(path, encoding="ascii") as handle:
            for lineno, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    if name is not None:
                        yield name, "".join(chunks).upper()
                        n_records += 1
                    fields = line[1:].split()
                    if not fields:
                        raise InputError("FASTA header without a sequence name", path, lineno)
                    name, chunks = fields[0], []
                elif line.strip():
                    if name is None:
                        raise InputError(
                            "not a FASTA file: sequence text before the first '>' header",
                            path,
                            lineno,
                        )
                    chunks.append(line.translate(_FASTA_SKIP))
    except UnicodeDecodeError as err:
        raise InputError(f"not a FASTA file: non-ASCII byte ({err.reason})", path) from None
    if name is not None:
        yield name, "".join(chunks).upper()
        n_records += 1
    if n_records == 0:
        raise InputError("no sequences found (expected FASTA '>' headers)", path)


def read_fasta(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """All records of a FASTA file as (names, sequences); see :func:`iter_fasta`."""
    names, seqs = [], []
    for name, seq in iter_fasta(path):
        names.append(name)
        seqs.append(seq)
    return names, seqs


def _as_codes(sequences) -> tuple[np.ndarray, np.ndarray]:
    """(codes (n, L) uint8, lengths (n,)) of strings or of an encoded array."""
    if isinstance(sequences, tuple) and len(sequences) == 2:
        return encode_sequences(np.asarray(sequences[0]), np.asarray(sequences[1]))
    if isinstance(sequences, np.ndarray):
        return encode_sequences(sequences)
    return encode_sequences(list(sequences))


# --------------------------------------------------------------------------------------
# Background
# --------------------------------------------------------------------------------------


def sequence_background(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Letter frequencies of sequences with one pseudocount per letter (MEME's default).

    Parameters
    ----------
    codes : (n, L) uint8
    lengths : (n,) int

    Returns
    -------
    (4,) float64, ``(count + 1) / (total + 4)`` for A, C, G, T.
    """
    valid = np.arange(codes.shape[1]) < np.asarray(lengths)[:, None]
    counts = np.bincount(codes[valid & (codes < INVALID)], minlength=4)[:4].astype(np.float64)
    return (counts + 1.0) / (counts.sum() + 4.0)


def symmetrize(bg: np.ndarray) -> np.ndarray:
    """Average each letter with its complement (A with T, C with G), as MEME does."""
    bg = np.array(bg, dtype=np.float64)
    at, cg = (bg[0] + bg[3]) / 2.0, (bg[1] + bg[2]) / 2.0
    return np.array([at, cg, cg, at])


def normalize_frequencies(bg: np.ndarray, pseudo: float = BG_PSEUDO) -> np.ndarray:
    """Add ``pseudo`` to every letter and renormalise (MEME's ``normalize_frequencies``)."""
    bg = np.asarray(bg, dtype=np.float64)
    total = pseudo * 4
    for value in bg:
        total += value
    out = np.array([(value + pseudo) / total for value in bg])
    s = 0.0
    for value in out:
        s += value
    return out if s == 1.0 else out / s


def read_background_file(path: str | os.PathLike) -> np.ndarray:
    """Order-0 frequencies of a MEME background file (lines ``A 0.25``; ``#`` comments)."""
    freqs: dict[str, float] = {}
    try:
        with open(path) as handle:
            for lineno, line in enumerate(handle, start=1):
                tokens = line.split("#", 1)[0].split()
                if not tokens:
                    continue
                if len(tokens) != 2:
                    raise InputError("expected 'SYMBOLS FREQUENCY' on each line", path, lineno)
                try:
                    value = float(tokens[1])
                except ValueError:
                    raise InputError(f"bad frequency {tokens[1]!r}", path, lineno) from None
                if len(tokens[0]) == 1:
                    freqs[tokens[0].upper()] = value
    except UnicodeDecodeError:
        raise InputError("not a background file (binary content)", path) from None
    missing = [b for b in "ACGT" if b not in freqs]
    if missing:
        raise InputError(f"background file gives no frequency for {', '.join(missing)}", path)
    return np.array([freqs[b] for b in "ACGT"])


# --------------------------------------------------------------------------------------
# Motifs and PSSMs
# --------------------------------------------------------------------------------------


def prepare_motif_probs(
    probs: np.ndarray, nsites: float | None, background: np.ndarray, pseudocount: float
) -> np.ndarray:
    """Motif letter probabilities after MEME's normalisation and pseudocount.

    Rows that do not sum to 1 within 1e-5 are renormalised; then
    ``p' = (p * nsites + pseudocount * bg) / (nsites + pseudocount)`` with ``nsites``
    truncated to an integer (20 when absent or not positive).

    Parameters
    ----------
    probs : (w, 4) float
    nsites : float or None
    background : (4,) float
    pseudocount : float

    Returns
    -------
    (w, 4) float64
    """
    probs = np.array(probs, dtype=np.float64)
    for row in probs:
        total = 0.0
        for value in row:
            total += value
        if total == 0.0:
            raise ValueError("motif row of zeros")
        if abs(1.0 - total) > 0.00001:
            row /= total
    if pseudocount == 0:
        return probs
    sites = int(nsites) if nsites is not None and nsites > 0 else DEFAULT_SITE_COUNT
    total = sites + pseudocount
    return (probs * sites + pseudocount * np.asarray(background)) / total


_IUPAC = {
    frozenset("AC"): "M",
    frozenset("AG"): "R",
    frozenset("AT"): "W",
    frozenset("CG"): "S",
    frozenset("CT"): "Y",
    frozenset("GT"): "K",
    frozenset("ACG"): "V",
    frozenset("ACT"): "H",
    frozenset("AGT"): "D",
    frozenset("CGT"): "B",
    frozenset("ACGT"): "N",
}


def consensus(probs: np.ndarray) -> str:
    """MEME's one-letter consensus: the letters within half of the best, as IUPAC code."""
    out = []
    for row in np.asarray(probs, dtype=np.float64):
        order = sorted(range(4), key=lambda j: (-row[j], j))
        best = row[order[0]]
        chosen = [order[0]]
        for j in order[1:]:  # MEME stops at the first letter below half the best
            if row[j] < best * 0.5:
                break
            chosen.append(j)
        if len(chosen) == 1:
            out.append("ACGT"[chosen[0]])
        else:
            out.append(_IUPAC[frozenset("ACGT"[j] for j in chosen)])
    return "".join(out)


def _my_log2(x: float) -> float:
    """MEME's ``my_log2``: ln(x) * 1.44269504, and 1e-300 (sic) for x == 0."""
    if x > 0.0:
        lx = math.log(x)
        return (_LOG_ZERO if lx < _LOG_SMALL else lx) * _LOG2_E
    if x < 0.0:
        raise ValueError(f"log of a negative value ({x})")
    return _SMALL_POS


@dataclass(frozen=True)
class ScaledPSSM:
    """A motif's integer log-odds matrices, as CentriMo scores with them.

    Attributes
    ----------
    matrix, rc_matrix : (w, 4) int64
        Scaled scores of the motif and of its reverse complement, each cell in [0, 1000].
    scale, offset : float
        ``bits = scaled / scale + w * offset``.
    max_score : int
        Largest reachable scaled site score.
    """

    matrix: np.ndarray
    rc_matrix: np.ndarray
    scale: float
    offset: float
    max_score: int

    @property
    def width(self) -> int:
        return int(self.matrix.shape[0])

    def to_bits(self, scaled):
        """Unscaled (bits) score of scaled scores (MEME's ``scaled_to_raw``)."""
        return np.asarray(scaled) / self.scale + self.width * self.offset

    @property
    def max_bits(self) -> float:
        return self.max_score / self.scale + self.width * self.offset


def _scale_matrix(probs: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Scaled integer log2-odds matrix of probabilities (MEME's ``build_motif_pssm``)."""
    w = probs.shape[0]
    raw = np.empty((w, 4))
    for a in range(4):
        for j in range(w):
            raw[j, a] = _my_log2(float(probs[j, a]) / float(bg[a]))
    small, large = float(raw.min()), float(raw.max())
    if large == small:
        small = large - 1
    offset = small = math.floor(small)
    scale = math.floor(PSSM_RANGE / (large - small))
    scaled = np.empty((w, 4), dtype=np.int64)
    for j in range(w):
        for a in range(4):
            x = (raw[j, a] - offset) * scale
            scaled[j, a] = int(x + 0.5) if x >= 0 else int(x - 0.5)
    return scaled, float(scale), float(offset)


def build_pssm(probs: np.ndarray, bg: np.ndarray) -> ScaledPSSM:
    """Integer PSSMs of a motif (after pseudocounts) and of its reverse complement.

    Parameters
    ----------
    probs : (w, 4) float
        Motif probabilities, columns A, C, G, T.
    bg : (4,) float
        Background frequencies.
    """
    probs = np.asarray(probs, dtype=np.float64)
    matrix, scale, offset = _scale_matrix(probs, bg)
    rc_matrix, _, _ = _scale_matrix(probs[::-1, ::-1], bg)
    reachable = np.where(np.asarray(bg) > 0, matrix, -1)
    return ScaledPSSM(matrix, rc_matrix, scale, offset, int(reachable.max(axis=1).sum()))


def pvalue_table(pssm: ScaledPSSM, bg: np.ndarray) -> np.ndarray:
    """P(score >= s) of a random site for every scaled score s (MEME's ``get_pv_lookup``).

    Returns
    -------
    (w * 1000 + 1,) float64
    """
    w = pssm.width
    size = w * PSSM_RANGE + 1
    pdf = np.zeros(size)
    pdf[0] = 1.0
    for i in range(w):
        top = i * PSSM_RANGE
        new = np.zeros(size)
        for a in range(4):
            s = int(pssm.matrix[i, a])
            new[s : s + top + 1] += pdf[: top + 1] * bg[a]
        pdf = new
    return np.minimum(1.0, np.cumsum(pdf[::-1])[::-1])


# --------------------------------------------------------------------------------------
# Statistics, ported from MEME so that printed values match
# --------------------------------------------------------------------------------------


def logev(logn: float, logp: float) -> float:
    """log of ``1 - (1 - p) ** n`` from log n and log p (MEME's ``LOGEV`` macro)."""
    s = logn + logp
    if s < _LOGMINPROD:
        return s
    if s > _LOGMAXPROD:
        return 0.0
    if logn > _LOGMAXPROD:
        return math.log(1 - math.pow(1 - _LOGEV_A, math.exp(s - _LOGMINPROD)))
    return math.log(1 - math.pow(1 - math.exp(logp), math.exp(logn)))


def logev_array(logn, logp) -> np.ndarray:
    """Vectorised :func:`logev` (may differ from it in the last bit)."""
    logn, logp = np.broadcast_arrays(np.asarray(logn, float), np.asarray(logp, float))
    s = logn + logp
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        big_n = np.log(1 - np.power(1 - _LOGEV_A, np.exp(s - _LOGMINPROD)))
        small_n = np.log(1 - np.power(1 - np.exp(logp), np.exp(logn)))
    out = np.where(logn > _LOGMAXPROD, big_n, small_n)
    out = np.where(s > _LOGMAXPROD, 0.0, out)
    return np.where(s < _LOGMINPROD, s, out)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (MEME's ``betacf``)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _BETACF_FPMIN:
        d = _BETACF_FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, _BETACF_MAXIT + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _BETACF_FPMIN:
            d = _BETACF_FPMIN
        c = 1.0 + aa / c
        if abs(c) < _BETACF_FPMIN:
            c = _BETACF_FPMIN
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _BETACF_FPMIN:
            d = _BETACF_FPMIN
        c = 1.0 + aa / c
        if abs(c) < _BETACF_FPMIN:
            c = _BETACF_FPMIN
        d = 1.0 / d
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
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < _BETACF_FPMIN, _BETACF_FPMIN, d)
    d = 1.0 / d
    h = d.copy()
    active = np.arange(a.size)
    a_, b_, x_, qab_, qap_, qam_, c_, d_ = a, b, x, qab, qap, qam, c, d.copy()
    for m in range(1, _BETACF_MAXIT + 1):
        if active.size == 0:
            break
        h_ = h[active]
        m2 = 2 * m
        aa = m * (b_ - m) * x_ / ((qam_ + m2) * (a_ + m2))
        d_ = 1.0 + aa * d_
        d_ = np.where(np.abs(d_) < _BETACF_FPMIN, _BETACF_FPMIN, d_)
        c_ = 1.0 + aa / c_
        c_ = np.where(np.abs(c_) < _BETACF_FPMIN, _BETACF_FPMIN, c_)
        d_ = 1.0 / d_
        h_ = h_ * (d_ * c_)
        aa = -(a_ + m) * (qab_ + m) * x_ / ((a_ + m2) * (qap_ + m2))
        d_ = 1.0 + aa * d_
        d_ = np.where(np.abs(d_) < _BETACF_FPMIN, _BETACF_FPMIN, d_)
        c_ = 1.0 + aa / c_
        c_ = np.where(np.abs(c_) < _BETACF_FPMIN, _BETACF_FPMIN, c_)
        d_ = 1.0 / d_
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


# --------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------


def window_range(
    n_bins: int, min_region: int | None = None, max_region: int | None = None
) -> tuple[int, int, list[str]]:
    """MEME's smallest and largest window (in bins) for a motif with ``n_bins`` positions.

    Windows must put whole bins at both ends of a central window, so their width has the
    parity of ``n_bins``; ``--minreg`` is rounded up and ``--maxreg`` down to it, and the
    largest window leaves at least one bin out.

    Returns
    -------
    min_win, max_win : int
    warnings : list of str
    """
    warnings = []
    max_win = n_bins - 1
    if max_region and max_region >= n_bins:
        warnings.append(f"--maxreg ({max_region}) too large for motif; setting to {max_win}")
    elif max_region:
        max_win = max_region
    min_win = 1
    if min_region and min_region >= max_win:
        min_win = max_win - 1
        warnings.append(f"--minreg ({min_region}) too large; setting to {min_win}")
    elif min_region:
        min_win = min_region
    odd = n_bins % 2
    if odd == (min_win + 1) % 2:
        min_win += 1
    if odd == (max_win + 1) % 2:
        max_win -= 1
    return min_win, max_win, warnings


def central_windows(seq_len: int, width: int, min_win: int, max_win: int) -> np.ndarray:
    """Spreads (doubled widths ``2 * bins - 1``) of the central windows, smallest first."""
    return np.arange(2 * min_win - 1, 2 * max_win - 1 + 1, 4, dtype=np.int64)


def local_windows(
    seq_len: int, width: int, min_win: int, max_win: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centers, spreads) of all windows of ``--local``, in MEME's order."""
    centers, spreads = [], []
    first = width - 1 + (min_win - 1)
    last = 2 * seq_len - width - 1 - (min_win - 1)
    for spread in range(2 * min_win - 1, 2 * max_win - 1 + 1, 2):
        pos = np.arange(first, last + 1, 2, dtype=np.int64)
        centers.append(pos)
        spreads.append(np.full(pos.size, spread, dtype=np.int64))
        first, last = first + 1, last - 1
    if not centers:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(centers), np.concatenate(spreads)


@dataclass
class Window:
    """One tested window and its statistics (positions in doubled coordinates).

    ``center`` is ``2 * offset + L - 1`` for a window centred ``offset`` bases from the
    sequence centre; the window covers doubled positions ``center +- (spread - 1) / 2``,
    i.e. ``n_bins = (spread + 1) / 2`` possible site positions.
    """

    center: int
    spread: int
    n_bins: int
    sites: float
    log_pvalue: float
    log_adj_pvalue: float
    neg_sites: float = 0.0
    neg_log_pvalue: float = 0.0
    neg_log_adj_pvalue: float = 0.0
    fisher_log_pvalue: float = 0.0
    fisher_log_adj_pvalue: float = 0.0

    def location(self, seq_len: int) -> float:
        """Centre relative to the sequence centre, in bases (MEME's ``bin_location``)."""
        return (self.center - seq_len + 1) / 2.0

    @property
    def left(self) -> int:
        return self.center - (self.spread - 1) // 2

    @property
    def right(self) -> int:
        return self.center + (self.spread - 1) // 2


@dataclass
class MotifResult:
    """CentriMo's result for one reported motif.

    Attributes
    ----------
    motif_index : int
        Index of the motif in the list given to :func:`run_centrimo`.
    db_index : int
        Index of the motif file it came from (0-based).
    windows : list of Window
        The best window first; with ``local`` also the other non-overlapping significant
        windows, best to worst.
    site_counts, neg_site_counts : (2L - 1,) float64
        Best-site counts at every doubled position (ties share the count); the site
        positions of a width-w motif are ``w - 1, w + 1, ..., 2L - w - 1``.
    """

    motif_index: int
    db_index: int
    motif: Motif
    consensus: str
    pssm: ScaledPSSM
    score_threshold: float
    total_width: int
    mult_tests: int
    total_sites: int
    neg_total_sites: int
    windows: list[Window]
    site_counts: np.ndarray
    neg_site_counts: np.ndarray | None

    @property
    def best(self) -> Window:
        return self.windows[0]

    @property
    def width(self) -> int:
        return self.pssm.width

    @property
    def p_success(self) -> float:
        return self.best.n_bins / self.total_width

    def log_evalue(self, n_motifs: int) -> float:
        return self.best.log_adj_pvalue + math.log(n_motifs)


@dataclass
class WindowMembers:
    """The sequences whose best site lies in a window, with the strands of those sites.

    Attributes
    ----------
    seq : (k,) int64
        Indices into the sequences given to :func:`run_centrimo`.
    plus, minus : (k,) float64
        Share of the sequence's best-site count that falls in the window on the + and the
        - strand (ties split the count, so these sum to at most 1).
    offset : (k,) float64
        Position of the first best site in the window relative to the sequence centre.
    """

    seq: np.ndarray
    plus: np.ndarray
    minus: np.ndarray
    offset: np.ndarray


@dataclass
class CentrimoResult:
    """Everything CentriMo computes.

    Attributes
    ----------
    motifs : list of MotifResult
        Reported motifs, in the order of centrimo.tsv (best E-value first).
    n_motifs : int
        Number of motifs tested (the E-value multiplier).
    sequence_length : int
    sequence_index : (n_used,) int64
        Input indices of the sequences analysed (those of the analysed length).
    skipped : list of int
        Input indices of sequences skipped for their length.
    best_sites : BestSites
        Best sites of every analysed sequence (rows) and input motif (columns), scaled
        scores; see :class:`deepcons.motif_scan.BestSites`.
    passing : (n_used, n_motif) bool
        Whether each sequence's best site passes the score threshold (and counts).
    neg_sequence_index, neg_skipped, neg_best_sites, neg_passing
        The same for the control sequences (``None`` without ``neg_sequences``).
    background : (4,) float64
        Background of the PSSMs.
    pssms : list of ScaledPSSM or None
        Per input motif (None if too wide for the sequences).
    """

    motifs: list[MotifResult]
    n_motifs: int
    sequence_length: int
    sequence_index: np.ndarray
    skipped: list[int]
    best_sites: BestSites
    passing: np.ndarray
    background: np.ndarray
    pssms: list[ScaledPSSM | None]
    flip: bool = False
    neg_sequence_index: np.ndarray | None = None
    neg_skipped: list[int] = field(default_factory=list)
    neg_best_sites: BestSites | None = None
    neg_passing: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def has_neg(self) -> bool:
        return self.neg_best_sites is not None

    def by_motif(self, motif_index: int) -> MotifResult | None:
        """The result of input motif ``motif_index`` if it was reported."""
        for m in self.motifs:
            if m.motif_index == motif_index:
                return m
        return None

    def most_enriched(self, evalue: float, top: int) -> list[MotifResult]:
        """The ``top`` best reported motifs among those with an E-value below ``evalue``."""
        below = [m for m in self.motifs if m.log_evalue(self.n_motifs) < math.log(evalue)]
        return below[:top]

    def site_positions(self, motif_index: int, neg: bool = False):
        """Every counted best site of a motif as doubled positions.

        Returns
        -------
        seq : (k,) int64
            Row in ``best_sites`` (not the input index).
        position : (k,) int64
            Doubled position (``2 * start + w - 1``, reflected on - strand with ``flip``).
        strand : (k,) int8
        weight : (k,) float64
            ``1 / n_ties`` of the sequence.
        """
        best = self.neg_best_sites if neg else self.best_sites
        passing = self.neg_passing if neg else self.passing
        width = self.pssms[motif_index].width
        return _counted_sites(best, passing, motif_index, width, self.sequence_length, self.flip)

    def sequences_in_window(
        self, motif_index: int, window: Window | None = None, neg: bool = False
    ) -> WindowMembers:
        """Sequences whose counted best site lies in a window (default: the best one)."""
        if window is None:
            result = self.by_motif(motif_index)
            if result is None:
                raise ValueError(f"motif {motif_index} was not reported")
            window = result.best
        seq, pos, strand, weight = self.site_positions(motif_index, neg)
        inside = (pos >= window.left) & (pos <= window.right)
        seq, pos, strand, weight = seq[inside], pos[inside], strand[inside], weight[inside]
        rows, first = np.unique(seq, return_index=True)
        n_rows = len(self.neg_sequence_index if neg else self.sequence_index)
        plus = np.bincount(seq, weights=weight * (strand > 0), minlength=n_rows)[rows]
        minus = np.bincount(seq, weights=weight * (strand < 0), minlength=n_rows)[rows]
        index = self.neg_sequence_index if neg else self.sequence_index
        offset = (pos[first] - self.sequence_length + 1) / 2.0
        return WindowMembers(index[rows], plus, minus, offset)

    def table(self):
        """The centrimo.tsv rows as a pandas DataFrame (numbers, not formatted)."""
        import pandas as pd

        rows = []
        for m in self.motifs:
            w = m.best
            row = {
                "db_index": m.db_index + 1,
                "motif_id": m.motif.id,
                "motif_alt_id": m.motif.alt,
                "consensus": m.consensus,
                "log_E-value": m.log_evalue(self.n_motifs),
                "log_adj_p-value": w.log_adj_pvalue,
                "bin_location": w.location(self.sequence_length),
                "bin_width": w.n_bins,
                "total_width": m.total_width,
                "sites_in_bin": w.sites,
                "total_sites": m.total_sites,
                "p_success": m.p_success,
                "log_p-value": w.log_pvalue,
                "mult_tests": m.mult_tests,
            }
            if self.has_neg:
                row.update(
                    neg_sites_in_bin=w.neg_sites,
                    neg_sites=m.neg_total_sites,
                    log_neg_adj_pvalue=w.neg_log_adj_pvalue,
                    log_fisher_adj_pvalue=w.fisher_log_adj_pvalue,
                )
            rows.append(row)
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Counting best sites
# --------------------------------------------------------------------------------------


def _doubled_position(start, strand, width: int, seq_len: int, flip: bool) -> np.ndarray:
    """Doubled site-centre positions; with ``flip`` - strand sites are reflected."""
    start = np.asarray(start, dtype=np.int64)
    pos = 2 * start + width - 1
    if flip:
        pos = np.where(np.asarray(strand) < 0, 2 * (seq_len - start) - width - 1, pos)
    return pos


def _counted_sites(best: BestSites, passing: np.ndarray, m: int, width: int, seq_len, flip):
    """(row, doubled position, strand, weight) of every counted best site of motif m."""
    col_pass = passing[:, m]
    single = col_pass & (best.n_best[:, m] == 1)
    rows_1 = np.nonzero(single)[0]
    lo, hi = np.searchsorted(best.tie_motif, [m, m + 1])
    t_seq = best.tie_seq[lo:hi].astype(np.int64)
    keep = col_pass[t_seq]
    t_seq = t_seq[keep]
    t_start = best.tie_start[lo:hi][keep]
    t_strand = best.tie_strand[lo:hi][keep]
    seq = np.concatenate([rows_1, t_seq])
    start = np.concatenate([best.start[rows_1, m], t_start])
    strand = np.concatenate([best.strand[rows_1, m], t_strand]).astype(np.int8)
    weight = np.concatenate([np.ones(rows_1.size), 1.0 / best.n_best[t_seq, m]])
    pos = _doubled_position(start, strand, width, seq_len, flip)
    return seq, pos, strand, weight


def _site_counts(
    best: BestSites,
    passing: np.ndarray,
    values,
    m: int,
    width: int,
    seq_len: int,
    flip: bool,
) -> np.ndarray:
    """Best-site counts of motif m at each doubled position, summed in MEME's order.

    MEME adds the sequences' counts from the best score down (ties by sequence number);
    the order only matters for fractional counts, so it is followed when there are any.
    ``values(best, m)`` gives the (n_seq,) scores that MEME sorts by.

    Returns
    -------
    (2 * seq_len - 1,) float64
    """
    seq, pos, _, weight = _counted_sites(best, passing, m, width, seq_len, flip)
    if np.any(weight != 1.0):
        rank = np.empty(best.score.shape[0], dtype=np.int64)
        order = np.lexsort((np.arange(rank.size), -values(best, m)))
        rank[order] = np.arange(rank.size)
        within = np.arange(seq.size)  # rows of one sequence are already in site order
        key = np.lexsort((within, rank[seq]))
        pos, weight = pos[key], weight[key]
    return np.bincount(pos, weights=weight, minlength=2 * seq_len - 1)


# --------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------


def _score_values(
    pssm: ScaledPSSM,
    scores: np.ndarray,
    use_pvalues: bool,
    bg: np.ndarray,
    seq_len: int,
    both_strands: bool,
    pv_cache: dict,
    key: int,
) -> np.ndarray:
    """The value MEME compares with the threshold for each best scaled score.

    Bits (``score / scale + w * offset``), or with ``use_pvalues`` minus the site p-value
    adjusted for the ``2 (L - w + 1)`` sites of a sequence. NaN where there is no site.
    """
    out = np.full(scores.shape, np.nan)
    has = scores != NO_SITE
    if not use_pvalues:
        out[has] = scores[has] / pssm.scale + pssm.width * pssm.offset
        return out
    if key not in pv_cache:
        pv_cache[key] = pvalue_table(pssm, bg)
    table = pv_cache[key]
    end = seq_len - pssm.width + 1
    log_ntests = math.log(2 * end) if both_strands else math.log(end)
    uniq, inverse = np.unique(np.minimum(scores[has], table.size - 1), return_inverse=True)
    # few distinct scores: compute each with MEME's scalar arithmetic
    adjusted = [-math.exp(logev(log_ntests, math.log(table[u]))) for u in uniq]
    out[has] = np.asarray(adjusted)[inverse]
    return out


def _motif_threshold(
    pssm: ScaledPSSM, threshold: float, use_pvalues: bool, use_lo_fraction: bool
) -> float:
    """The per-motif threshold on :func:`_score_values` (MEME's ``score_thresh``)."""
    if use_pvalues:
        return -threshold
    if use_lo_fraction:
        return (1 - 1e-15) * threshold * pssm.max_bits
    return threshold


def _build_pssms(motifs, seq_len, pseudo_bg, pssm_bg, motif_pseudo, warnings):
    """(PSSMs, pseudocounted probabilities) per motif; None for motifs too wide (as MEME)."""
    pssms: list[ScaledPSSM | None] = []
    probs_list: list[np.ndarray | None] = []
    for i, motif in enumerate(motifs):
        if motif.width >= seq_len - 1:
            warnings.append(
                f"Skipping motif {motif.id} ({i + 1}/{len(motifs)}) of width {motif.width} "
                f"because it is too wide for the sequences (>= {seq_len - 1})."
            )
            pssms.append(None)
            probs_list.append(None)
            continue
        probs = prepare_motif_probs(motif.probs, motif.nsites, pseudo_bg, motif_pseudo)
        probs_list.append(probs)
        pssms.append(build_pssm(probs, pssm_bg))
    return pssms, probs_list


def _weak_motif_warning(
    motif, m, n, pssm, threshold, use_pvalues, bg, seq_len, both, pv_cache
) -> str | None:
    """MEME's message for a motif whose best possible site cannot pass the threshold."""
    where = f"Skipping motif {motif.id} ({m + 1}/{n}) of width {pssm.width}"
    if use_pvalues:
        if m not in pv_cache:
            pv_cache[m] = pvalue_table(pssm, bg)
        log_ntests = math.log(2 * seq_len) if both else math.log(seq_len)
        min_adj = math.exp(logev(log_ntests, math.log(pv_cache[m][pssm.max_score])))
        if min_adj > -threshold:
            return (
                f"{where} because its minimum adjusted p-value ({min_adj:.3g}) is greater "
                f"than the score threshold ({-threshold:.3g})."
            )
    elif pssm.max_bits < threshold:
        return (
            f"{where} because its maximum score ({pssm.max_bits:.2f}) is less than the "
            f"score threshold ({threshold:.2f})."
        )
    return None


def _window_stats_all(
    counts: np.ndarray, total: np.ndarray, centers: np.ndarray, spreads: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sites and log binomial p-values of every window for a group of motifs.

    Parameters
    ----------
    counts : (M, 2L - 1) site counts
    total : (M,) total sites
    centers, spreads : (n_windows,)

    Returns
    -------
    sites, log_p : (M, n_windows)
    """
    cum = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    left = centers - (spreads - 1) // 2
    right = centers + (spreads - 1) // 2
    sites = cum[:, right + 1] - cum[:, left]
    bins = (spreads - 1) // 2 + 1
    log_p = log_binomial_tail_array(sites, total[:, None], bins[None, :], n_bins)
    return sites, log_p


def run_centrimo(
    sequences,
    motifs: Sequence[Motif],
    *,
    neg_sequences=None,
    background=None,
    motif_pseudo: float = DEFAULT_PSEUDOCOUNT,
    score_threshold: float | None = None,
    use_pvalues: bool = False,
    use_lo_fraction: bool = False,
    local: bool = False,
    flip: bool = False,
    norc: bool = False,
    min_region: int | None = None,
    max_region: int | None = None,
    ethresh: float = DEFAULT_EVALUE_THRESH,
    seqlen: int | None = None,
    db_index: Sequence[int] | None = None,
    n_motifs: int | None = None,
    device: str = "cpu",
    batch_size: int | None = None,
) -> CentrimoResult:
    """Central (or local) motif enrichment, as the MEME suite's ``centrimo``.

    Parameters
    ----------
    sequences : list of str, (n, L) uint8 code array, or (codes, lengths)
        Sequences (codes 0..3 = A, C, G, T, other values = N). Only sequences of one
        length are analysed, as in MEME: ``seqlen``, by default that of the first; the
        others are skipped (their indices are in ``result.skipped``).
    motifs : list of Motif
        Motifs (``probs`` (w, 4) as read, ``nsites``).
    neg_sequences : same types as ``sequences``, optional
        Control sequences (``--neg``); the same length is required.
    background : None, "uniform", or (4,) array
        None: letter frequencies of ``sequences`` with a pseudocount of 1 (MEME's default).
        Otherwise (``--bfile``) the frequencies, symmetrised unless ``norc`` and with
        MEME's 5e-7 pseudocount.
    motif_pseudo : float
        Pseudocount added to the motifs (``--motif-pseudo``).
    score_threshold : float, optional
        ``--score``; defaults to 5 bits, 0.25 with ``use_lo_fraction``, 0.05 with
        ``use_pvalues``.
    use_pvalues, use_lo_fraction, local, flip, norc : bool
        As the options of the same names.
    min_region, max_region : int, optional
        ``--minreg`` and ``--maxreg`` (window widths in bins).
    ethresh : float
        Report motifs whose best window has an E-value at most this.
    db_index : list of int, optional
        Motif file index of each motif (default 0).
    n_motifs : int, optional
        E-value multiplier (default ``len(motifs)``).
    device, batch_size
        Passed to :func:`deepcons.motif_scan.scan_best_sites`.

    Returns
    -------
    CentrimoResult
    """
    if use_pvalues and use_lo_fraction:
        raise ValueError("use_pvalues and use_lo_fraction are exclusive")
    if score_threshold is None:
        score_threshold = (
            DEFAULT_PVALUE_THRESH
            if use_pvalues
            else DEFAULT_LO_FRACTION
            if use_lo_fraction
            else DEFAULT_SCORE_THRESH
        )
    if use_lo_fraction and not 0 < score_threshold <= 1:
        raise ValueError("with use_lo_fraction the score threshold must be in (0, 1]")
    if max_region and min_region and min_region >= max_region:
        raise ValueError("min_region must be smaller than max_region")
    motifs = list(motifs)
    if not motifs:
        raise ValueError("no motifs")
    n_motifs = len(motifs) if n_motifs is None else n_motifs
    db_index = [0] * len(motifs) if db_index is None else list(db_index)
    both = not norc
    warnings: list[str] = []

    codes, lengths = _as_codes(sequences)
    if codes.shape[0] == 0:
        raise ValueError("no sequences")
    pssm_bg, pseudo_bg = _backgrounds(background, codes, lengths, both)
    seq_len = int(seqlen or lengths[0])
    used = np.nonzero(lengths == seq_len)[0]
    skipped = np.nonzero(lengths != seq_len)[0].tolist()
    if used.size == 0:
        raise ValueError(f"no sequence has the expected length ({seq_len})")
    neg = None
    if neg_sequences is not None:
        neg_codes, neg_lengths = _as_codes(neg_sequences)
        neg_used = np.nonzero(neg_lengths == seq_len)[0]
        if neg_used.size == 0:
            raise ValueError(f"no control sequence has the expected length ({seq_len})")
        neg = (neg_codes[neg_used, :seq_len], neg_used, np.nonzero(neg_lengths != seq_len)[0])

    pssms, probs_list = _build_pssms(motifs, seq_len, pseudo_bg, pssm_bg, motif_pseudo, warnings)
    scanned = [i for i, p in enumerate(pssms) if p is not None]

    def scan(c: np.ndarray) -> BestSites:
        full = scan_best_sites(
            c,
            np.full(c.shape[0], seq_len),
            [pssms[i].matrix for i in scanned],
            rc_matrices=[pssms[i].rc_matrix for i in scanned] if both else None,
            both_strands=both,
            device=device,
            batch_size=batch_size,
        )
        return _expand_columns(full, scanned, len(motifs))

    best = scan(codes[used, :seq_len])
    neg_best = scan(neg[0]) if neg is not None else None

    pv_cache: dict = {}
    n_cols = len(motifs)

    def values(sites: BestSites, m: int) -> np.ndarray:
        return _score_values(
            pssms[m], sites.score[:, m], use_pvalues, pssm_bg, seq_len, both, pv_cache, m
        )

    passing = np.zeros(best.score.shape, dtype=bool)
    neg_passing = None if neg_best is None else np.zeros(neg_best.score.shape, dtype=bool)
    thresholds = np.full(n_cols, np.nan)
    for m in scanned:
        thresholds[m] = _motif_threshold(pssms[m], score_threshold, use_pvalues, use_lo_fraction)
        warning = _weak_motif_warning(
            motifs[m],
            m,
            len(motifs),
            pssms[m],
            thresholds[m],
            use_pvalues,
            pssm_bg,
            seq_len,
            both,
            pv_cache,
        )
        if warning:
            warnings.append(warning)
        passing[:, m] = values(best, m) >= thresholds[m]
        if neg_best is not None:
            neg_passing[:, m] = values(neg_best, m) >= thresholds[m]

    log_pvalue_thresh = (
        min(0.0, math.log(ethresh) - math.log(n_motifs)) if ethresh > 0 else -math.inf
    )
    context = _Context(
        best,
        passing,
        neg_best,
        neg_passing,
        values,
        seq_len,
        flip,
        log_pvalue_thresh,
        motifs,
        db_index,
        probs_list,
        pssms,
        thresholds,
    )
    results: list[MotifResult] = []
    by_width: dict[int, list[int]] = {}
    for m in scanned:
        by_width.setdefault(pssms[m].width, []).append(m)
    for width, group in by_width.items():
        n_bins = seq_len - width + 1
        min_win, max_win, warn = window_range(n_bins, min_region, max_region)
        warnings.extend(dict.fromkeys(warn))
        if local:
            centers, spreads = local_windows(seq_len, width, min_win, max_win)
        else:
            spreads = central_windows(seq_len, width, min_win, max_win)
            centers = np.full(spreads.size, seq_len - 1, dtype=np.int64)
        if spreads.size == 0:
            continue
        # bound the (motifs x windows) arrays: --local has ~n_bins**2 / 2 windows
        chunk = max(1, _WINDOW_BUDGET // spreads.size)
        for c0 in range(0, len(group), chunk):
            results += _analyse_motifs(context, group[c0 : c0 + chunk], width, centers, spreads)
    results.sort(key=lambda r: (r.best.log_adj_pvalue, r.db_index, r.motif_index, r.best.center))
    return CentrimoResult(
        motifs=results,
        n_motifs=n_motifs,
        sequence_length=seq_len,
        sequence_index=used,
        skipped=skipped,
        best_sites=best,
        passing=passing,
        background=pssm_bg,
        pssms=pssms,
        flip=flip,
        neg_sequence_index=None if neg is None else neg[1],
        neg_skipped=[] if neg is None else neg[2].tolist(),
        neg_best_sites=neg_best,
        neg_passing=neg_passing,
        warnings=warnings,
    )


_WINDOW_BUDGET = 2**24  # motifs x windows evaluated at once


@dataclass
class _Context:
    """What the window statistics of any motif need (internal to :func:`run_centrimo`)."""

    best: BestSites
    passing: np.ndarray
    neg_best: BestSites | None
    neg_passing: np.ndarray | None
    values: object  # (BestSites, motif) -> (n_seq,) threshold scores
    seq_len: int
    flip: bool
    log_pvalue_thresh: float
    motifs: list
    db_index: list
    probs_list: list
    pssms: list
    thresholds: np.ndarray


def _analyse_motifs(
    ctx: _Context, group: list[int], width: int, centers: np.ndarray, spreads: np.ndarray
) -> list[MotifResult]:
    """Counts, window statistics and best windows of motifs of one width.

    Parameters
    ----------
    group : list of int
        Input motif indices, all of width ``width``.
    centers, spreads : (n_windows,) int64
        The windows to test (doubled coordinates).
    """
    seq_len, flip = ctx.seq_len, ctx.flip
    n_bins = seq_len - width + 1
    counts = np.stack(
        [_site_counts(ctx.best, ctx.passing, ctx.values, m, width, seq_len, flip) for m in group]
    )
    total = ctx.passing[:, group].sum(axis=0).astype(np.int64)
    neg_counts = neg_total = None
    if ctx.neg_best is not None:
        neg_counts = np.stack(
            [
                _site_counts(ctx.neg_best, ctx.neg_passing, ctx.values, m, width, seq_len, flip)
                for m in group
            ]
        )
        neg_total = ctx.neg_passing[:, group].sum(axis=0).astype(np.int64)
    log_n_tests = math.log(spreads.size)
    sites, log_p = _window_stats_all(counts, total, centers, spreads, n_bins)
    log_adj = logev_array(log_n_tests, log_p)
    results = []
    for k, m in enumerate(group):
        if total[k] == 0:
            continue  # no sites in the positive set, hence no windows
        windows = _best_windows(
            sites[k],
            log_p[k],
            log_adj[k],
            int(total[k]),
            centers,
            spreads,
            n_bins,
            log_n_tests,
            ctx.log_pvalue_thresh,
            None if neg_counts is None else neg_counts[k],
            None if neg_total is None else int(neg_total[k]),
        )
        if not windows:
            continue
        results.append(
            MotifResult(
                motif_index=m,
                db_index=ctx.db_index[m],
                motif=ctx.motifs[m],
                consensus=consensus(ctx.probs_list[m]),
                pssm=ctx.pssms[m],
                score_threshold=float(ctx.thresholds[m]),
                total_width=n_bins,
                mult_tests=int(spreads.size),
                total_sites=int(total[k]),
                neg_total_sites=0 if neg_total is None else int(neg_total[k]),
                windows=windows,
                site_counts=counts[k],
                neg_site_counts=None if neg_counts is None else neg_counts[k],
            )
        )
    return results


def _backgrounds(background, codes, lengths, both: bool) -> tuple[np.ndarray, np.ndarray]:
    """(PSSM background, pseudocount background) as MEME derives them."""
    if background is None:
        bg = sequence_background(codes, lengths)
        pssm_bg = symmetrize(bg) if both else bg
        pseudo_bg = normalize_frequencies(symmetrize(pssm_bg) if both else pssm_bg)
        return pssm_bg, pseudo_bg
    if isinstance(background, str):
        if background.strip("-").lower() != "uniform":
            raise ValueError(f"unknown background {background!r}")
        background = np.full(4, 0.25)
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (4,) or np.any(bg < 0) or bg.sum() <= 0:
        raise ValueError("background must give 4 non-negative frequencies (A, C, G, T)")
    bg = normalize_frequencies(symmetrize(bg) if both else bg)
    return bg, bg


def _expand_columns(best: BestSites, columns: list[int], n_cols: int) -> BestSites:
    """Place the best sites of the scanned motifs at their input columns."""
    if len(columns) == n_cols:
        return best
    n = best.score.shape[0]
    out = BestSites(
        np.full((n, n_cols), NO_SITE, dtype=np.int32),
        np.zeros((n, n_cols), dtype=np.int32),
        np.full((n, n_cols), -1, dtype=np.int32),
        np.zeros((n, n_cols), dtype=np.int8),
        best.tie_seq,
        np.asarray(columns, dtype=np.int32)[best.tie_motif],
        best.tie_start,
        best.tie_strand,
    )
    out.score[:, columns] = best.score
    out.n_best[:, columns] = best.n_best
    out.start[:, columns] = best.start
    out.strand[:, columns] = best.strand
    return out


def _best_windows(
    sites: np.ndarray,
    log_p: np.ndarray,
    log_adj: np.ndarray,
    total: int,
    centers: np.ndarray,
    spreads: np.ndarray,
    n_bins: int,
    log_n_tests: float,
    log_pvalue_thresh: float,
    neg_counts: np.ndarray | None,
    neg_total: int | None,
) -> list[Window]:
    """The significant non-overlapping windows of one motif, best first (exact values).

    ``sites``, ``log_p`` and ``log_adj`` (n_windows,) come from the vectorised statistics;
    the candidates for the best window and those near the threshold are recomputed with
    the scalar port of MEME.
    """
    log_p, log_adj = log_p.copy(), log_adj.copy()
    bins = (spreads - 1) // 2 + 1
    # windows whose adjusted p-value is clamped to 1 far from the boundary need no check
    settled = (log_n_tests + log_p) > _LOGMAXPROD + 1e-6
    tol = 1e-9 * np.maximum(1.0, np.abs(log_adj))
    near = (np.abs(log_adj - log_pvalue_thresh) <= tol) & ~settled
    candidate = log_adj <= log_pvalue_thresh + tol
    if not candidate.any():
        return []
    best_screen = log_adj[candidate].min()
    top = candidate & (log_adj <= best_screen + 1e-9 * max(1.0, abs(best_screen))) & ~settled
    exact = near | top
    for i in np.nonzero(exact)[0]:
        log_p[i] = log_binomial_tail(sites[i], total, int(bins[i]), n_bins)
        log_adj[i] = logev(log_n_tests, log_p[i])
    keep = np.nonzero(log_adj <= log_pvalue_thresh)[0]
    if keep.size == 0:
        return []
    order = keep[np.lexsort((centers[keep], spreads[keep], log_adj[keep]))]
    chosen = _remove_redundant(order, centers, spreads)
    cum_neg = None
    if neg_counts is not None:
        cum_neg = np.concatenate([[0.0], np.cumsum(neg_counts)])
    windows = []
    for rank, i in enumerate(chosen):
        if rank > 0 and not exact[i]:
            log_p[i] = log_binomial_tail(sites[i], total, int(bins[i]), n_bins)
            log_adj[i] = logev(log_n_tests, log_p[i])
        win = Window(
            int(centers[i]),
            int(spreads[i]),
            int(bins[i]),
            float(sites[i]),
            float(log_p[i]),
            float(log_adj[i]),
        )
        if cum_neg is not None:
            left, right = win.left, win.right
            win.neg_sites = float(cum_neg[right + 1] - cum_neg[left])
            win.neg_log_pvalue = log_binomial_tail(win.neg_sites, neg_total, win.n_bins, n_bins)
            win.neg_log_adj_pvalue = logev(log_n_tests, win.neg_log_pvalue)
            win.fisher_log_pvalue = log_fisher_pvalue(
                int(math.floor(win.sites + 0.5)),
                total,
                int(math.floor(win.neg_sites + 0.5)),
                neg_total,
            )
            win.fisher_log_adj_pvalue = logev(log_n_tests, win.fisher_log_pvalue)
        windows.append(win)
    return windows


def _remove_redundant(order: np.ndarray, centers: np.ndarray, spreads: np.ndarray) -> list[int]:
    """Drop windows overlapping a better one (``order`` is best to worst)."""
    kept: list[int] = []
    lefts, rights = [], []
    for i in order:
        half = (spreads[i] - 1) // 2
        left, right = centers[i] - half, centers[i] + half
        if any(r >= left and right >= le for le, r in zip(lefts, rights, strict=True)):
            continue
        kept.append(int(i))
        lefts.append(left)
        rights.append(right)
    return kept


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def format_log_value(loge: float, prec: int = 1) -> str:
    """A natural-log value printed as MEME's ``print_log_value`` (e.g. ``3.5e-64``)."""
    if math.isinf(loge) and loge < 0:
        return f"{0.0:.{prec}f}e0"
    log10_val = loge / math.log(10)
    e = int(math.floor(log10_val))
    m = math.pow(10.0, log10_val - e)
    if m + 0.5 * math.pow(10, -prec) >= 10:
        m = 1.0
        e += 1
    if m == 0:
        e = 0
    return f"{m:.{prec}f}e{e}"


def version_line() -> str:
    return (
        f"# CentriMo (Local Motif Enrichment Analysis): Version {MEME_VERSION} "
        f"(reimplemented in deepcons {__version__})"
    )


def format_centrimo_tsv(result: CentrimoResult, command_line: str = "centrimo") -> str:
    """centrimo.tsv as MEME 5.5.6 writes it (header, rows, then ``#`` comment lines)."""
    header = TSV_COLUMNS + (NEG_COLUMNS if result.has_neg else [])
    lines = ["\t".join(header)]
    for m in result.motifs:
        lines.append(_tsv_row(m, result))
    text = "\n".join(lines) + "\n"
    text += "\n" + version_line() + "\n"
    text += (
        "# The format of this file is described at "
        "https://meme-suite.org/meme/doc/centrimo-output-format.html.\n"
    )
    return text + f"# {command_line}\n"


def _c_round(x: float) -> float:
    """C's ``round``: halves away from zero (Python's ``round`` goes to even)."""
    r = math.floor(abs(x))
    return math.copysign(r + 1.0 if abs(x) - r >= 0.5 else r, x)


def _tsv_row(m: MotifResult, result: CentrimoResult) -> str:
    w = m.best
    parts = [
        f"{m.db_index + 1:4d}\t",
        f"{m.motif.id}\t",
        f"{m.motif.alt}\t{m.consensus}\t",
        format_log_value(w.log_adj_pvalue + math.log(result.n_motifs)) + "\t",
        "   " + format_log_value(w.log_adj_pvalue) + "\t",
        f"{w.log_adj_pvalue:15.2f}\t",
        f"{w.location(result.sequence_length):12.1f}\t{float(w.n_bins):9.1f}\t"
        f"{m.total_width:11d}\t{_c_round(w.sites):12.0f}\t{m.total_sites:11d}\t"
        f"{m.p_success:9.5f}\t",
        format_log_value(w.log_pvalue) + "\t",
        f"{m.mult_tests:10d}",
    ]
    if result.has_neg:
        parts += [
            f"\t{w.neg_sites:12.0f}\t{m.neg_total_sites:11d}\t",
            format_log_value(w.neg_log_adj_pvalue),
            f"\t{w.neg_log_adj_pvalue:15.2f}\t",
            format_log_value(w.fisher_log_adj_pvalue),
            f"\t{w.fisher_log_adj_pvalue:15.2f}\t",
        ]
    return "".join(parts)


def format_site_counts(result: CentrimoResult) -> str:
    """site_counts.txt as MEME writes it: per reported motif, in motif-file order."""
    out = []
    L = result.sequence_length
    for m in sorted(result.motifs, key=lambda r: (r.db_index, r.motif_index)):
        header = f"DB {m.db_index} MOTIF\t{m.motif.id}"
        out.append(header + (f"\t{m.motif.alt}" if m.motif.alt else ""))
        w = m.width
        for i in range(w - 1, 2 * L - 1 - (w - 1), 2):
            pos = (i - L + 1) / 2.0
            if m.neg_site_counts is not None:
                out.append(f"{pos: 6.1f}\t{m.site_counts[i]:g}\t{m.neg_site_counts[i]:g}")
            else:
                out.append(f"{pos: 6.1f}\t{m.site_counts[i]:g}")
    return "".join(line + "\n" for line in out)


def write_centrimo(
    result: CentrimoResult, outdir: str | os.PathLike, command_line: str = "centrimo"
) -> None:
    """Write centrimo.tsv and site_counts.txt into ``outdir`` (atomically)."""
    from .atomic import atomic_write_text

    os.makedirs(outdir, exist_ok=True)
    atomic_write_text(os.path.join(outdir, "site_counts.txt"), format_site_counts(result))
    atomic_write_text(
        os.path.join(outdir, "centrimo.tsv"), format_centrimo_tsv(result, command_line)
    )


def print_warnings(warnings: Iterable[str], stream=sys.stderr) -> None:
    for warning in warnings:
        print(warning, file=stream)
