"""Rule summarize_dataset: counts per step and split, length and GC distributions, a figure."""

import numpy as np
import pandas as pd

from deepcons.atomic import atomic_open
from deepcons.logs import log, run_rule
from deepcons.plots import LABEL_COLORS, LABEL_NAMES, plt, save_figure


def steps_table(paths: dict[str, str]) -> pd.DataFrame:
    frames = [pd.read_csv(path, sep="\t").assign(set=name) for name, path in paths.items()]
    if not frames:
        return pd.DataFrame(columns=["set", "step", "intervals", "bases"])
    return pd.concat(frames)[["set", "step", "intervals", "bases"]]


def split_table(index: pd.DataFrame) -> pd.DataFrame:
    grouped = index.groupby(["split", "label"], sort=False)
    table = grouped.agg(
        n=("length", "size"),
        length_min=("length", "min"),
        length_median=("length", "median"),
        length_mean=("length", "mean"),
        length_max=("length", "max"),
        gc_mean=("gc", "mean"),
        gc_sd=("gc", "std"),
    ).reset_index()
    return table.round(4)


def plot(index: pd.DataFrame, table: pd.DataFrame, paths) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    bins_len = np.linspace(0, max(index["length"].max(), 1), 41)
    for label in (1, 0):
        sub = index[index["label"] == label]
        kw = dict(
            alpha=0.55, color=LABEL_COLORS[label], label=f"{LABEL_NAMES[label]} (n={len(sub):,})"
        )
        axes[0].hist(sub["length"], bins=bins_len, **kw)
        axes[1].hist(sub["gc"].dropna(), bins=np.linspace(0, 1, 41), **kw)
    axes[0].set(xlabel="length (bp)", ylabel="sequences", title="Lengths")
    axes[1].set(xlabel="GC fraction", title="GC content")
    axes[0].legend(frameon=False, fontsize=8)
    pivot = (
        table.pivot(index="split", columns="label", values="n")
        .reindex(["train", "valid", "test"])
        .fillna(0)
    )
    x = np.arange(len(pivot))
    for shift, label in ((-0.2, 1), (0.2, 0)):
        if label in pivot:
            axes[2].bar(
                x + shift,
                pivot[label],
                width=0.4,
                color=LABEL_COLORS[label],
                label=LABEL_NAMES[label],
            )
    axes[2].set_xticks(x, pivot.index)
    axes[2].set(title="Split", ylabel="sequences")
    fig.suptitle("DeepCons data set", y=1.02)
    save_figure(fig, paths)


def main(smk):
    index = pd.concat(
        [
            pd.read_csv(path, sep="\t").assign(split=split)
            for split, path in zip(("train", "valid", "test"), smk.input.index, strict=True)
        ]
    )
    steps = steps_table(dict(zip(smk.params.step_sets, smk.input.steps, strict=True)))
    with atomic_open(smk.output.steps) as out:
        steps.to_csv(out, sep="\t", index=False)
    table = split_table(index)
    for row in table.itertuples():
        log.info(
            "%s, label %d: %d sequences, median %g bp, GC %.3f",
            row.split,
            row.label,
            row.n,
            row.length_median,
            row.gc_mean,
        )
    with atomic_open(smk.output.summary) as out:
        table.to_csv(out, sep="\t", index=False)
    plot(index, table, [smk.output.png, smk.output.pdf])


run_rule(main, snakemake)
