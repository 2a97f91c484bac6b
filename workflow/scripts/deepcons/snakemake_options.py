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
    if not is_snakemake_program(argv):
        return True
    from snakemake.cli import get_argument_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):  # no usage message on a bad line
            args, _ = get_argument_parser().parse_known_args(list(argv[1:]))
    except (SystemExit, Exception):  # argparse exits; Snakemake's own types raise
        return True
    if getattr(args, "report_after_run", False):
        return True
    return not any(getattr(args, dest, None) not in (None, False, []) for dest in NO_JOB_DESTS)
