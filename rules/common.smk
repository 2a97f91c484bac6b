# Configuration checks, input paths and target lists shared by every stage.

import functools
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

WORKFLOW_DIR = Path(workflow.basedir)
sys.path.insert(0, str(WORKFLOW_DIR / "workflow" / "scripts"))

from deepcons.config_overrides import apply_overrides  # noqa: E402
from deepcons.errors import InputError  # noqa: E402
from deepcons.fetch import is_url  # noqa: E402
from deepcons.layer_lengths import deepsea_output_length  # noqa: E402
from deepcons.scoring import check_user_sequences  # noqa: E402
from deepcons.script_path import put_first_on_pythonpath  # noqa: E402
from deepcons.snakemake_options import (  # noqa: E402
    is_snakemake_program,
    runs_every_planned_job,
    runs_jobs,
)

put_first_on_pythonpath(WORKFLOW_DIR / "workflow" / "scripts")


def validate_config():
    """Check the config against the schema and fill in the defaults. A mistake gives one line
    naming the key, not the schema dump of Snakemake's own message."""
    import yaml

    schema_path = WORKFLOW_DIR / "workflow" / "schemas" / "config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    # nested --config values arrive as strings (Snakemake keeps its parse of --config here)
    settings = getattr(workflow, "config_settings", None)
    apply_overrides(config, getattr(settings, "config", None) or {}, schema)
    try:
        validate(config, str(schema_path))
    except WorkflowError:
        import jsonschema

        # Snakemake's error keeps jsonschema's only as text: find it again, to name the key
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema).iter_errors(config)
        )
        if error is None:
            raise
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise WorkflowError(
            f"config {key}: {error.message} (every key and its type: "
            "workflow/schemas/config.schema.yaml)"
        ) from None


def config_files():
    """The config files of this run, as the user named them (else the demo's), and --config."""
    named = workflow.config_settings.configfiles or [WORKFLOW_DIR / "config.yaml"]
    given = ", ".join(str(path) for path in named)
    return f"{given} and --config" if workflow.config_settings.config else given


def before_any_job(check):
    """Run a check of the config or its inputs while the workflow is read; a mistake ends the
    snakemake command with one line. (Raised from here, Snakemake's error would add this
    file's name, line and stack, which read as a bug of the workflow rather than of the
    config.) A program using Snakemake's API gets the WorkflowError, to catch."""
    try:
        check()
    except WorkflowError as err:
        end_with_config_error(err)


def end_with_config_error(err):
    """End the snakemake command with the config mistake ``err`` as one line; re-raise it
    for a program using Snakemake's API."""
    if not is_snakemake_program(sys.argv):
        raise err
    print(f"Error: {err}\n(config: {config_files()})", file=sys.stderr)
    sys.exit(1)


before_any_job(validate_config)

INPUT_KEYS = ["genome", "conserved", "repeats", "genes", "coding_exons", "mirna"]
SPLITS = ["train", "valid", "test"]
MODE = config["input"]["mode"]


# Settings that change how fast a job runs, not what it writes: kept out of params (scripts
# read them from the config), so that changing them reruns nothing.
EXECUTION_ONLY_TRAIN_KEYS = {"threads", "device", "eval_batch_size"}


def canonical(value):
    """``value`` with every mapping's keys sorted. Snakemake compares params by their repr, so
    the order of keys in a config file, or a default written out, must not rerun jobs.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def variant_window():
    """interpret.variant_window, or its default: 100 bp, or the model's input if shorter."""
    window = config["interpret"]["variant_window"]
    return window if window else min(100, config["dataset"]["pad_length"])


def config_error(key, message):
    raise WorkflowError(f"config {key}: {message}")


