"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
MEME_REFERENCE = DATA / "meme-suite"


@pytest.fixture
def meme_reference() -> Path:
    return MEME_REFERENCE
