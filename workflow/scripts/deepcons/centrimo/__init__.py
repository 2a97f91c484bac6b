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
a line-by-line port of MEME's arithmetic (:mod:`.statistics`) so that the printed values
match MEME's.

Modules, in the order of the steps: :mod:`.constants` (MEME's), :mod:`.sequences`,
:mod:`.background` (1), :mod:`.pssm` (2), :mod:`.sites` (3), :mod:`.windows` (4),
:mod:`.analysis` (the run, into :mod:`.results`) and :mod:`.output` (MEME's files).
"""

from .analysis import run_centrimo
from .background import normalize_frequencies, read_background_file, sequence_background, symmetrize
from .constants import (
    BG_PSEUDO,
    DEFAULT_EVALUE_THRESH,
    DEFAULT_LO_FRACTION,
    DEFAULT_PSEUDOCOUNT,
    DEFAULT_PVALUE_THRESH,
    DEFAULT_SCORE_THRESH,
    DEFAULT_SITE_COUNT,
    MEME_VERSION,
    PSSM_RANGE,
)
from .output import (
    NEG_COLUMNS,
    TSV_COLUMNS,
    format_centrimo_tsv,
    format_log_value,
    format_site_counts,
    print_warnings,
    version_line,
    write_centrimo,
)
from .pssm import ScaledPSSM, build_pssm, consensus, prepare_motif_probs, pvalue_table
from .results import CentrimoResult, MotifResult, WindowMembers
from .sequences import iter_fasta, read_fasta
from .statistics import (
    log_betai,
    log_betai_array,
    log_binomial_tail,
    log_binomial_tail_array,
    log_fisher_pvalue,
    logev,
    logev_array,
)
from .windows import Window, central_windows, local_windows, window_range

__all__ = [
    "BG_PSEUDO",
    "CentrimoResult",
    "DEFAULT_EVALUE_THRESH",
    "DEFAULT_LO_FRACTION",
    "DEFAULT_PSEUDOCOUNT",
    "DEFAULT_PVALUE_THRESH",
    "DEFAULT_SCORE_THRESH",
    "DEFAULT_SITE_COUNT",
    "MEME_VERSION",
    "MotifResult",
    "NEG_COLUMNS",
    "PSSM_RANGE",
    "ScaledPSSM",
    "TSV_COLUMNS",
    "Window",
    "WindowMembers",
    "build_pssm",
    "central_windows",
    "consensus",
    "format_centrimo_tsv",
    "format_log_value",
    "format_site_counts",
    "iter_fasta",
    "local_windows",
    "log_betai",
    "log_betai_array",
    "log_binomial_tail",
    "log_binomial_tail_array",
    "log_fisher_pvalue",
    "logev",
    "logev_array",
    "normalize_frequencies",
    "prepare_motif_probs",
    "print_warnings",
    "pvalue_table",
    "read_background_file",
    "read_fasta",
    "run_centrimo",
    "sequence_background",
    "symmetrize",
    "version_line",
    "window_range",
    "write_centrimo",
]
