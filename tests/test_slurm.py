"""The SLURM profile (profiles/slurm), on a real SLURM cluster started on this machine.

The cluster (tests/slurm_cluster.py) is one slurmctld, one slurmd and a munged from
Debian's packages, installed with apt-get when missing, all private to the test and stopped
by PID afterwards. The test is skipped only where that cannot be: without root, apt-get or
the packages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from slurm_cluster import PARTITION, SlurmCluster, unavailable_reason
from workflow_runner import REPO, demo_config

PROFILE = REPO / "profiles" / "slurm"
TINY_TRAIN = {"max_epochs": 2, "patience": 2, "threads": 1}
# The rules that ask for a GPU (`gpu: 1`) when Snakemake sees one (device auto, nvidia-smi).
GPU_RULES = {"train_cnn", "evaluate_models"}
# The rules behind the `dataset` and `train` targets on the demo: every one a SLURM job.
SLURM_RULES = {
    "prepare_genome": 1,
    "select_chromosomes": 1,
    "normalize_annotation": 3,  # conserved, repeats, coding_exons
    "merge_conserved": 1,
    "shuffle_background": 1,
    "encode_dataset": 1,
    "summarize_dataset": 1,
    "train_cnn": 1,
    "train_baseline": 1,
    "evaluate_models": 1,
}
RUN_LIMIT_S = 300
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")


def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


def minutes(time_limit: str) -> int:
    """squeue's time limit (``[days-]hours:minutes:seconds``) in minutes."""
    days, _, clock = time_limit.rpartition("-")
    hours, mins, _ = (int(x) for x in clock.split(":"))
    return int(days or 0) * 1440 + hours * 60 + mins


def expected_runtime(rule: str) -> int:
    """A rule's runtime (minutes) by the profile: its set-resources, else the default."""
    settings = profile()
    specific = settings.get("set-resources", {}).get(rule, {})
    return specific.get("runtime", settings["default-resources"]["runtime"])


def rule_mem_mb(rule: str) -> int:
    """The mem_mb a rule declares in rules/*.smk."""
    for path in (REPO / "rules").glob("*.smk"):
        block = re.search(rf"^rule {rule}:\n(.*?)(?=^rule |\Z)", path.read_text(), re.M | re.S)
        if block:
            return int(re.search(r"mem_mb=(\d+)", block.group(1)).group(1))
    raise KeyError(rule)


def test_the_workstation_profile_runs_every_rule_with_its_memory():
    """profiles/default's mem_mb total holds the largest job; a bigger one would run capped."""
    settings = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    total = dict(r.split("=") for r in settings["resources"])
    declared = [
        int(mem)
        for path in (REPO / "rules").glob("*.smk")
        for mem in re.findall(r"^ +mem_mb=(\d+),", path.read_text(), re.M)
    ]
    assert len(declared) >= 10 and rule_mem_mb("train_cnn") in declared
    assert int(total["gpu"]) == 1
    assert max(declared) <= int(total["mem_mb"]) < 2 * max(declared)


def test_every_rule_that_runs_a_job_declares_its_memory():
    """Without mem_mb a job counts as 0 MB against the workstation's total (and gets the
    cluster's default)."""
    rules = {}
    for path in (REPO / "rules").glob("*.smk"):
        text = path.read_text()
        pattern = r"^( *)rule ?(\w*):\n(.*?)(?=^ *rule[ :]|^\S|\Z)"
        for block in re.finditer(pattern, text, re.M | re.S):
            body = block.group(3)
            # a rule made in a loop is named by its name: directive
            named = re.search(r"name:\s*f?\"([^\"]+)\"", body)
            name = block.group(2) or (named.group(1) if named else "?")
            if re.search(r"^ +(script|shell|run):", body, re.M):
                rules[name] = body
    assert {"train_cnn", "derive_coding_exons", "download_input", "centrimo_{anchor}"} <= set(rules)
    assert [name for name, body in rules.items() if "mem_mb=" not in body] == []


def test_profile_plans_the_workflow(tmp_path):
    """`--profile profiles/slurm -n` needs no SLURM; the placeholders reach every job."""
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(demo_config(train=TINY_TRAIN)))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "train",
            "-n",
            "--profile",
            str(PROFILE),
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "config.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    out = result.stdout + result.stderr
    assert "This was a dry-run" in out
    jobs = re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M)
    planned = {}
    for rule, _ in jobs:
        planned[rule] = planned.get(rule, 0) + 1
    expected = {rule: n for rule, n in SLURM_RULES.items() if rule != "summarize_dataset"}
    assert planned == dict(expected, train=1)
    settings = profile()["default-resources"]
    for rule, resources in jobs:
        assert f"slurm_partition={settings['slurm_partition']}" in resources
        assert f"slurm_account={settings['slurm_account']}" in resources
        assert f"runtime={expected_runtime(rule)}" in resources, (rule, resources)
    assert expected_runtime("train_cnn") == 1440


