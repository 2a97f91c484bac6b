"""The dataset stage run by Snakemake: the demo, sequences mode, downloads, bad input."""

import hashlib
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from local_http import LocalServer
from ucsc_mirror import build_mirror, point_to
from workflow_runner import REPO, demo_config, run_snakemake

DATASET_FILES = [
    f"results/dataset/{split}.{ext}"
    for split in ("train", "valid", "test")
    for ext in ("seq", "codes.npy", "labels.npy", "index.tsv")
] + [
    "results/dataset/conserved.bed",
    "results/dataset/background.bed",
    "results/dataset/dataset.json",
]


def digests(workdir, files=DATASET_FILES):
    return {f: hashlib.sha256((workdir / f).read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    # the default config (config.yaml beside the Snakefile) from another working directory
    workdir = tmp_path_factory.mktemp("demo")
    run_snakemake(workdir, "dataset")
    return workdir


def test_demo_dataset_from_another_directory(demo_run):
    for f in DATASET_FILES + ["results/dataset/summary.tsv", "results/dataset/summary.png"]:
        assert (demo_run / f).stat().st_size > 0, f
    steps = (demo_run / "results/dataset/steps.tsv").read_text().splitlines()
    assert steps[0] == "set\tstep\tintervals\tbases"
    counts = {tuple(r.split("\t")[:2]): int(r.split("\t")[2]) for r in steps[1:]}
    assert counts[("conserved", "conserved_elements")] == 1041
    n_conserved = counts[("conserved", "length_30_1000")]
    assert 100 < n_conserved < 1041
    assert counts[("background", "shuffled")] + counts[("background", "unplaced")] == n_conserved
    n_lines = sum(
        len((demo_run / f"results/dataset/{s}.seq").read_text().splitlines())
        for s in ("train", "valid", "test")
    )
    assert n_lines == n_conserved + counts[("background", "n_fraction_at_most_0.1")]
    # no downloads or stray outputs outside results/ and logs/
    assert not (demo_run / "resources").exists()
    assert (demo_run / "logs" / "encode_dataset.log").read_text().count("sequences") >= 3


def test_a_mistyped_input_path_is_an_error_even_with_results_there(demo_run, tmp_path):
    config = demo_config(input={"conserved": str(tmp_path / "conserved_typo.bed")})
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(config))
    extra = ["-n", "--configfile", str(tmp_path / "typo.yaml")]
    result = run_snakemake(demo_run, "dataset", extra=extra, check=False)
    assert result.returncode != 0
    assert f"config input.conserved: file not found: {tmp_path}/conserved_typo.bed" in (
        result.stdout + result.stderr
    )


def test_commands_that_run_no_job_work_with_an_input_moved_away(demo_run, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(REPO / "resources" / "demo", moved)
    config = demo_config(input={"conserved": str(moved / "conserved.bed")})
    (tmp_path / "moved.yaml").write_text(yaml.safe_dump(config))
    (moved / "conserved.bed").unlink()
    extra = ["--configfile", str(tmp_path / "moved.yaml")]
    report = tmp_path / "report.html"
    for command in (["--unlock"], ["--lt"], ["--report", str(report)]):
        result = run_snakemake(demo_run, "dataset", extra=extra + command, check=False)
        assert result.returncode == 0, result.stderr
    assert report.stat().st_size > 0
    # a command that runs jobs still stops on it, dry or not, report after the run or not
    for command in (["-n"], ["--report", str(report), "--report-after-run"]):
        result = run_snakemake(demo_run, "dataset", extra=extra + command, check=False)
        assert result.returncode != 0
        assert "config input.conserved: file not found" in result.stdout + result.stderr


def test_same_config_same_bytes(demo_run, tmp_path):
    run_snakemake(tmp_path, "dataset")
    assert digests(tmp_path) == digests(demo_run)


def test_sequences_mode_single_file_is_split(tmp_path):
    sample = REPO / "resources" / "samples" / "sample_tr.seq"
    config = {"input": {"mode": "sequences", "sequences": {"train": str(sample)}}}
    run_snakemake(tmp_path, "dataset", config=config)
    labels = {}
    for split in ("train", "valid", "test"):
        rows = (tmp_path / f"results/dataset/{split}.seq").read_text().splitlines()
        labels[split] = [int(r.split("\t")[1]) for r in rows]
    assert [len(v) for v in labels.values()] == [4000, 500, 500]
    assert sum(labels["test"]) == round(2488 * 0.1)
    assert not (tmp_path / "results" / "genome").exists()


def test_sequences_mode_three_files(tmp_path):
    lines = (REPO / "resources/samples/sample_tr.seq").read_text().splitlines()
    for name, part in (("tr", lines[:300]), ("va", lines[300:400]), ("te", lines[400:500])):
        (tmp_path / f"{name}.seq").write_text("\n".join(part) + "\n")
    config = {
        "input": {
            "mode": "sequences",
            "sequences": {"train": "tr.seq", "valid": "va.seq", "test": "te.seq"},
        }
    }
    run_snakemake(tmp_path, "dataset", config=config)
    # given splits are kept as they are, in their order
    assert (tmp_path / "results/dataset/valid.seq").read_text().splitlines() == lines[300:400]


def test_a_sequences_file_of_one_label_is_its_own_error(tmp_path):
    lines = (REPO / "resources/samples/sample_tr.seq").read_text().splitlines()
    (tmp_path / "ones.seq").write_text("".join(r + "\n" for r in lines if r.endswith("\t1")))
    config = {"input": {"mode": "sequences", "sequences": {"train": "ones.seq"}}}
    result = run_snakemake(tmp_path, "dataset", config=config, check=False)
    assert result.returncode != 0
    assert "ones.seq: every sequence has label 1; both 0 and 1 are needed" in result.stderr
    assert not (tmp_path / "results/dataset/train.seq").exists()


def test_hg19_config_downloads_from_a_local_server(tmp_path):
    config = yaml.safe_load((REPO / "config" / "hg19.yaml").read_text())
    www = tmp_path / "www"
    build_mirror(www, config)
    with LocalServer(www) as server:
        config = point_to(config, server.url)
        run_snakemake(tmp_path / "run", "dataset", config=config)
        fetched = sorted(p for p, _ in server.requests)
        assert len(fetched) == 4  # genome, elements, rmsk, refGene; miRNA is not needed yet
        assert any(p.endswith("/hg19.fa.gz") for p in fetched)
        downloads = sorted(
            p.relative_to(tmp_path / "run")
            for p in (tmp_path / "run/resources/downloads").rglob("*")
            if p.is_file()
        )
        assert [str(d) for d in downloads] == [
            "resources/downloads/conserved/phastConsElements46wayPlacental.txt.gz",
            "resources/downloads/genes/refGene.txt.gz",
            "resources/downloads/genome/hg19.fa.gz",
            "resources/downloads/repeats/rmsk.txt.gz",
        ]
        steps = (tmp_path / "run/results/dataset/steps.tsv").read_text()
        assert "conserved\tconserved_elements\t1041\t" in steps
        # a second run fetches nothing
        run_snakemake(tmp_path / "run", "dataset", config=config)
        assert len(server.requests) == 4
    log = (tmp_path / "run/logs/derive_coding_exons.log").read_text()
    assert "'format': 'genepred'" in log


def test_published_config_downloads_the_release_splits_from_a_local_server(tmp_path):
    config = yaml.safe_load((REPO / "config" / "published.yaml").read_text())
    assert config["input"]["mode"] == "sequences"
    www = tmp_path / "www"
    build_mirror(www, config)
    with LocalServer(www) as server:
        config = point_to(config, server.url)
        run_snakemake(tmp_path / "run", "dataset", config=config)
        fetched = sorted(p.rsplit("/", 1)[1] for p, _ in server.requests)
        # the release's three splits as they are, no genome pass
        assert fetched == ["data_te.seq", "data_tr.seq", "data_va.seq"]
    info = json.loads((tmp_path / "run/results/dataset/dataset.json").read_text())
    for split, file in (
        ("train", "data_tr.seq"),
        ("valid", "data_va.seq"),
        ("test", "data_te.seq"),
    ):
        rows = next(www.rglob(file)).read_text().splitlines()
        expected = {"n": len(rows), "conserved": sum(r.endswith("\t1") for r in rows)}
        assert info["splits"][split] == expected, split
    assert info["splits"]["train"]["n"] == 4000
    # the positional stage is planned on the genome and annotations it fetches
    planned = run_snakemake(tmp_path / "run", "all", config=config, extra=["-n"]).stdout
    for step in ("prepare_genome", "centrimo_tss", "centrimo_mirna", "measure_strand_bias"):
        assert f"rule {step}:" in planned, step


def bad_input_run(tmp_path, **overrides):
    config = demo_config(**overrides)
    result = run_snakemake(tmp_path, "dataset", config=config, check=False)
    assert result.returncode != 0
    assert not (tmp_path / "results" / "dataset").exists()
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        ("chr22\t100\t200\nchr22\t500\t400\n", "bad.bed, line 2: end (400) is before start (500)"),
        ("chr22\t100\t200\nchr22\tabc\t400\n", "bad.bed, line 2: expected integer start and end"),
        (
            "chr22\t100\t200\n22\t300\t400\n",
            "bad.bed, line 2: chromosome '22' is not in the genome FASTA",
        ),
    ],
)
def test_bad_bed_rows(tmp_path, content, message):
    (tmp_path / "bad.bed").write_text(content)
    output = bad_input_run(tmp_path, input={"conserved": "bad.bed"})
    assert message in output
    assert not (tmp_path / "results" / "inputs" / "conserved.bed").exists()


