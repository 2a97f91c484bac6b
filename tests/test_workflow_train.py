"""The training stage run by Snakemake: outputs, and resuming after a kill."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from workflow_runner import REPO, demo_config, run_snakemake

pytestmark = pytest.mark.slow

TRAIN_SETTINGS = {"max_epochs": 24, "patience": 100, "batch_size": 32, "threads": 1}


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("train")
    run_snakemake(workdir, "train", config=demo_config(train=TRAIN_SETTINGS))
    return workdir


def test_train_stage_outputs(trained):
    history = (trained / "results/train/history.tsv").read_text().splitlines()
    assert history[0].split("\t") == [
        "epoch",
        "train_loss",
        "valid_loss",
        "valid_auc",
        "seconds",
        "train_seq_per_s",
    ]
    assert len(history) == 1 + 24
    metrics = (trained / "results/evaluate/metrics.tsv").read_text().splitlines()
    assert metrics[0].split("\t") == ["model", "split", "n", "accuracy", "auc"]
    assert {tuple(r.split("\t")[:2]) for r in metrics[1:]} == {
        (m, s) for m in ("cnn", "logreg") for s in ("valid", "test")
    }
    predictions = (trained / "results/evaluate/predictions.tsv").read_text().splitlines()
    assert predictions[0] == "id\tlabel\tcnn\tlogreg" and len(predictions) > 10
    # the test rows of metrics.tsv, recomputed from the predictions (sklearn, independently)
    from sklearn.metrics import roc_auc_score

    rows = [r.split("\t") for r in predictions[1:]]
    labels = [int(r[1]) for r in rows]
    reported = {tuple(r.split("\t")[:2]): r.split("\t")[2:] for r in metrics[1:]}
    for column, model in ((2, "cnn"), (3, "logreg")):
        probs = [float(r[column]) for r in rows]
        n, accuracy, auc = reported[(model, "test")]
        assert int(n) == len(rows)
        assert float(auc) == pytest.approx(roc_auc_score(labels, probs), abs=1e-4)
        correct = sum((p >= 0.5) == (y == 1) for p, y in zip(probs, labels, strict=True))
        assert float(accuracy) == pytest.approx(correct / len(rows), abs=1e-4)
    for figure in (
        "results/train/learning_curve.png",
        "results/evaluate/roc.png",
        "results/evaluate/roc.pdf",
    ):
        assert (trained / figure).stat().st_size > 1000
    # the resumable state is gone once training has finished
    assert not (trained / "results/train/checkpoint/state.safetensors").exists()
    assert "epoch 24/24" in (trained / "logs/train_cnn.log").read_text()


def reordered(value):
    """The same config with every mapping's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    return value


def test_key_order_written_defaults_and_speed_settings_rerun_nothing(trained, tmp_path):
    config = demo_config(train=TRAIN_SETTINGS)
    # the same settings in another order, with defaults written out...
    edited = reordered(config)
    edited["train"]["learning_rate"] = 0.005
    edited["baseline"] = {"max_iter": 1000, "kmax": 5}
    edited["dataset"]["split"] = {"test": 0.1, "train": 0.8}  # valid left to its default
    # ...and settings that change only how fast it runs
    edited["train"].update(threads=2, device="cpu", eval_batch_size=64)
    (tmp_path / "edited.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
    result = run_snakemake(
        trained, "train", extra=["-n", "--configfile", str(tmp_path / "edited.yaml")]
    )
    assert "Nothing to be done" in result.stdout + result.stderr
    # a real change does rerun training
    edited["train"]["learning_rate"] = 0.01
    (tmp_path / "edited.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
    result = run_snakemake(
        trained, "train", extra=["-n", "--configfile", str(tmp_path / "edited.yaml")]
    )
    assert "rule train_cnn:" in result.stdout
    # the same through nested --config overrides (Snakemake passes their numbers as strings)
    speed = "train={threads: 2, eval_batch_size: 64, device: cpu}"
    configfile = ["--configfile", str(trained / "config.yaml")]
    result = run_snakemake(trained, "train", extra=["-n", *configfile, "--config", speed])
    assert "Nothing to be done" in result.stdout + result.stderr
    result = run_snakemake(
        trained, "train", extra=["-n", *configfile, "--config", "train={learning_rate: 0.01}"]
    )
    assert "rule train_cnn:" in result.stdout


def checkpoint_epoch(workdir):
    import json

    from safetensors import safe_open

    path = workdir / "results/train/checkpoint/state.safetensors"
    try:
        with safe_open(str(path), framework="pt") as f:
            return json.loads(f.metadata()["state"])["epoch"]
    except Exception:
        return 0


def test_killed_training_resumes_to_the_same_result(trained, tmp_path):
    config = demo_config(train=TRAIN_SETTINGS)
    # build the data set first, so that the kill lands in training
    run_snakemake(tmp_path, "dataset", config=config)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "train",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(tmp_path),
    ]
    cmd += ["--cores", "2", "--configfile", str(tmp_path / "config.yaml")]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while checkpoint_epoch(tmp_path) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "training ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
    proc.wait(timeout=60)
    stopped_at = checkpoint_epoch(tmp_path)
    assert 3 <= stopped_at < 24
    # no model yet; the history (DESIGN: a row after each epoch) has the epochs so far
    for name in ("model.safetensors", "model.json"):
        assert not (tmp_path / "results/train" / name).exists(), name
    live = (tmp_path / "results/train/history.tsv").read_text().splitlines()
    assert len(live) >= stopped_at  # the header and the epochs (the last may be saved alone)
    assert (tmp_path / "results/train/learning_curve.png").exists()
    # the job is known to be unfinished: the next run redoes it
    planned = run_snakemake(tmp_path, "train", config=config, extra=["-n"]).stdout
    assert "rule train_cnn:" in planned

    run_snakemake(tmp_path, "train", config=config)
    log = (tmp_path / "logs/train_cnn.log").read_text()
    assert f"resumed from the checkpoint after epoch {stopped_at}" in log
    assert sha(tmp_path / "results/train/model.safetensors") == sha(
        trained / "results/train/model.safetensors"
    )
    assert (tmp_path / "results/evaluate/metrics.tsv").read_text() == (
        trained / "results/evaluate/metrics.tsv"
    ).read_text()
    ours = [
        r.split("\t")[:4] for r in (tmp_path / "results/train/history.tsv").read_text().splitlines()
    ]
    theirs = [
        r.split("\t")[:4] for r in (trained / "results/train/history.tsv").read_text().splitlines()
    ]
    assert ours == theirs
    assert sorted(p.name for p in (tmp_path / "results/train/checkpoint").iterdir()) == []
