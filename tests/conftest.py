"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# before torch loads MKL: bitwise reproducible results whatever the memory alignment (as the
# Snakefile sets it for the workflow's jobs)
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
MEME_REFERENCE = DATA / "meme-suite"


@pytest.fixture
def meme_reference() -> Path:
    return MEME_REFERENCE
