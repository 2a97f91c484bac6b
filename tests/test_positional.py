"""The positional stage's tables: MEME's site counts read back, and the strand bias of the
kernels' central sites (paper Fig. 5)."""

import pandas as pd
import pytest

from deepcons.positional import read_site_counts, strand_bias


def test_site_counts_are_read_per_motif_from_meme_output(meme_reference):
    counts = read_site_counts(meme_reference / "centrimo" / "neg_site_counts.txt")
    assert len(counts) == 10 and list(counts)[:2] == ["MA0039.2", "MA0091.1"]
    klf4 = counts["MA0039.2"]
    assert list(klf4.columns) == ["position", "count", "neg_count"]
    # the block's first rows, its last one, and nothing of the next motif's
    assert klf4.iloc[0].tolist() == [-245.0, 0.0, 0.0]
    assert klf4.iloc[6].tolist() == [-239.0, 2.0, 0.0]
    assert klf4.iloc[7].tolist() == [-238.0, 1.0, 1.0]
    assert len(klf4) == 491 and klf4["position"].iloc[-1] == 245.0


def test_strand_bias_counts_a_tied_window_by_its_share_in_the_central_window():
    windows = pd.DataFrame({"id": ["w1", "w2", "w3", "w4"], "strand": ["+", "+", "-", "-"]})
    sites = pd.DataFrame(
        [
            # kernel, rank, evalue, window, plus, minus: a window's sites share one unit
            ("k20_3", 2, "1e-5", "w3", 0.0, 1.0),
            ("k10_1", 1, "1e-9", "w1", 1.0, 0.0),
            ("k10_1", 1, "1e-9", "w2", 0.25, 0.25),  # half its tied best sites are central
            ("k10_1", 1, "1e-9", "w4", 0.0, 1.0),
        ],
        columns=["kernel", "rank", "evalue", "window", "plus", "minus"],
    )
    table = strand_bias(sites, windows, "tss")
    assert list(table.columns) == [
        "anchor",
        "kernel",
        "rank",
        "evalue",
        "n_sites",
        "fraction_forward",
    ]
    assert table["kernel"].tolist() == ["k10_1", "k20_3"]  # by rank
    first, second = table.to_dict("records")
    # forward share (1 + 0.5) of all shares (1 + 0.5 + 1); not 2 of 3 windows
    assert first == {
        "anchor": "tss",
        "kernel": "k10_1",
        "rank": 1,
        "evalue": "1e-9",
        "n_sites": 3,
        "fraction_forward": pytest.approx(0.6),
    }
    assert (second["n_sites"], second["fraction_forward"]) == (1, 0.0)


def test_strand_bias_of_no_central_sites_is_an_empty_table():
    windows = pd.DataFrame({"id": ["w1"], "strand": ["+"]})
    empty = pd.DataFrame(columns=["kernel", "rank", "evalue", "window", "plus", "minus"])
    table = strand_bias(empty, windows, "tes")
    assert table.empty and "fraction_forward" in table.columns


def test_figures_without_kernels_say_so(monkeypatch):
    import deepcons.positional as positional

    figures = []
    monkeypatch.setattr(positional, "save_figure", lambda fig, paths: figures.append(fig))
    no_kernels = pd.DataFrame(columns=["motif_id", "E-value", "bin_location", "bin_width"])
    positional.plot_site_distributions({"tss": (no_kernels, {})}, ["unused.png"])
    empty = pd.DataFrame(
        columns=["anchor", "kernel", "rank", "evalue", "n_sites", "fraction_forward"]
    )
    positional.plot_strand_bias(empty, {"tss": 0.5}, ["unused.png"])
    texts = [[t.get_text() for ax in fig.axes for t in ax.texts] for fig in figures]
    assert texts == [
        ["TSS: no kernel reported by CentriMo"],
        ["no kernel is biased at E < positional.evalue:\nnone to measure"],
    ]
