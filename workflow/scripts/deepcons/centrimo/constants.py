"""CentriMo's defaults and constants, as in the MEME suite 5.5.6."""

from __future__ import annotations

MEME_VERSION = "5.5.6"
PSSM_RANGE = 1000  # integer range of one scaled PSSM column
DEFAULT_PSEUDOCOUNT = 0.1
DEFAULT_SCORE_THRESH = 5.0
DEFAULT_PVALUE_THRESH = 0.05
DEFAULT_LO_FRACTION = 0.25
DEFAULT_EVALUE_THRESH = 10.0
DEFAULT_SITE_COUNT = 20  # nsites of a motif that gives none
BG_PSEUDO = 0.0000005  # MEME adds this to every background letter before normalising
