"""Motif-motif comparison that reproduces the MEME suite's Tomtom (version 5.5.6).

Tomtom (Gupta et al. 2007, Genome Biology 8:R24) scores every alignment of a query motif
against every target motif (and its reverse complement) as a sum of column-column scores,
and turns the best alignment's score into a p-value with a null distribution built from the
query's own scores against all target columns. This package follows the MEME suite's C code
step by step, so that its tables are the program's tables, not an approximation of them:

1. Motifs get a pseudocount of ``motif_pseudo`` (0.1) weighted by their ``nsites`` (20 when
   absent, truncated to an integer as MEME does), spread by the background.
2. Each query column is scored against every target column of both strands (``pearson``,
   ``ed`` or ``sandelin``); Pearson's running sums are rounded to 14 significant digits as
   MEME 5 does, so that near-ties break the same way.
3. In complete-score mode (the default) each query column's scores are shifted by their
   (MEME-style) median, so that leaving a column unaligned scores 0.
4. All scores of a query are scaled into integers 0..100 with one offset and scale.
5. The null distribution of the summed score of every run of query columns ``[s, e]`` is the
   convolution of the per-column score histograms (the targets' columns as an "infinite
   alphabet" with uniform weights); its upper tail gives an alignment's p-value.
6. Incomplete scores: the best alignment (offset) is the one with the smallest p-value, and
   the target's p-value is ``1 - (1 - p)^n`` over the ``n`` alignments tried (both strands).
   Complete scores: the best alignment has the largest complete score, and its p-value is
   that of the maximum of independent complete scores over all alignments and strands.
7. E = p x number of targets; q-values are Storey's (bootstrap pi0 estimate, drawn from
   MEME's own Mersenne Twister sequence) over the query's p-values against all targets and
   strands.

Two implementations give the same table. The default one (``method='compiled'``, needs
numba) runs each query through compiled loops (:mod:`.loops`, driven by
:mod:`.compiled`): a few passes over the query's columns x all target columns, each of them
vectorised or a single histogram, in threads over queries (the kernels release the GIL),
which also rank the results (:mod:`.ranking`) and draw the q-values' bootstraps
(:mod:`.qvalues`). The other (``method='numpy'``, :mod:`.reference`) is vectorised numpy
per query, the reference the compiled kernels are tested against; it runs where numba is
missing. Nothing here imports torch, and numba only on first use (compiling takes some
10 s once; the machine code is cached on disk).

Where exactness costs: Pearson scores are first computed without MEME's per-sum rounding
and then recomputed with it only where the last bits can change a result (see
:func:`.scores.scaled_pearson`); the numpy Euclidean distance uses scipy's ``cdist``, whose
summation order is MEME's (checked bit for bit by the tests); the compiled kernels compute
the integer scores in float32 and redo in MEME's double precision the few that lie near a
rounding boundary, and take medians and extremes from exact values (see :mod:`.loops`).
The null distributions and p-value products are sums whose order is not MEME's (in
neither implementation): they agree with it to about 1e-15, so p-values agree to the float
MEME keeps (complete scores) or to about 1e-13 (incomplete scores).

Modules, in the order of the steps: :mod:`.constants` (MEME's), :mod:`.motifs` (1),
:mod:`.scores` (2-4), :mod:`.targets`, :mod:`.reference` and :mod:`.loops` with
:mod:`.compiled` (5-6), :mod:`.qvalues` and :mod:`.ranking` (7), :mod:`.compare` (the entry
point) and :mod:`.output` (MEME's table).
"""

from .compare import METHODS, compare_motifs
from .constants import BINS, DEFAULT_NSITES, DISTANCES, MEME_VERSION, MIN_TARGETS
from .motifs import meme_consensus, prepare_probs, symmetric_background
from .output import TSV_COLUMNS, apply_threshold, format_tsv, read_tsv, write_tsv
from .qvalues import PI_ZERO_DRAWS, MemeRandom, estimate_pi_zero, meme_qvalues
from .scores import column_scores, round_significant, scaled_column_scores

__all__ = [
    "BINS",
    "DEFAULT_NSITES",
    "DISTANCES",
    "MEME_VERSION",
    "METHODS",
    "MIN_TARGETS",
    "PI_ZERO_DRAWS",
    "TSV_COLUMNS",
    "MemeRandom",
    "apply_threshold",
    "column_scores",
    "compare_motifs",
    "estimate_pi_zero",
    "format_tsv",
    "meme_consensus",
    "meme_qvalues",
    "prepare_probs",
    "read_tsv",
    "round_significant",
    "scaled_column_scores",
    "symmetric_background",
    "write_tsv",
]
