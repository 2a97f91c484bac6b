"""Whether a Snakemake command line runs jobs, read from its options (the Snakefile is
parsed by every command, a report or an unlock as well as a run)."""

from __future__ import annotations

from collections.abc import Sequence

# Snakemake 9's options (and their aliases) of commands that run no job: reports, unlocks,
# listings, graphs, summaries, clean-ups and exports. tests/test_snakemake_options.py checks
# this list against Snakemake's own argument parser.
NO_JOB_OPTIONS = frozenset(
    {
        "--unlock",
        "--report",
        "--lint",
        "--list-rules",
        "--list",
        "-l",
        "--list-target-rules",
        "--lt",
        "--list-changes",
        "--lc",
        "--list-input-changes",
        "--li",
        "--list-params-changes",
        "--lp",
        "--list-untracked",
        "--lu",
        "--list-conda-envs",
        "--summary",
        "-S",
        "--detailed-summary",
        "-D",
        "--dag",
        "--d3dag",
        "--rulegraph",
        "--filegraph",
        "--print-compilation",
        "--cleanup-metadata",
        "--cm",
        "--delete-all-output",
        "--delete-temp-output",
        "--containerize",
        "--export-cwl",
        "--archive",
        "--generate-unit-tests",
        "--conda-create-envs-only",
    }
)


def runs_jobs(argv: Sequence[str]) -> bool:
    """False where ``argv`` (without the program) asks for a command that runs no job;
    ``--report`` with ``--report-after-run`` runs the workflow first."""
    options = {arg.split("=")[0] for arg in argv if arg.startswith("-")}
    return "--report-after-run" in options or not options & NO_JOB_OPTIONS