def check_config():
    inp, ds = config["input"], config["dataset"]
    if MODE == "genome":
        for key in ("genome", "conserved", "repeats"):
            if not inp.get(key):
                config_error(f"input.{key}", "required when input.mode is genome")
        if not inp.get("coding_exons") and not inp.get("genes"):
            config_error(
                "input.coding_exons",
                "give coding exons, or genes with a CDS to derive them from",
            )
    elif not inp["sequences"].get("train"):
        config_error("input.sequences.train", "required when input.mode is sequences")
    elif bool(inp["sequences"].get("valid")) != bool(inp["sequences"].get("test")):
        config_error(
            "input.sequences",
            "give both valid and test, or neither (train is then split)",
        )
    if ds["max_length"] > ds["pad_length"]:
        config_error(
            "dataset.max_length",
            f"{ds['max_length']} exceeds dataset.pad_length ({ds['pad_length']})",
        )
    if ds["min_length"] > ds["max_length"]:
        config_error("dataset.min_length", "exceeds dataset.max_length")
    inter = config["interpret"]
    if inter.get("vcf") and (inter["variant_window"] or 0) > ds["pad_length"]:
        config_error(
            "interpret.variant_window",
            f"{inter['variant_window']} bp exceeds dataset.pad_length ({ds['pad_length']} bp), "
            "the longest sequence the model reads",
        )
    if (inter.get("vcf") or inter.get("bed")) and not inp.get("genome"):
        key = "interpret.vcf" if inter.get("vcf") else "interpret.bed"
        config_error(key, "needs input.genome, the genome its coordinates refer to")
    if inter.get("fasta") and inter.get("bed"):
        config_error(
            "interpret.fasta", "give interpret.fasta or interpret.bed, not both"
        )
    try:
        re.compile(inp["chromosomes"])
    except re.error as err:
        config_error("input.chromosomes", f"not a regular expression ({err})")
    row_length = 2 * ds["pad_length"] + ds["spacer_length"]
    if config["model"]["architecture"] == "deepcons":
        check_kernel_widths(config["model"]["kernels"], row_length)
    elif config["model"]["architecture"] == "dilated":
        widths = {config["model"]["dilated_width"]: 1}
        check_kernel_widths(widths, row_length, "model.dilated_width")
    elif config["model"]["architecture"] == "deepsea":
        check_deepsea_blocks(config["model"], row_length)


def check_deepsea_blocks(model, row_length):
    """The conv/pool blocks leave at least one column of a row."""
    blocks, width, pool = (
        len(model["deepsea_channels"]),
        model["deepsea_width"],
        model["deepsea_pool"],
    )
    if deepsea_output_length(row_length, blocks, width, pool) < 1:
        config_error(
            "model.deepsea_*",
            f"{blocks} blocks (deepsea_channels) of conv width {width} and pool {pool} leave "
            f"no column of a {row_length}-column row (twice dataset.pad_length, and "
            "dataset.spacer_length): use fewer blocks, a smaller width or pool, or a longer "
            "pad_length",
        )


def check_kernel_widths(kernels, row_length, key="model.kernels"):
    """{width: count}: at least one, each width an integer within a row."""
    if not kernels:
        config_error(key, "give at least one {kernel width: number of kernels}")
    for width in kernels:
        if not re.fullmatch(r"[0-9]+", str(width)) or not 1 <= int(width) <= row_length:
            config_error(
                key,
                f"kernel width {width!r} is not a whole number from 1 to the row length "
                f"({row_length} columns)",
            )


before_any_job(check_config)


def gpu_requested():
    """Whether training will use a GPU: cuda, or auto with an NVIDIA driver present."""
    device = config["train"]["device"]
    return device == "cuda" or (
        device == "auto" and shutil.which("nvidia-smi") is not None
    )


USE_GPU = gpu_requested()


def url_filename(url):
    name = os.path.basename(unquote(urlparse(url).path)) or "download"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def config_label(key):
    """The config key a path key names: genome -> input.genome, interpret.vcf as is."""
    return key if key.split(".")[0] in ("interpret", "motifs") else f"input.{key}"


def configured_paths():
    """Download key -> configured path or URL, for every input file the config names."""
    paths = {key: config["input"].get(key) for key in INPUT_KEYS}
    paths.update({f"sequences.{k}": v for k, v in config["input"]["sequences"].items()})
    paths.update(
        {f"interpret.{k}": config["interpret"].get(k) for k in ("fasta", "bed", "vcf")}
    )
    database = config["motifs"]["database"]
    if isinstance(database, list):
        paths.update({f"motifs.database.{i}": v for i, v in enumerate(database)})
    elif not re.fullmatch(r"JASPAR\d{4}", database):  # else a release fetched by name
        paths["motifs.database"] = database
    return {key: value for key, value in paths.items() if value}


