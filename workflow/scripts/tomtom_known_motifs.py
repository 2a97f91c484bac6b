"""Rule tomtom_known_motifs: kernels against known motifs, with the built-in TOMTOM or MEME's."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from deepcons.atomic import atomic_write_text
from deepcons.errors import InputError
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme, read_motif_database
from deepcons.tomtom import compare_motifs, format_tsv


def meme_arguments(p) -> list[str]:
    """The options, as both MEME's tomtom and ``deepcons tomtom`` take them."""
    return [
        "-dist",
        p.dist,
        "-min-overlap",
        str(p.min_overlap),
        "-evalue",
        "-thresh",
        str(p.evalue),
    ]


def run_meme_tomtom(smk) -> str:
    if shutil.which("tomtom") is None:
        raise InputError(
            "motif_tools: meme, but the MEME suite's tomtom is not on PATH (use --sdm conda or install meme)",
            "config motif_tools",
        )
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "tomtom",
            "-no-ssc",
            "-verbosity",
            "1",
            "-oc",
            tmp,
            *meme_arguments(smk.params),
            smk.input.kernels,
            *smk.input.database,
        ]
        log.info("%s", " ".join(cmd))
        subprocess.run(cmd, check=True)
        return (Path(tmp) / "tomtom.tsv").read_text()


def run_builtin(smk, targets) -> str:
    p = smk.params
    queries = read_meme(smk.input.kernels)
    table = compare_motifs(
        queries.motifs,
        targets,
        dist=p.dist,
        min_overlap=p.min_overlap,
        thresh=p.evalue,
        evalue=True,
        n_jobs=smk.threads,
    )
    log.info("%d kernel-motif matches at E < %g", len(table), p.evalue)
    command = " ".join(["tomtom", *meme_arguments(p), smk.input.kernels, *smk.input.database])
    return format_tsv(table, command)


def main(smk):
    # read for both engines: it refuses an ID in two files
    targets = read_motif_database(smk.input.database, log.warning)
    text = run_meme_tomtom(smk) if smk.params.engine == "meme" else run_builtin(smk, targets)
    atomic_write_text(smk.output.tsv, text)


run_rule(main, snakemake)