@pytest.fixture
def slurm_cluster(tmp_path):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = SlurmCluster(tmp_path / "cluster", fake_gpu=True)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.slurm
def test_dataset_and_train_through_slurm(slurm_cluster, tmp_path):
    cluster = slurm_cluster
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "config.yaml").write_text(
        yaml.safe_dump(demo_config(train=TINY_TRAIN), sort_keys=False)
    )
    # The profile as a user fills it in: its default resources with the test cluster's
    # partition and no account (this cluster has none). Without accounting, job status comes
    # from squeue (MinJobAge 600 s), checked every second or so rather than every 40 s;
    # the SLURM logs of successful jobs are kept to be looked at.
    defaults = dict(profile()["default-resources"], slurm_partition=PARTITION)
    del defaults["slurm_account"]
    # Snakemake (and through sbatch --export=ALL, each job) runs with this Python and finds
    # its environment's commands first; and an `nvidia-smi`, so that the GPU rules ask for
    # the cluster's (fake) GPU as on a GPU host (train.device auto: the jobs find no CUDA
    # and train on the CPU).
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "nvidia-smi").write_text("#!/bin/sh\necho 'fake nvidia-smi (test_slurm.py)'\n")
    (fake_bin / "nvidia-smi").chmod(0o755)
    env = dict(cluster.env, PYTHONUNBUFFERED="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(fake_bin), env["PATH"]])
    cmd = [
        "timeout",
        "-k",
        "20",
        str(RUN_LIMIT_S),
        sys.executable,
        "-m",
        "snakemake",
        "dataset",
        "train",
        "--profile",
        str(PROFILE),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--default-resources",
        *(f"{key}={value}" for key, value in defaults.items()),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--slurm-keep-successful-logs",
    ]
    result = subprocess.run(
        cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S + 60
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"snakemake failed ({result.returncode}):\n{log[-8000:]}\n{cluster.log_tail()}"
    )

    # Every job of the run was a SLURM job of this cluster, and completed.
    submitted = {slurm_id: path for _, slurm_id, path in SUBMITTED.findall(log)}
    slurm_jobs = {job["id"]: job for job in cluster.jobs()}
    assert set(submitted) == set(slurm_jobs), (submitted, slurm_jobs)
    rules = {}
    for slurm_id, job in slurm_jobs.items():
        assert job["state"] == "COMPLETED", job
        assert job["partition"] == PARTITION and job["node"] == cluster.node, job
        assert job["name"].startswith("deepcons_"), job  # the profile's job name prefix
        rule = job["comment"].removeprefix("rule_").split("_wildcards_")[0]
        rules[rule] = rules.get(rule, 0) + 1
        # the profile's runtimes and the rules' mem_mb
        assert minutes(job["time_limit"]) == expected_runtime(rule), job
        if rule in ("train_cnn", "train_baseline"):
            assert job["memory"] == f"{rule_mem_mb(rule)}M", job
        assert job["cpus"] == "1", job
        # gpu: 1 in a rule -> sbatch --gpus=1
        details = cluster.job_details(slurm_id)
        assert details.get("TresPerJob", "") == ("gres:gpu:1" if rule in GPU_RULES else ""), details
    assert rules == SLURM_RULES
    # only the target rules, which run nothing, stayed on this host
    assert set(re.findall(r"^localrule (\w+):", log, re.M)) == {"dataset", "train"}
    assert set(re.findall(r"^rule (\w+):", log, re.M)) == set(SLURM_RULES)
    # slurmctld saw each job end well, and each job's Snakemake ran its rule (the SLURM log)
    ctld_log = (cluster.log_dir / "slurmctld.log").read_text()
    for slurm_id, path in submitted.items():
        assert f"JobId={slurm_id} WEXITSTATUS 0" in ctld_log
        job_log = (workdir / path).read_text()
        assert "1 of 1 steps (100%) done" in job_log, job_log[-3000:]
    # ... with this Python (the venv's): the batch script that sbatch got
    train_id = next(i for i, job in slurm_jobs.items() if job["comment"] == "rule_train_cnn")
    script = cluster.run("scontrol", "write", "batch_script", train_id, "-")
    assert f"{sys.executable} -m snakemake" in script, script

    # The outputs.
    from safetensors import safe_open

    with safe_open(str(workdir / "results/train/model.safetensors"), framework="numpy") as f:
        assert {"convs.0.weight", "convs.0.bias"} <= set(f.keys())
    history = (workdir / "results/train/history.tsv").read_text().splitlines()
    assert len(history) == 1 + TINY_TRAIN["max_epochs"]
    metrics = [
        line.split("\t")
        for line in (workdir / "results/evaluate/metrics.tsv").read_text().splitlines()
    ]
    assert metrics[0] == ["model", "split", "n", "accuracy", "auc"]
    assert {tuple(row[:2]) for row in metrics[1:]} == {
        (m, s) for m in ("cnn", "logreg") for s in ("valid", "test")
    }
    n_test = len(np.load(workdir / "results/dataset/test.labels.npy"))
    assert [int(row[2]) for row in metrics[1:] if row[1] == "test"] == [n_test, n_test]
    for split in ("train", "valid", "test"):
        assert (workdir / f"results/dataset/{split}.codes.npy").stat().st_size > 0
    assert "epoch 2/2" in (workdir / "logs/train_cnn.log").read_text()

    # Stopping leaves nothing running: daemons, slurmstepd or jobs.
    cluster.stop()
    assert all(proc.poll() is not None for proc in cluster.daemons.values())
    assert cluster.processes() == []