URLS = {key: value for key, value in configured_paths().items() if is_url(value)}


def resolve_path(value, key):
    """A configured path or URL (config key ``config_label(key)``) -> the file rules read.

    URLs map to resources/downloads/<key>/<file name> (made by download_input); relative
    paths are taken from the working directory, else from beside the Snakefile.
    """
    if is_url(value):
        return f"resources/downloads/{key}/{url_filename(value)}"
    path = Path(os.path.expanduser(value))
    for candidate in [path] if path.is_absolute() else [path, WORKFLOW_DIR / path]:
        if candidate.is_dir():
            config_error(config_label(key), f"{value} is a directory, not a file")
        if candidate.exists():
            return str(candidate)
    # commands that run no job (a report, an unlock, a listing) must still work once an
    # input file has been moved away (asked only here: Snakemake's parser takes 0.1 s)
    if not runs_jobs(sys.argv):
        return str(path)
    # one folder when run beside the Snakefile
    folders = dict.fromkeys([os.getcwd(), str(WORKFLOW_DIR)])
    where = "" if path.is_absolute() else f" (looked in {' and '.join(folders)})"
    config_error(config_label(key), f"file not found: {value}{where}")


def look_for_input_files():
    """The input files are looked for now, before anything runs: a mistyped path must not
    pass unnoticed because the results made from the old one are already there. (The motif
    database is looked for when the motif stage is asked for.)"""
    for key, value in configured_paths().items():
        if not key.startswith("motifs.") and not (
            MODE == "genome" and key.startswith("sequences.")
        ):
            resolve_path(value, key)


before_any_job(look_for_input_files)


def check_interpret_sequences():
    """A user's FASTA or BED of sequences to score is small: read it now, so that a mistake
    is one error before any job (not one from each interpret rule, after Snakemake has
    removed the results made from the previous file)."""
    for kind in ("fasta", "bed"):
        value = config["interpret"].get(kind)
        if not value or is_url(value):
            continue
        path = Path(resolve_path(value, f"interpret.{kind}"))
        if path.is_file():
            try:
                check_user_sequences(path, kind, config["dataset"]["pad_length"])
            except InputError as err:
                if runs_jobs(sys.argv):  # --unlock, --report... must work all the same
                    config_error(f"interpret.{kind}", str(err))


before_any_job(check_interpret_sequences)


def input_path(key):
    """The file an input function gives a rule: found while the jobs are planned, where
    Snakemake would wrap the config's mistake in its rule, file and stack."""
    value = config["input"].get(key)
    if not value:
        end_with_config_error(
            WorkflowError(f"config input.{key}: required by the targets asked for")
        )
    return resolve_path(value, key)


def has_input(key):
    return bool(config["input"].get(key))


def sequences_paths():
    seqs = config["input"]["sequences"]
    keys = SPLITS if seqs.get("valid") else ["train"]
    return [resolve_path(seqs[k], f"sequences.{k}") for k in keys]


def url_of_download(key):
    """The URL configured under download key ``key`` (genome, interpret.vcf...)."""
    if key not in URLS:
        raise WorkflowError(f"no URL is configured for {config_label(key)}")
    return URLS[key]


def annotation_bed(kind):
    return f"results/inputs/{kind}.bed"


def motif_tools():
    tools = config["motif_tools"]
    return {tools} if isinstance(tools, str) else set(tools)


def motif_program(tool, names, output):
    """Input function for jobs that run a motif_tools program (any one of ``names``). When
    motif_tools asks for ``tool``, no conda env brings it (--sdm conda), it is not on PATH
    and the job's ``output`` is missing (the job will run), the command ends with one line
    while the jobs are planned, before any job runs. (A job whose output exists may be up
    to date: a rerun of it fails in the job.) Gives no file."""
    return functools.partial(check_motif_program, tool, names, output)


