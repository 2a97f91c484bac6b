"""Which Snakemake command lines run jobs (and so must find every input file up front)."""

from __future__ import annotations

import pytest
from snakemake.cli import get_argument_parser

from deepcons.snakemake_options import (
    JOB_LIMIT_DESTS,
    NO_JOB_DESTS,
    is_snakemake_program,
    runs_every_planned_job,
    runs_jobs,
)

SNAKEMAKE = "/opt/venv/bin/snakemake"
PYTHON_M = "/opt/venv/lib/python3.11/site-packages/snakemake/__main__.py"  # python -m snakemake


def test_snakemake_still_has_every_option_named():
    dests = {action.dest for action in get_argument_parser()._actions}
    assert NO_JOB_DESTS | JOB_LIMIT_DESTS <= dests  # a renamed option fails here, not silently


@pytest.mark.parametrize(
    "argv",
    [
        ["--unlock"],
        ["--unl"],  # argparse's abbreviations
        ["--lt"],
        ["-nl"],  # short options together
        ["--list-changes", "code"],
        ["--report", "report.html"],
        ["--report=report.html"],
        ["--report"],
        ["-n", "--dag"],
        ["--cores", "2", "--cm", "results/x"],
        ["--cleanup-shadow"],
    ],
)
def test_commands_that_run_no_job(argv):
    assert not runs_jobs([SNAKEMAKE, *argv])
    assert not runs_jobs([PYTHON_M, *argv])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--cores", "all"],
        ["-n", "results/report.html"],
        ["--report-after-run", "--report", "report.html"],
        ["-l", "--report-a"],  # --report-after-run, abbreviated
        ["--profile", "profiles/slurm", "--configfile", "config/hg19.yaml"],
        ["--cores", "many"],  # a line Snakemake's parser refuses: in doubt, runs jobs
    ],
)
def test_commands_that_run_jobs(argv):
    assert runs_jobs([SNAKEMAKE, *argv])


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--cores", "2"], True),
        (["-n", "results/motifs/tomtom.tsv"], True),
        (["--until", "train_cnn"], False),
        (["--omit-from", "tomtom_known_motifs"], False),
        (["--touch"], False),
        (["-t"], False),
        (["--unlock"], False),
        (["--cores", "many"], True),  # in doubt
    ],
)
def test_commands_that_run_every_planned_job(argv, expected):
    assert runs_every_planned_job([SNAKEMAKE, *argv]) is expected


def test_another_program_using_snakemake_is_not_read_as_snakemake():
    assert runs_jobs(["/usr/bin/pytest", "-l"])  # pytest's -l is not a listing
    assert runs_jobs([])


def test_the_snakemake_program_is_told_from_others():
    assert is_snakemake_program([SNAKEMAKE, "-n"]) and is_snakemake_program([PYTHON_M])
    assert not is_snakemake_program(["/usr/bin/python3", "-c"])
    assert not is_snakemake_program(["/opt/venv/bin/pytest"]) and not is_snakemake_program([])
