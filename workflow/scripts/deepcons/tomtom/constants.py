"""Tomtom's constants from the MEME suite's C code (version 5.5.6)."""

from __future__ import annotations

import numpy as np

MEME_VERSION = "5.5.6"
DISTANCES = ("pearson", "ed", "sandelin")

BINS = 100  # integer range of one scaled column score (MEME's BINS)
DEFAULT_NSITES = 20  # site count assumed when a motif gives none (DEFAULT_SITE_COUNT)
SIGNIFICANT_DIGITS = 14  # MEME's RNDDIG: Pearson sums are rounded to this many digits
MEME_LN10 = 2.30258509299405  # MEME's mylog10 divides by this truncated ln(10)
MIN_TARGETS = 50  # MEME warns that p-values are inaccurate with fewer target motifs

UNIFORM_BACKGROUND = np.full(4, 0.25)
