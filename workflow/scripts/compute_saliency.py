"""Rule compute_saliency: saliency maps (paper Fig. 6), a TSV and a browsable page."""

from pathlib import Path

import torch

from deepcons.devices import resolve_device
from deepcons.interpret_inputs import interpret_sequences, sequences_described
from deepcons.logs import log, run_rule
from deepcons.modelio import load_model
from deepcons.score_cli import write_saliency_outputs
from deepcons.scoring import model_layout


def main(smk):
    torch.set_num_threads(smk.threads)
    device = resolve_device(smk.config["train"]["device"])
    model, info = load_model(smk.input.weights, device=device)
    layout = model_layout(info)
    names, seqs, probs = interpret_sequences(
        smk, layout, smk.params.n_sequences, all_user_records=True
    )
    log.info("saliency of %d sequences on %s", len(seqs), device)
    write_saliency_outputs(
        model,
        layout,
        device,
        names,
        seqs,
        Path(smk.output.tsv).parent,
        smk.config["interpret"]["batch_size"],
        probs,
        strands=smk.params.strands,
        of=sequences_described(smk),
    )


run_rule(main, snakemake)
