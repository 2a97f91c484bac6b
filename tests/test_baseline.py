"""k-mer counts, the L2-to-C mapping of the baseline, and the evaluation metrics."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.metrics import accuracy_score, roc_auc_score

from deepcons.baseline import baseline_logits, c_from_l2, fit_baseline
from deepcons.encoding import codes_of
from deepcons.evaluation import metrics
from deepcons.kmers import count_kmers, kmer_names, n_features


def naive_counts(seq: str, kmax: int) -> dict:
    counts = {}
    for k in range(1, kmax + 1):
        for i in range(len(seq) - k + 1):
            kmer = seq[i : i + k]
            if "N" not in kmer:
                counts[kmer] = counts.get(kmer, 0) + 1
    return counts


def test_feature_count_and_order():
    assert n_features(5) == 1364 and len(kmer_names(5)) == 1364
    assert kmer_names(2)[:6] == ["A", "C", "G", "T", "AA", "AC"]


@pytest.mark.parametrize("seq", ["ACGTNAC", "AAAAAAA", "NNNN", "ACNGTACGTTNNACG", "GATTACA"])
def test_counts_exact_by_hand(seq):
    names = kmer_names(4)
    rows = np.stack([codes_of(seq.ljust(20, "N"))])  # N padding as in encoded rows
    counts = dict(zip(names, count_kmers(rows, 4)[0].tolist(), strict=True))
    assert {k: v for k, v in counts.items() if v} == naive_counts(seq, 4)


def test_hand_made_counts():
    row = count_kmers(np.stack([codes_of("ACGTNAC")]), 2)[0]
    counts = dict(zip(kmer_names(2), row.tolist(), strict=True))
    assert counts["A"] == 2 and counts["C"] == 2 and counts["AC"] == 2 and counts["TA"] == 0


def test_random_rows_match_naive_counting():
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGTN"))
    seqs = [
        "".join(
            rng.choice(letters, size=int(rng.integers(5, 40)), p=[0.24, 0.24, 0.24, 0.24, 0.04])
        )
        for _ in range(30)
    ]
    rows = np.stack([codes_of(s.ljust(40, "N")) for s in seqs])
    counts = count_kmers(rows, 3)
    names = kmer_names(3)
    for seq, row in zip(seqs, counts, strict=True):
        assert {n: int(v) for n, v in zip(names, row, strict=True) if v} == naive_counts(seq, 3)


def test_l2_maps_to_sklearn_c():
    # sklearn's optimum with C = 1/(2 l2 n) minimises mean loss + l2 * ||w||^2
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, (300, 30)).astype(np.uint8)
    labels = (codes[:, :5] == 0).sum(1) > 1
    l2 = 0.01
    fitted = fit_baseline(codes, labels.astype(int), kmax=2, l2=l2, max_iter=5000)
    assert fitted["C"] == pytest.approx(c_from_l2(l2, 300)) == pytest.approx(1 / (2 * l2 * 300))
    x = (count_kmers(codes, 2) - np.array(fitted["mean"])) / np.array(fitted["scale"])
    y = labels.astype(float)

    def objective(params):
        z = x @ params[:-1] + params[-1]
        return np.mean(np.logaddexp(0, z) - y * z) + l2 * np.sum(params[:-1] ** 2)

    direct = minimize(
        objective,
        np.zeros(x.shape[1] + 1),
        method="L-BFGS-B",
        options={"maxiter": 10000, "gtol": 1e-10},
    )
    ours = np.r_[fitted["coef"], fitted["intercept"]]
    assert objective(ours) == pytest.approx(direct.fun, rel=1e-4)
    assert np.allclose(ours, direct.x, atol=2e-3)


def test_baseline_learns_a_planted_kmer():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, (400, 50)).astype(np.uint8)
    labels = np.arange(400) % 2
    codes[labels == 1, 20:26] = codes_of("TGACTC")
    fitted = fit_baseline(codes, labels)
    assert roc_auc_score(labels, baseline_logits(fitted, codes)) > 0.95


def test_metrics_agree_with_sklearn():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 200)
    logits = rng.normal(size=200) + labels
    ours = metrics(labels, logits)
    assert ours["n"] == 200
    assert ours["accuracy"] == pytest.approx(accuracy_score(labels, (logits >= 0).astype(int)))
    assert ours["auc"] == pytest.approx(roc_auc_score(labels, logits))
    assert list(itertools.islice(ours, 3)) == ["n", "accuracy", "auc"]


def test_chunked_standardisation_equals_numpy():
    from deepcons.baseline import standardise_in_place

    rng = np.random.default_rng(4)
    x = rng.poisson(3.0, (1000, 7)).astype(np.float32)
    x[:, 3] = 2.0  # constant: scale 1
    original = x.copy()
    expected = (x - x.mean(0)) / np.where(x.std(0) == 0, 1, x.std(0))
    mean, scale = standardise_in_place(x, chunk=128)
    assert np.allclose(x, expected, atol=1e-5) and scale[3] == 1.0
    assert np.allclose(mean, original.mean(0), atol=1e-5) and mean[3] == 2.0
    assert np.allclose(scale[[0, 1, 2]], original.std(0)[[0, 1, 2]], atol=1e-5)