def test_empty_conserved_set(tmp_path):
    output = bad_input_run(tmp_path, dataset={"min_length": 990, "max_length": 1000})
    assert "no conserved elements left after filtering" in output


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"dataset": {"flank": -1}}, "-1 is less than the minimum of 0"),
        ({"train": {"device": "tpu"}}, "'tpu' is not one of ['auto', 'cpu', 'cuda']"),
        ({"model": {"kernels": {}}}, "config model.kernels: give at least one"),
        ({"model": {"kernels": {"abc": 5}}}, "kernel width 'abc' is not a whole number"),
        ({"model": {"kernels": {0: 5}}}, "kernel width 0 is not a whole number from 1"),
        ({"model": {"kernels": {3000: 5}}}, "to the row length (2020 columns)"),
        (
            {"model": {"architecture": "dilated", "dilated_width": 2021}},
            "config model.dilated_width: kernel width 2021 is not a whole number",
        ),
        (
            {"model": {"architecture": "deepsea", "deepsea_width": 400, "deepsea_pool": 4}},
            "config model.deepsea_*: 3 blocks (deepsea_channels) of conv width 400 and pool 4 "
            "leave no column of a 2020-column row",
        ),
        (
            {"dataset": {"max_length": 2000}},
            "config dataset.max_length: 2000 exceeds dataset.pad_length",
        ),
        (
            {"input": {"repeats": "missing.bed"}},
            "config input.repeats: file not found: missing.bed",
        ),
        ({"input": {"genome": "/tmp"}}, "config input.genome: /tmp is a directory, not a file"),
        ({"inputs": {"mode": "genome"}}, "config (top level): Additional properties"),
        ({"train": {"batch_size": "32"}}, "config train.batch_size: '32' is not of type"),
        (
            {"interpret": {"variant_window": 1500, "vcf": "https://example.org/v.vcf.gz"}},
            "config interpret.variant_window: 1500 bp exceeds dataset.pad_length (1000 bp)",
        ),
    ],
)
def test_bad_config_values(tmp_path, overrides, message):
    result = run_snakemake(
        tmp_path, "dataset", config=demo_config(**overrides), check=False, extra=["-n"]
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    (line,) = [line for line in output.splitlines() if message in line]
    assert line.startswith("Error: config ") and f"(config: {tmp_path}/config.yaml)" in output
    # one line, not jsonschema's dump of the schema, nor the workflow's own file and stack
    assert "Failed validating" not in output and "common.smk" not in output
    assert not (tmp_path / "results").exists()


def test_a_target_that_needs_an_input_the_config_lacks_is_one_line(tmp_path):
    # found while the jobs are planned (an input function), not while the config is read
    samples = str(REPO / "resources/samples/sample_tr.seq")
    config = {"input": {"mode": "sequences", "sequences": {"train": samples}}}
    result = run_snakemake(
        tmp_path, "results/genome/genome.fa", config=config, check=False, extra=["-n"]
    )
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert "Error: config input.genome: required by the targets asked for" in lines
    assert not any("InputFunctionException" in line or "common.smk" in line for line in lines)


def test_a_program_using_snakemakes_api_can_catch_a_config_mistake(tmp_path):
    # the snakemake command ends with one line; another program is not ended for it
    script = f"""
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.exceptions import WorkflowError
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings
config = {{"dataset": {{"min_length": 900, "max_length": 800}}}}
try:
    with SnakemakeApi(OutputSettings()) as api:
        api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(config=config),
            snakefile=Path({str(REPO / "Snakefile")!r}),
            workdir=Path({str(tmp_path)!r}),
        ).dag(DAGSettings())
except WorkflowError as err:
    print("caught:", err)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "caught: config dataset.min_length: exceeds dataset.max_length" in done.stdout


def test_a_motif_tools_program_missing_from_path_is_one_line_before_any_job(tmp_path):
    if any(shutil.which(p) for p in ("tomtom", "centrimo", "matrix-clustering", "rsat")):
        pytest.skip("the MEME suite or RSAT is installed here")
    config = demo_config(motif_tools=["meme", "rsat"])
    # only the jobs of the targets asked for are checked: `dataset` needs none of them
    result = run_snakemake(tmp_path, "dataset", config=config, extra=["-n"])
    assert "This was a dry-run" in result.stdout and "motif_tools" not in result.stderr
    for target, tool, program in (
        ("motifs", "meme", "tomtom"),
        ("positional", "meme", "centrimo"),
        ("clustering", "rsat", "matrix-clustering or rsat"),
    ):
        result = run_snakemake(tmp_path, target, config=config, check=False, extra=["-n"])
        lines = (result.stdout + result.stderr).splitlines()
        assert result.returncode == 1, target
        message = f"Error: config motif_tools: {tool}, but {program} is not on PATH"
        assert any(line.startswith(message) for line in lines), (target, lines[-5:])
        assert not any("InputFunctionException" in line for line in lines)
    assert not (tmp_path / "results").exists()
    # nor when the job may not run: --until before it, or its output there (up to date?)
    run_snakemake(tmp_path, "motifs", config=config, extra=["-n", "--until", "train_cnn"])
    (tmp_path / "results/motifs").mkdir(parents=True)
    (tmp_path / "results/motifs/tomtom.tsv").write_text("")
    result = run_snakemake(tmp_path, "results/motifs/tomtom.tsv", config=config, extra=["-n"])
    assert "motif_tools" not in result.stderr


@pytest.mark.parametrize(
    "kind, content, message",
    [
        (
            "fasta",
            ">a\nACGT\n>b\n\n",
            "config interpret.fasta: {path}, line 3: sequence 'b' is empty",
        ),
        ("fasta", ">a\nACGT\nAC1GT\n", "{path}, line 3: unexpected letters ['1'] in sequence 'a'"),
        (
            "fasta",
            ">a\n" + "A" * 1001 + "\n",
            "sequence 'a' is 1001 bp; the model takes at most 1000",
        ),
        ("bed", "chr22\t100\t200\nchr22\t300\tx\n", "config interpret.bed: {path}, line 2:"),
        ("bed", "chr22\t100\t1200\n", "{path}, line 1: interval chr22:100-1200 is 1100 bp"),
    ],
)
def test_a_bad_interpret_file_is_one_error_before_any_job(tmp_path, kind, content, message):
    path = tmp_path / f"mine.{kind}"
    path.write_text(content)
    config = demo_config(interpret={kind: str(path)})
    result = run_snakemake(tmp_path, "dataset", config=config, check=False, extra=["-n"])
    assert result.returncode != 0
    assert message.format(path=path) in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    run_snakemake(tmp_path, "dataset", config=config, extra=["--list-rules"])  # runs no job
    path.write_text(">a\nACGT\n" if kind == "fasta" else "chr22\t100\t200\n")
    run_snakemake(tmp_path, "dataset", config=config, extra=["-n"])


def test_dry_run_lists_the_dag(tmp_path):
    result = run_snakemake(tmp_path, "dataset", extra=["-n"])
    for rule in (
        "prepare_genome",
        "normalize_annotation",
        "merge_conserved",
        "shuffle_background",
        "encode_dataset",
    ):
        assert rule in result.stdout


def test_single_outputs_can_be_asked_for_by_path(tmp_path):
    targets = ["results/interpret/ism/ism.tsv", "results/motifs/kernels.meme"]
    result = run_snakemake(tmp_path, *targets, extra=["-n"])
    for rule in ("compute_ism", "kernels_to_meme", "train_cnn"):
        assert f"rule {rule}:" in result.stdout


def test_any_configured_path_may_be_a_url(tmp_path):
    config = demo_config(
        interpret={"vcf": "https://example.org/data/variants.vcf.gz"},
        motifs={
            "database": ["https://example.org/motifs/jaspar.meme", "ftp://example.org/more.meme"]
        },
    )
    result = run_snakemake(tmp_path, "all", config=config, extra=["-n"])
    for path in (
        "resources/downloads/interpret.vcf/variants.vcf.gz",
        "resources/downloads/motifs.database.0/jaspar.meme",
        "resources/downloads/motifs.database.1/more.meme",
    ):
        assert f"output: {path}" in result.stdout


def test_motif_database_is_needed_only_by_the_motif_stage(tmp_path):
    config = demo_config(motifs={"database": "no/such/file.meme"})
    assert run_snakemake(tmp_path, "dataset", config=config, extra=["-n"]).returncode == 0
    result = run_snakemake(tmp_path, "motifs", config=config, extra=["-n"], check=False)
    assert result.returncode != 0
    assert (
        "config motifs.database: file not found: no/such/file.meme" in result.stdout + result.stderr
    )


def test_rules_import_the_library_beside_the_snakefile(tmp_path):
    # a second checkout run with -s, while the virtual env's editable install is this one
    copy = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("rules", "workflow", "report", "envs"):
        shutil.copytree(REPO / part, copy / part, ignore=ignore)
    for part in ("Snakefile", "config.yaml"):
        shutil.copy(REPO / part, copy / part)
    logs = copy / "workflow/scripts/deepcons/logs.py"
    logs.write_text(logs.read_text().replace('"rule %s started"', '"rule %s started (copy)"'))
    workdir = tmp_path / "work"
    workdir.mkdir()
    cmd = [sys.executable, "-m", "snakemake", "results/genome/selected.sizes", "--cores", "1"]
    cmd += ["-s", str(copy / "Snakefile"), "-d", str(workdir)]
    cmd += ["--configfile", str(workdir / "config.yaml")]
    (workdir / "config.yaml").write_text(yaml.safe_dump(demo_config()))
    subprocess.run(cmd, cwd=workdir, check=True, capture_output=True)
    log = (workdir / "logs/select_chromosomes.log").read_text()
    assert "rule select_chromosomes started (copy)" in log
    assert "kept 1 of 1 sequences (input.chromosomes '.*'): chr22" in log


@pytest.mark.slow
def test_samples_config_learns_real_conservation_signal(tmp_path):
    # config/samples.yaml as shipped (its path found beside the Snakefile), for 10 epochs
    (tmp_path / "short.yaml").write_text("train:\n  max_epochs: 10\n")
    configs = [str(REPO / "config" / "samples.yaml"), str(tmp_path / "short.yaml")]
    result = run_snakemake(tmp_path, "all", extra=["-n", "--configfile", *configs])
    assert "rule centrimo" not in result.stdout  # no genome: no positional analysis
    run_snakemake(tmp_path, "train", extra=["--configfile", *configs])
    rows = (tmp_path / "results/evaluate/metrics.tsv").read_text().splitlines()
    auc = {tuple(r.split("\t")[:2]): float(r.split("\t")[4]) for r in rows[1:]}
    # 5,000 of the paper's sequences: well above chance, and above the k-mer baseline
    assert auc[("cnn", "test")] > 0.62
    assert auc[("cnn", "test")] > auc[("logreg", "test")]
