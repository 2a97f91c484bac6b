"""k-mer counts, the L2-to-C mapping of the baseline, and the evaluation metrics."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.metrics import accuracy_score, roc_auc_score

from deepcons.baseline import (
    baseline_logits,
    c_from_l2,
    fit_baseline,
    fit_logistic,
    logistic_loss_and_gradient,
)
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


def planted_problem(n=300, width=30, seed=1):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, width)).astype(np.uint8)
    labels = ((codes[:, :5] == 0).sum(1) > 1).astype(int)
    return codes, labels


def test_fit_minimises_the_papers_objective():
    # mean cross-entropy + l2 * ||w||^2, minimised directly, and by sklearn with C = 1/(2 l2 n)
    from sklearn.linear_model import LogisticRegression

    codes, labels = planted_problem()
    l2 = 0.01
    fitted = fit_baseline(codes, labels, kmax=2, l2=l2, max_iter=5000)
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
    sklearn = LogisticRegression(C=fitted["C"], tol=1e-10, max_iter=10000).fit(x, labels)
    ours = np.r_[fitted["coef"], fitted["intercept"]]
    assert objective(ours) == pytest.approx(direct.fun, rel=1e-4)
    assert np.allclose(ours, direct.x, atol=2e-3)
    assert np.allclose(ours, np.r_[sklearn.coef_.ravel(), sklearn.intercept_], atol=2e-3)


@pytest.mark.parametrize("chunk", [7, 65_536])
def test_loss_gradient_matches_finite_differences(chunk):
    codes, labels = planted_problem(n=50)
    x = count_kmers(codes, 2)
    x = (x - x.mean(0)) / x.std(0)
    params = np.random.default_rng(5).normal(0, 0.3, x.shape[1] + 1)
    loss, gradient = logistic_loss_and_gradient(params, x, labels.astype(np.float32), 0.05, chunk)
    z = x.astype(np.float64) @ params[:-1] + params[-1]
    expected = np.mean(np.logaddexp(0, z) - labels * z) + 0.05 * params[:-1] @ params[:-1]
    assert loss == pytest.approx(expected, rel=1e-6)
    step = 1e-4
    for i in (0, 7, len(params) - 1):
        shifted = params.copy()
        shifted[i] += step
        higher = logistic_loss_and_gradient(shifted, x, labels.astype(np.float32), 0.05)[0]
        shifted[i] -= 2 * step
        lower = logistic_loss_and_gradient(shifted, x, labels.astype(np.float32), 0.05)[0]
        assert gradient[i] == pytest.approx((higher - lower) / (2 * step), abs=1e-4)


def test_fit_logs_its_iterations(caplog):
    codes, labels = planted_problem()
    x = count_kmers(codes, 2)
    with caplog.at_level("INFO", logger="deepcons"):
        _, _, iterations = fit_logistic((x - x.mean(0)) / x.std(0), labels, 0.01, 500, every=0)
    lines = [r.message for r in caplog.records if r.message.startswith("L-BFGS iteration")]
    assert len(lines) == iterations > 1
    assert lines[0].startswith("L-BFGS iteration 1: loss 0.")
    assert any(r.message.startswith(f"fitted in {iterations} iterations") for r in caplog.records)


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


def test_accuracy_calls_a_logit_of_zero_conserved():
    # probability 0.5 counts as label 1, as the paper's threshold of 0.5 does
    ours = metrics(np.array([1, 1, 0, 0]), np.array([0.0, 2.0, -1.0, -3.0]))
    assert ours["accuracy"] == 1.0 and ours["auc"] == 1.0


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


def test_fit_refuses_one_class_and_says_when_it_stopped_early(caplog):
    codes, labels = planted_problem()
    x = count_kmers(codes, 2)
    with pytest.raises(ValueError, match=r"labels 0 and 1, got \[1\]"):
        fit_logistic(x, np.ones(len(x), dtype=int), 0.01, 100)
    with caplog.at_level("WARNING", logger="deepcons"):
        fit_logistic((x - x.mean(0)) / x.std(0), labels, 1e-6, 2)
    assert any(
        "after 2 iterations" in r.message and "baseline.max_iter" in r.message
        for r in caplog.records
        if r.levelname == "WARNING"
    )