def check_motif_program(tool, names, output, wildcards):
    from snakemake.settings.types import DeploymentMethod

    if (
        tool in motif_tools()
        and DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method
        and not Path(output).exists()
        and runs_every_planned_job(sys.argv)
        and not any(shutil.which(name) for name in names)
    ):
        end_with_config_error(
            WorkflowError(
                f"config motif_tools: {tool}, but {' or '.join(names)} is not on PATH "
                "(install it, run with --sdm conda, or use motif_tools: builtin)"
            )
        )
    return []


def encode_inputs(wildcards):
    if MODE == "genome":
        return {
            "conserved": "results/dataset/conserved.bed",
            "background": "results/dataset/background.bed",
            "genome": "results/genome/genome.fa",
            "fai": "results/genome/genome.fa.fai",
        }
    return {"sequences": sequences_paths()}


def known_motif_files():
    """MEME files of known motifs: a JASPAR release from pyjaspar, or the user's files."""
    database = config["motifs"]["database"]
    if isinstance(database, str) and re.fullmatch(r"JASPAR\d{4}", database):
        m = config["motifs"]
        return [f"resources/motifs/{database}_{m['collection']}_{m['tax_group']}.meme"]
    if isinstance(database, str):
        return [resolve_path(database, "motifs.database")]
    return [resolve_path(f, f"motifs.database.{i}") for i, f in enumerate(database)]


def dataset_targets():
    targets = expand(
        "results/dataset/{split}.{ext}",
        split=SPLITS,
        ext=["seq", "codes.npy", "labels.npy", "index.tsv"],
    )
    targets += [
        "results/dataset/dataset.json",
        "results/dataset/summary.tsv",
        "results/dataset/steps.tsv",
        "results/dataset/summary.png",
    ]
    if MODE == "genome":
        targets += ["results/dataset/conserved.bed", "results/dataset/background.bed"]
    return targets


def train_targets():
    return [
        "results/train/model.safetensors",
        "results/train/history.tsv",
        "results/train/learning_curve.png",
        "results/train/baseline.json",
        "results/evaluate/metrics.tsv",
        "results/evaluate/roc.png",
    ]


def motif_targets():
    return [
        "results/motifs/kernels.meme",
        "results/motifs/kernel_logos.pdf",
        "results/motifs/kernel_logos.png",
        "results/motifs/tomtom.tsv",
        "results/motifs/matches.tsv",
        "results/motifs/known_matches.png",
    ]


# Anchors of the positional analysis: gene TSSs and TESs, and miRNA hairpins when given.
ANCHORS = ["tss", "tes"] + (["mirna"] if has_input("mirna") else [])


def positional_targets():
    if not (has_input("genome") and has_input("genes")):
        return []
    return [
        "results/positional/summary.tsv",
        "results/positional/site_distributions.png",
        "results/positional/strand_bias.tsv",
        "results/positional/strand_bias.png",
    ]


def interpret_inputs(wildcards):
    """A user's FASTA or BED (with the genome), else the test set and its predictions."""
    inter = config["interpret"]
    if inter.get("fasta"):
        return {"fasta": resolve_path(inter["fasta"], "interpret.fasta")}
    if inter.get("bed"):
        return {
            "bed": resolve_path(inter["bed"], "interpret.bed"),
            "genome": "results/genome/genome.fa",
            "fai": "results/genome/genome.fa.fai",
        }
    return {
        "predictions": "results/evaluate/predictions.tsv",
        "test_seq": "results/dataset/test.seq",
    }


def interpret_targets():
    targets = ["results/interpret/saliency.tsv", "results/interpret/saliency.html"]
    if config["interpret"]["ism_count"] > 0:
        targets.append("results/interpret/ism/ism.tsv")
    if config["interpret"].get("vcf"):
        targets += ["results/interpret/variants.tsv", "results/interpret/variants.vcf"]
    return targets


def clustering_targets():
    return [
        "results/clustering/clusters.tsv",
        "results/clustering/tree.newick",
        "results/clustering/cluster_roots.meme",
        "results/clustering/similarity_heatmap.png",
        "results/clustering/cluster_root_logos.png",
    ]


def all_targets():
    return (
        dataset_targets()
        + train_targets()
        + motif_targets()
        + positional_targets()
        + interpret_targets()
        + clustering_targets()
    )
