"""Rule kernels_to_meme: every kernel's motif from the training set (paper section 3.2)."""

import numpy as np
import pandas as pd
import torch

from deepcons.atomic import atomic_open
from deepcons.dataset import load_split
from deepcons.devices import resolve_device
from deepcons.kernel_motifs import kernel_motifs
from deepcons.logos import information_content
from deepcons.logs import Progress, log, run_rule
from deepcons.meme_io import write_meme
from deepcons.modelio import load_model


def main(smk):
    torch.set_num_threads(smk.threads)
    device = resolve_device(smk.config["train"]["device"])
    model, _ = load_model(smk.input.weights, device=device)
    codes, _ = load_split(smk.input.info.rsplit("/", 1)[0], "train")
    if smk.params.max_sequences and smk.params.max_sequences < len(codes):
        # a seeded subset, in file order so that reads stay sequential
        rng = np.random.default_rng(smk.params.seed)
        codes = codes[np.sort(rng.choice(len(codes), smk.params.max_sequences, replace=False))]
    log.info(
        "building %d kernel motifs from %d training sequences on %s",
        len(model.kernel_ids()),
        len(codes),
        device,
    )
    progress = Progress("sequences", len(codes))
    motifs = kernel_motifs(
        model,
        codes,
        batch_size=smk.config["train"]["eval_batch_size"],
        device=device,
        progress=progress,
    )
    progress.finish()
    write_meme(smk.output.meme, motifs)
    table = pd.DataFrame(
        {
            "kernel": [m.id for m in motifs],
            "width": [m.width for m in motifs],
            "nsites": [int(m.nsites) for m in motifs],
            "information_bits": [
                round(float(information_content(m.probs).sum()), 3) for m in motifs
            ],
            "consensus": [m.consensus() for m in motifs],
        }
    )
    with atomic_open(smk.output.table) as out:
        table.to_csv(out, sep="\t", index=False)


run_rule(main, snakemake)
