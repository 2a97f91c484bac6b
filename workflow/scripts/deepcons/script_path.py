"""Which copy of the deepcons library the rule scripts import."""

from __future__ import annotations

import os


def put_first_on_pythonpath(directory: str | os.PathLike) -> None:
    """Make ``directory`` the first entry of PYTHONPATH for the processes started from here.

    Rule scripts then import the library beside the Snakefile that runs them, ahead of an
    installed copy: an editable install of another checkout would otherwise be the one
    that runs (Snakemake puts a script's own folder after site-packages).
    """
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    directory = os.fspath(directory)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [directory] + [p for p in inherited if p != directory]
    )
