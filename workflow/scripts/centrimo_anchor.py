"""Rules centrimo_tss, centrimo_tes, centrimo_mirna: central enrichment of every kernel.

Writes MEME's centrimo.tsv and site_counts.txt (built-in CentriMo, or MEME's own with
motif_tools: meme) and central_sites.tsv: for the most significant kernels, the windows
whose best site lies in the kernel's best central window, with the site's strand.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

from deepcons.atomic import atomic_open, atomic_write_text
from deepcons.centrimo import format_log_value, read_fasta, run_centrimo, write_centrimo
from deepcons.devices import resolve_device
from deepcons.errors import InputError
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme
from deepcons.positional import read_centrimo_tsv


def centrimo_options(p) -> dict:
    return {
        "motif_pseudo": p.motif_pseudo,
        "score_threshold": p.score,
        "norc": not p.both_strands,
        "ethresh": p.ethresh,
    }


def meme_arguments(p) -> list[str]:
    args = [
        "--motif-pseudo",
        str(p.motif_pseudo),
        "--score",
        str(p.score),
        "--ethresh",
        str(p.ethresh),
    ]
    return args + ([] if p.both_strands else ["--norc"])


def run_meme(smk, outdir: Path) -> None:
    if shutil.which("centrimo") is None:
        raise InputError(
            "motif_tools: meme, but the MEME suite's centrimo is not on PATH (use --sdm conda or install meme)",
            "config motif_tools",
        )
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "centrimo",
            "--verbosity",
            "1",
            "--oc",
            tmp,
            *meme_arguments(smk.params),
            smk.input.fasta,
            smk.input.kernels,
        ]
        log.info("%s", " ".join(cmd))
        subprocess.run(cmd, check=True)
        for name in ("centrimo.tsv", "site_counts.txt"):
            atomic_write_text(outdir / name, (Path(tmp) / name).read_text())


def write_central_sites(result, names: list[str], path, evalue: float, top: int) -> None:
    """The windows in the best central region of each of the ``top`` biased kernels."""
    kernels = result.most_enriched(evalue, top) if result is not None else []
    log.info("central sites of the %d most biased kernels (E < %g)", len(kernels), evalue)
    with atomic_open(path) as out:
        out.write("kernel\trank\tevalue\tbin_location\tbin_width\twindow\tplus\tminus\toffset\n")
        for rank, motif in enumerate(kernels, 1):
            members = result.sequences_in_window(motif.motif_index)
            evalue_text = format_log_value(motif.log_evalue(result.n_motifs))
            w = motif.best
            for seq, plus, minus, offset in zip(
                members.seq, members.plus, members.minus, members.offset, strict=True
            ):
                out.write(
                    f"{motif.motif.id}\t{rank}\t{evalue_text}\t{w.location(result.sequence_length):g}\t{w.n_bins}\t{names[seq]}\t{plus:.4g}\t{minus:.4g}\t{offset:g}\n"
                )


def main(smk):
    torch.set_num_threads(smk.threads)
    p = smk.params
    outdir = Path(smk.output.tsv).parent
    names, sequences = read_fasta(smk.input.fasta)
    kernels = read_meme(smk.input.kernels).motifs
    device = resolve_device(smk.config["train"]["device"])
    log.info(
        "CentriMo of %d kernels on %d %s windows (%s)",
        len(kernels),
        len(sequences),
        p.anchor,
        p.engine,
    )
    options = {**centrimo_options(p), "device": str(device), "n_motifs": len(kernels)}
    if p.engine == "meme":
        run_meme(smk, outdir)
        # the central sites of MEME's top kernels, from the built-in scan with the same options
        table = read_centrimo_tsv(outdir / "centrimo.tsv")
        ranked = table.loc[table["E-value"] < p.evalue, "motif_id"].head(p.top_kernels)
        by_id = {k.id: k for k in kernels}
        top = [by_id[i] for i in ranked]
        result = run_centrimo(sequences, top, **options) if top else None  # none reported
    else:
        result = run_centrimo(sequences, kernels, **options)
        command = [*meme_arguments(p), smk.input.fasta, smk.input.kernels]
        write_centrimo(result, outdir, "centrimo " + " ".join(command))
    write_central_sites(result, names, smk.output.sites, p.evalue, p.top_kernels)
    evalues = read_centrimo_tsv(outdir / "centrimo.tsv")["E-value"]
    biased = int((evalues < p.evalue).sum())
    log.info("%d of %d kernels centrally enriched at E < %g", biased, len(kernels), p.evalue)


run_rule(main, snakemake)
