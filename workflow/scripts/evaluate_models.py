"""Rule evaluate_models: accuracy and AUC of the CNN and the baseline, ROC curves, predictions."""

import logging

import pandas as pd
import torch

from deepcons.atomic import atomic_open
from deepcons.baseline import baseline_logits, load_baseline
from deepcons.dataset import load_split
from deepcons.devices import resolve_device
from deepcons.evaluation import metrics, roc_curve, sigmoid
from deepcons.figures_train import plot_roc
from deepcons.logs import Progress, run_rule
from deepcons.model import predict_logits
from deepcons.modelio import load_model

log = logging.getLogger("deepcons.evaluate")


def main(smk):
    torch.set_num_threads(smk.threads)
    device = resolve_device(smk.config["train"]["device"])
    model, _ = load_model(smk.input.weights, device=device)
    baseline = load_baseline(smk.input.baseline)
    directory = smk.input.info.rsplit("/", 1)[0]
    rows, curves, predictions = [], {}, None
    for split in ("valid", "test"):
        codes, labels = load_split(directory, split)
        progress = Progress(f"{split} sequences scored", len(codes))
        cnn = predict_logits(
            model,
            codes,
            batch_size=smk.config["train"]["eval_batch_size"],
            device=device,
            progress=progress,
        )
        progress.finish()
        scores = {"cnn": cnn.numpy(), "logreg": baseline_logits(baseline, codes)}
        for name, logits in scores.items():
            rows.append({"model": name, "split": split, **metrics(labels, logits)})
            if split == "test":
                fpr, tpr = roc_curve(labels, logits)
                curves[{"cnn": "DeepCons CNN", "logreg": "k-mer logistic regression"}[name]] = (
                    fpr,
                    tpr,
                    rows[-1]["auc"],
                )
        if split == "test":
            index = pd.read_csv(f"{directory}/test.index.tsv", sep="\t")
            predictions = index[["id", "label"]].assign(
                cnn=sigmoid(scores["cnn"]), logreg=sigmoid(scores["logreg"])
            )
    table = pd.DataFrame(rows)[["model", "split", "n", "accuracy", "auc"]]
    with atomic_open(smk.output.metrics) as out:
        table.to_csv(out, sep="\t", index=False, float_format="%.4f")
    with atomic_open(smk.output.predictions) as out:
        # 9 significant digits, not 6 decimals: a saturated model's probabilities near 1 must
        # keep their order, or the AUC of this table is not the one reported
        predictions.to_csv(out, sep="\t", index=False, float_format="%.9g")
    plot_roc(curves, [smk.output.roc_png, smk.output.roc_pdf])
    for row in rows:
        log.info("%(model)s on %(split)s: n=%(n)d, accuracy %(accuracy).4f, AUC %(auc).4f", row)


run_rule(main, snakemake)
