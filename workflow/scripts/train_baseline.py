"""Rule train_baseline: logistic regression on standardised k-mer counts (k = 1..kmax)."""

from deepcons.baseline import fit_baseline, save_baseline
from deepcons.dataset import load_split, read_dataset_info
from deepcons.logs import run_rule


def main(smk):
    info = read_dataset_info(smk.input.info)
    codes, labels = load_split(smk.input.info.rsplit("/", 1)[0], "train")
    b = smk.params.baseline
    fitted = fit_baseline(
        codes, labels, kmax=b["kmax"], l2=b["l2"], max_iter=b["max_iter"], length=info["pad_length"]
    )
    save_baseline(smk.output.model, fitted)


run_rule(main, snakemake)
