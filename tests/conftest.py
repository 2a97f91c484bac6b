"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

import logging
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


@pytest.fixture(autouse=True)
def no_handlers_on_closed_streams():
    """The command-line entry points (logs.setup_logging) log to the sys.stderr of their
    test, which pytest closes after it: later records would fail on it ('Logging error')."""
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed", False):
            root.removeHandler(handler)
    yield
