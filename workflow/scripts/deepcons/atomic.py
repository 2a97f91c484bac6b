"""Write files so that a failed or killed step never leaves a half-written output.

Everything is written to a temporary name in the same directory and renamed into place,
which is atomic on POSIX file systems.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    ``suffix`` keeps an extension that a writer needs to see (matplotlib picks the format
    from it); by default the final name's suffixes are kept.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix is None:
        suffix = "".join(path.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes 0600 (and some writers replace the file): outputs get the usual mode
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that :func:`atomic_path` left beside ``path`` in a process
    killed outright (SIGKILL, a lost node), which no ``finally`` could remove. Call it before
    writing ``path`` again; returns what was removed."""
    path = Path(path)
    # mkstemp's random part is 8 characters: '.train.*' must not take '.train.codes.npy.*'
    pattern = f".{glob.escape(path.name)}.{'?' * 8}.tmp*"
    removed = sorted(path.parent.glob(pattern))
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator:
    """Open a temporary file beside ``path`` for writing; rename it into place on success."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)
