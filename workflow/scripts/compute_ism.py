"""Rule compute_ism: every single-base substitution of a few sequences, a TSV and heatmaps.

Writes ism.tsv (id position ref alt delta_logit delta_prob) and, into the heatmaps folder, one
heatmap per sequence, seq<N>_<name>.png.
"""

import re
from pathlib import Path

import torch

from deepcons.atomic import atomic_open
from deepcons.attribution import compute_ism, ism_matrix
from deepcons.devices import resolve_device
from deepcons.encoding import LETTERS
from deepcons.interpret_inputs import interpret_sequences
from deepcons.interpret_plots import plot_ism_heatmap
from deepcons.logs import log, run_rule
from deepcons.modelio import load_model
from deepcons.scoring import model_layout


def main(smk):
    torch.set_num_threads(smk.threads)
    device = resolve_device(smk.config["train"]["device"])
    model, info = load_model(smk.input.weights, device=device)
    layout = model_layout(info)
    names, seqs, _ = interpret_sequences(
        smk, layout, smk.params.n_sequences, all_user_records=False
    )
    outdir = Path(smk.output.heatmaps)
    outdir.mkdir(parents=True, exist_ok=True)
    with atomic_open(smk.output.tsv) as out:
        out.write("id\tposition\tref\talt\tdelta_logit\tdelta_prob\n")
        for i, (name, seq) in enumerate(zip(names, seqs, strict=True), 1):
            ism = compute_ism(model, seq, layout, smk.config["interpret"]["batch_size"], device)
            for pos, ref, alt, dl, dp in zip(
                ism["position"],
                ism["ref"],
                ism["alt"],
                ism["delta_logit"],
                ism["delta_prob"],
                strict=True,
            ):
                out.write(
                    f"{name}\t{pos + 1}\t{LETTERS[min(ref, 4)]}\t{LETTERS[alt]}\t{dl:.6f}\t{dp:.6f}\n"
                )
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(name))[:60]
            plot_ism_heatmap(name, seq, ism_matrix(ism, len(seq)), [outdir / f"seq{i}_{safe}.png"])
            log.info(
                "%s: %d substitutions, largest |delta logit| %.3f",
                name,
                len(ism["position"]),
                abs(ism["delta_logit"]).max(),
            )


run_rule(main, snakemake)
