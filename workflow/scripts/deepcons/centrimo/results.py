"""What a CentriMo run found: each motif's best window, its sites, the run's parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..meme_io import Motif
from ..motif_scan import BestSites
from .pssm import ScaledPSSM
from .sites import counted_sites
from .windows import Window


@dataclass
class MotifResult:
    """CentriMo's result for one reported motif.

    Attributes
    ----------
    motif_index : int
        Index of the motif in the list given to :func:`.analysis.run_centrimo`.
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
        Indices into the sequences given to :func:`.analysis.run_centrimo`.
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
        return counted_sites(best, passing, motif_index, width, self.sequence_length, self.flip)

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
