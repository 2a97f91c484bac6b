"""Rule score_variants: alt - ref prediction of every variant of interpret.vcf."""

from pathlib import Path

import torch

from deepcons.devices import resolve_device
from deepcons.logs import run_rule
from deepcons.modelio import load_model
from deepcons.score_cli import write_variant_outputs
from deepcons.scoring import model_layout


def main(smk):
    torch.set_num_threads(smk.threads)
    device = resolve_device(smk.config["train"]["device"])
    model, info = load_model(smk.input.weights, device=device)
    write_variant_outputs(
        model,
        model_layout(info),
        device,
        smk.input.vcf,
        smk.input.genome,
        smk.params.window,
        Path(smk.output.tsv).parent,
        smk.config["interpret"]["batch_size"],
    )


run_rule(main, snakemake)
