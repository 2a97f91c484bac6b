"""Which Snakemake command lines run jobs (and so must find every input file up front)."""

from __future__ import annotations

import pytest
from snakemake.cli import get_argument_parser

from deepcons.snakemake_options import NO_JOB_OPTIONS, runs_jobs

# Snakemake's destinations of the commands that run no job
NO_JOB_DESTS = {
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
    "delete_all_output",
    "delete_temp_output",
    "containerize",
    "export_cwl",
    "archive",
    "generate_unit_tests",
    "conda_create_envs_only",
}


def test_every_alias_snakemake_has_for_them_is_known():
    actions = {a.dest: a.option_strings for a in get_argument_parser()._actions}
    assert NO_JOB_DESTS <= actions.keys()  # a renamed option fails here, not silently
    spelled = {option for dest in NO_JOB_DESTS for option in actions[dest]}
    assert spelled == NO_JOB_OPTIONS


@pytest.mark.parametrize(
    "argv",
    [
        ["--unlock"],
        ["--lt"],
        ["--list-changes", "code"],
        ["--report", "report.html"],
        ["--report=report.html"],
        ["-n", "--dag"],
        ["--cores", "2", "--cm", "results/x"],
    ],
)
def test_commands_that_run_no_job(argv):
    assert not runs_jobs(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--cores", "all"],
        ["-n", "results/report.html"],
        ["--report-after-run", "--report", "report.html"],
        ["--profile", "profiles/slurm", "--configfile", "config/hg19.yaml"],
        ["-m", "pytest", "-q"],  # Snakemake's API inside another program
    ],
)
def test_commands_that_run_jobs(argv):
    assert runs_jobs(argv)
