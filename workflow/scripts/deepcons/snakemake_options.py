"""Whether a Snakemake command line runs jobs, read with Snakemake's own argument parser
(the Snakefile is parsed by every command, a report or an unlock as well as a run)."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence

# Snakemake's destinations of the options of commands that run no job: reports, unlocks,
# listings, graphs, summaries, clean-ups and exports (tests/test_snakemake_options.py checks
# that its parser still has them all)
NO_JOB_DESTS = frozenset(
    {
        "unlock",
        "report",
        "lint",
        "list_rules",
        "list_target_rules",
        "list_changes",
        "list_input_changes",
        "list_params_changes",
        "list_untracked",
        "list_conda_envs",
        "summary",
        "detailed_summary",
        "dag",
        "d3dag",
        "rulegraph",
        "filegraph",
        "print_compilation",
        "cleanup_metadata",
        "cleanup_shadow",
        "delete_all_output",
        "delete_temp_output",
        "containerize",
        "export_cwl",
        "archive",
        "generate_unit_tests",
        "conda_create_envs_only",
        "conda_cleanup_envs",
        "container_cleanup_images",
    }
)


def is_snakemake_program(argv: Sequence[str]) -> bool:
    """Whether ``argv`` (``sys.argv``) is the ``snakemake`` program's (or ``python -m
    snakemake``'s), not another program's that runs Snakemake's API inside it."""
    return bool(argv) and "snakemake" in os.path.normpath(argv[0]).split(os.sep)[-2:]


def runs_jobs(argv: Sequence[str]) -> bool:
    """False where ``argv`` (a ``snakemake`` command line, program first) asks for a command
    that runs no job. ``--report`` with ``--report-after-run`` runs the workflow first. True
    when in doubt: for another program (Snakemake's API inside it), or where Snakemake's
    parser cannot read the line."""
    args = _parsed(argv)
    if args is None:
        return True
    if getattr(args, "report_after_run", False):
        return True
    return not any(_given(args, dest) for dest in NO_JOB_DESTS)


# options that leave planned jobs unrun (or only touched)
JOB_LIMIT_DESTS = frozenset({"until", "omit_from", "touch"})


def runs_every_planned_job(argv: Sequence[str]) -> bool:
    """Whether ``argv`` runs jobs and runs every job planned for its targets that is not
    up to date (no ``--until``, ``--omit-from`` or ``--touch``). True when in doubt."""
    args = _parsed(argv)
    return runs_jobs(argv) and (args is None or not any(_given(args, d) for d in JOB_LIMIT_DESTS))


def _parsed(argv: Sequence[str]):
    """Snakemake's parse of ``argv``, or None for another program or a line it cannot read."""
    if not is_snakemake_program(argv):
        return None
    from snakemake.cli import get_argument_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):  # no usage message on a bad line
            args, _ = get_argument_parser().parse_known_args(list(argv[1:]))
    except (SystemExit, Exception):  # argparse exits; Snakemake's own types raise
        return None
    return args


def _given(args, dest: str) -> bool:
    value = getattr(args, dest, None)
    return value not in (None, False) and not (isinstance(value, list | set) and not value)
