"""The built-in Tomtom against the MEME suite 5.5.6's own outputs, and its edge cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcons import tomtom, tomtom_cli
from deepcons.errors import InputError
from deepcons.meme_io import Motif, format_meme, read_meme, reverse_complement
from deepcons.tomtom import loops, qvalues, ranking, reference

REPO = Path(__file__).resolve().parents[1]
MEME_REFERENCE = REPO / "tests" / "data" / "meme-suite"
SAMPLE = MEME_REFERENCE / "inputs" / "sample.meme"
REFERENCES = {
    (dist, complete): MEME_REFERENCE
    / "tomtom"
    / f"tomtom.{'complete.out' if complete else 'out'}.{dist}.tsv"
    for dist in ("ed", "pearson", "sandelin")
    for complete in (True, False)
}


def table_lines(text: str) -> list[str]:
    """Header and rows of a tomtom.tsv, without the trailing comments."""
    return text.split("\n\n", 1)[0].splitlines()


def reference_command(path: Path) -> list[str]:
    """Arguments of the MEME command that made a reference file (last comment line)."""
    last = path.read_text().rstrip("\n").splitlines()[-1]
    assert last.startswith("# tomtom ")
    return last[len("# tomtom ") :].split()


def random_motifs(n: int, rng: np.random.Generator, widths=(6, 16), prefix="T") -> list[Motif]:
    motifs = []
    for i in range(n):
        width = int(rng.integers(widths[0], widths[1] + 1))
        concentration = rng.choice([0.3, 1.0, 5.0], size=width)
        probs = np.array([rng.dirichlet(np.full(4, c)) for c in concentration])
        motifs.append(Motif(f"{prefix}{i}", probs, nsites=float(rng.integers(10, 200))))
    return motifs


def informative(rng: np.random.Generator, width: int) -> np.ndarray:
    """Columns dominated by one letter each."""
    probs = np.full((width, 4), 0.02)
    probs[np.arange(width), rng.integers(0, 4, size=width)] = 0.94
    return probs


# --------------------------------------------------------------------------- MEME's tables


@pytest.mark.parametrize("complete", [True, False], ids=["complete", "incomplete"])
@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
def test_reproduces_meme_reference_table(dist, complete):
    sample = read_meme(SAMPLE)
    table = tomtom.compare_motifs(
        sample.motifs,
        sample.motifs,
        dist=dist,
        incomplete_scores=not complete,
        background=tomtom.symmetric_background(sample.background),
    )
    printed = tomtom.format_tsv(tomtom.apply_threshold(table, 0.5))
    expected = table_lines(REFERENCES[dist, complete].read_text())
    assert table_lines(printed) == expected


@pytest.mark.parametrize("reference", sorted(REFERENCES.values()), ids=lambda p: p.name)
def test_cli_writes_meme_reference_table(reference, tmp_path, monkeypatch):
    monkeypatch.chdir(MEME_REFERENCE)
    args = [
        str(tmp_path / "out") if arg.startswith("results/") else arg.replace("common/", "inputs/")
        for arg in reference_command(reference)
    ]
    assert tomtom_cli.main(args) == 0
    written = (tmp_path / "out" / "tomtom.tsv").read_text()
    assert table_lines(written) == table_lines(reference.read_text())
    comments = written.rstrip("\n").split("\n\n", 1)[1].splitlines()
    assert comments[0].startswith("# Tomtom (Motif Comparison Tool): Version 5.5.6")
    assert comments[-1] == "# tomtom " + " ".join(args)


def test_cli_text_mode_prints_table_and_writes_no_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    reference = REFERENCES["pearson", True]
    status = tomtom_cli.main(
        ["-text", "-verbosity", "1", "-dist", "pearson", str(SAMPLE), str(SAMPLE)]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert table_lines(out) == table_lines(reference.read_text())
    assert list(tmp_path.iterdir()) == []


def test_cli_selects_queries_and_thresholds_on_evalue(capsys):
    args = ["-text", "-verbosity", "1", "-m", "V_AP4_01", "-mi", "1", "-evalue", "-thresh", "0.01"]
    assert tomtom_cli.main([*args, str(SAMPLE), str(SAMPLE)]) == 0
    printed = table_lines(capsys.readouterr().out)
    # MEME's default (ed, complete) table, rows of the selected queries with E <= 0.01
    reference = table_lines(REFERENCES["ed", True].read_text())
    expected = [reference[0]] + [
        line
        for line in reference[1:]
        if line.split("\t")[0] in ("V_MYOD_01", "V_AP4_01") and float(line.split("\t")[4]) <= 0.01
    ]
    assert printed == expected
    assert len(expected) == 7  # header, 3 rows for V_MYOD_01, 3 for V_AP4_01


# --------------------------------------------------------------------------- edge cases


@pytest.fixture(scope="module")
def background_targets() -> list[Motif]:
    """Enough random targets (> 50) for MEME's null model and pi0 estimate to apply."""
    return random_motifs(70, np.random.default_rng(7))


def test_norc_reports_forward_strand_only(background_targets):
    queries = random_motifs(4, np.random.default_rng(1), prefix="Q")
    both = tomtom.compare_motifs(queries, background_targets, dist="ed")
    forward = tomtom.compare_motifs(queries, background_targets, dist="ed", norc=True)
    assert set(forward["Orientation"]) == {"+"}
    assert "-" in set(both["Orientation"])
    assert len(forward) == len(both) == len(queries) * len(background_targets)


@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("min_overlap", [1, 3, 5, 9])
def test_min_overlap_bounds_offsets(background_targets, min_overlap, complete):
    rng = np.random.default_rng(3)
    short = Motif("short", informative(rng, 4), nsites=30)
    long_ = Motif("long", informative(rng, 12), nsites=30)
    table = tomtom.compare_motifs(
        [short, long_],
        [*background_targets, short, long_],
        dist="pearson",
        min_overlap=min_overlap,
        incomplete_scores=not complete,
    )
    widths = {m.id: m.width for m in [*background_targets, short, long_]}
    q = table["Query_ID"].map(widths)
    t = table["Target_ID"].map(widths)
    least = np.minimum(np.minimum(min_overlap, q), t)
    assert (table["Overlap"] >= least).all()
    # configuration = offset + query width must lie in [least, q + t - least]
    assert (table["Optimal_offset"] + q >= least).all()
    assert (table["Optimal_offset"] + q <= q + t - least).all()
    pair = table[(table["Query_ID"] == "short") & (table["Target_ID"] == "long")].iloc[0]
    assert pair["Overlap"] >= min(min_overlap, 4)
    if min_overlap == 9:  # capped at the short motif's width: it must lie inside
        assert 0 <= pair["Optimal_offset"] <= 8 and pair["Overlap"] == 4


def test_internal_keeps_the_shorter_motif_inside(background_targets):
    queries = random_motifs(3, np.random.default_rng(11), widths=(8, 8), prefix="Q")
    table = tomtom.compare_motifs(queries, background_targets, dist="ed", internal=True)
    widths = {m.id: m.width for m in background_targets}
    t = table["Target_ID"].map(widths)
    assert (table["Overlap"] == np.minimum(8, t)).all()


@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
def test_reverse_complement_is_found_on_minus_strand(background_targets, dist):
    rng = np.random.default_rng(5)
    query = Motif("query", informative(rng, 10), nsites=40)
    twin = Motif("twin", reverse_complement(query.probs), nsites=40)
    table = tomtom.compare_motifs([query], [*background_targets, twin], dist=dist)
    best = table.iloc[0]
    assert best["Target_ID"] == "twin"
    assert best["Orientation"] == "-"
    assert best["Optimal_offset"] == 0 and best["Overlap"] == 10
    assert best["p-value"] < 1e-8
    assert best["Target_consensus"] == best["Query_consensus"]
    assert table["p-value"].iloc[1] > 1e3 * best["p-value"]


@pytest.mark.parametrize("complete", [True, False])
def test_shifted_copies_get_their_offsets(background_targets, complete):
    rng = np.random.default_rng(9)
    core = informative(rng, 12)
    query = Motif("query", core, nsites=50)
    flank = rng.dirichlet(np.ones(4), size=6)
    # query column i lies under target column i + offset
    right = Motif("right", np.vstack([flank, core[4:]]), nsites=50)  # offset 2, all 12 overlap
    left = Motif("left", np.vstack([core[4:], flank]), nsites=50)  # offset -4, 8 overlap
    for target, expected in ((right, (2, 12, "+")), (left, (-4, 8, "+"))):
        table = tomtom.compare_motifs(
            [query], [*background_targets, target], dist="ed", incomplete_scores=not complete
        )
        best = table.iloc[0]
        assert best["Target_ID"] == target.id
        assert (best["Optimal_offset"], best["Overlap"], best["Orientation"]) == expected


@pytest.mark.parametrize("method", ["compiled", "numpy"])
@pytest.mark.parametrize("n_jobs", [2, 3])
def test_results_do_not_depend_on_workers(background_targets, n_jobs, method):
    # 9 queries: more pieces of work than threads
    queries = random_motifs(9, np.random.default_rng(2), prefix="Q")
    serial = tomtom.compare_motifs(
        queries, background_targets, dist="pearson", n_jobs=1, method=method
    )
    parallel = tomtom.compare_motifs(
        queries, background_targets, dist="pearson", n_jobs=n_jobs, method=method
    )
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["q-value"].between(0, 1).all()


needs_numba = pytest.mark.skipif(not loops.load(), reason="the compiled kernels need numba")


def assert_same_table(compiled: pd.DataFrame, reference: pd.DataFrame, complete: bool) -> None:
    """The compiled kernels' table is the numpy one: to the bit with complete scores (p-values
    are floats); with incomplete scores the tails are summed in another order, so p-values
    agree to about 1e-13 and print the same."""
    if complete:
        pd.testing.assert_frame_equal(compiled, reference, check_exact=True)
        return
    pd.testing.assert_frame_equal(compiled, reference, check_exact=False, rtol=1e-10, atol=0)
    assert tomtom.format_tsv(compiled) == tomtom.format_tsv(reference)


@needs_numba
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"incomplete_scores": True},
        {"norc": True},
        {"min_overlap": 5},
        {"internal": True},
        {"incomplete_scores": True, "min_overlap": 4, "norc": True},
    ],
    ids=["complete", "incomplete", "norc", "min-overlap", "internal", "incomplete-mixed"],
)
@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
def test_compiled_kernels_give_the_numpy_table(dist, options):
    # 60 targets of both strands (> 100 p-values: pi0 is estimated), queries that match
    # some of them (small p-values: the bootstrap is needed) and random ones
    rng = np.random.default_rng(21)
    targets = random_motifs(60, rng, widths=(4, 22))
    queries = random_motifs(5, rng, widths=(3, 18), prefix="Q")
    queries += [Motif(f"M{i}", targets[3 * i].probs[1:], nsites=30) for i in range(4)]
    compiled = tomtom.compare_motifs(queries, targets, dist=dist, method="compiled", **options)
    reference = tomtom.compare_motifs(queries, targets, dist=dist, method="numpy", **options)
    assert_same_table(compiled, reference, not options.get("incomplete_scores", False))


@needs_numba
@pytest.mark.parametrize("complete", [True, False], ids=["complete", "incomplete"])
@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
def test_compiled_kernels_on_exact_ties(dist, complete):
    # one-hot and uniform columns without pseudocounts, decimal probabilities: equal
    # scores, medians on ties, extremes and scaled scores on rounding boundaries
    rng = np.random.default_rng(22)
    letters = np.eye(4)
    targets = [
        Motif(f"T{i}", np.round(letters[rng.integers(0, 4, size=w)] * 0.7 + 0.075, 3))
        for i, w in enumerate(rng.integers(3, 12, size=40))
    ]
    targets += [Motif(f"U{i}", np.full((5, 4), 0.25)) for i in range(3)]
    targets += [Motif(f"H{i}", letters[rng.integers(0, 4, size=6)]) for i in range(20)]
    queries = [
        Motif("one-hot", letters[[0, 1, 2, 3, 3, 0]]),
        Motif("uniform", np.full((4, 4), 0.25)),
    ]
    queries += [Motif("rounded", np.round(rng.dirichlet(np.ones(4), size=7), 2))]
    options = {"dist": dist, "incomplete_scores": not complete, "motif_pseudo": 0.0}
    compiled = tomtom.compare_motifs(queries, targets, method="compiled", **options)
    reference = tomtom.compare_motifs(queries, targets, method="numpy", **options)
    assert_same_table(compiled, reference, complete)


def test_compiled_method_refuses_what_it_cannot_take(background_targets):
    wide = Motif("wide", informative(np.random.default_rng(24), 101))
    with pytest.raises(ValueError, match="at most 100 columns"):
        tomtom.compare_motifs([wide], background_targets, method="compiled")
    with pytest.raises(ValueError, match="unknown method"):
        tomtom.compare_motifs([wide], background_targets, method="fast")


def test_threshold_keeps_rows_at_or_below(background_targets):
    queries = random_motifs(3, np.random.default_rng(4), prefix="Q")
    table = tomtom.compare_motifs(queries, background_targets, dist="ed")
    kept = tomtom.apply_threshold(table, 0.2)
    assert (kept["q-value"] <= 0.2).all()
    assert len(kept) == (table["q-value"] <= 0.2).sum()
    inline = tomtom.compare_motifs(queries, background_targets, dist="ed", thresh=0.2)
    pd.testing.assert_frame_equal(kept, inline)
    by_e = tomtom.apply_threshold(table, 1.0, evalue=True)
    assert (by_e["E-value"] <= 1.0).all() and len(by_e) < len(table)


def test_empty_input_gives_empty_table():
    table = tomtom.compare_motifs([], random_motifs(2, np.random.default_rng(0)))
    assert list(table.columns) == tomtom.TSV_COLUMNS and table.empty


# --------------------------------------------------------------------------- building blocks


@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("nice", [False, True], ids=["continuous", "three-decimals"])
def test_pearson_shortcut_equals_meme_rounding_everywhere(complete, nice):
    rng = np.random.default_rng(12)
    targets = np.vstack([m.probs for m in random_motifs(40, rng)])
    queries = rng.dirichlet(np.full(4, 0.8), size=12)
    if nice:  # decimal probabilities, as in MEME's sample files, put scores on ties
        targets = np.round(targets, 3)
        queries = np.round(queries, 3)
        targets = np.vstack([targets, queries, np.full((3, 4), 0.25)])
    target_cols = np.vstack([targets, targets[::-1, ::-1]])
    fast = tomtom.scaled_column_scores(queries, target_cols, "pearson", complete)
    exact = tomtom.scaled_column_scores(queries, target_cols, "pearson", complete, exact=True)
    np.testing.assert_array_equal(fast[0], exact[0])
    assert fast[1:] == exact[1:]


def squared_distances_in_letter_order(query_probs, target_cols):
    """MEME's ``sum over letters of (q - t)^2``, one letter after the other."""
    total = (query_probs[:, 0, None] - target_cols[None, :, 0]) ** 2
    for letter in range(1, 4):
        total = total + (query_probs[:, letter, None] - target_cols[None, :, letter]) ** 2
    return total


@pytest.mark.parametrize("dist", ["ed", "sandelin"])
def test_distances_sum_squares_in_memes_order(dist):
    rng = np.random.default_rng(13)
    queries = rng.dirichlet(np.full(4, 0.6), size=9)
    targets = np.vstack([rng.dirichlet(np.full(4, 0.3), size=500), queries, np.round(queries, 3)])
    squares = squared_distances_in_letter_order(queries, targets)
    expected = -np.sqrt(squares) if dist == "ed" else 2.0 - squares
    np.testing.assert_array_equal(tomtom.column_scores(queries, targets, dist), expected)
    assert (
        tomtom.column_scores(queries, queries, dist).diagonal() == (0.0 if dist == "ed" else 2.0)
    ).all()


def test_round_significant_matches_meme_macro():
    values = np.array([0.123456789012345678, -2.5e-7 / 3, 1.0, 0.0, 123.4567890123456789])
    expected = [0.12345678901235, -8.3333333333333e-08, 1.0, 0.0, 123.45678901235]
    np.testing.assert_array_equal(tomtom.round_significant(values), expected)


@needs_numba
def test_compiled_rounding_is_the_numpy_one():
    rng = np.random.default_rng(25)
    x = rng.normal(size=5000) * 10.0 ** rng.uniform(-40, 3, 5000)  # powers beyond 10^22 too
    x = np.concatenate([x, [0.0, 1.0, -1.0, 1e-25, 0.1, 123.4567890123456789]])
    expected = tomtom.round_significant(x)
    np.testing.assert_array_equal([loops.nb_round(v) for v in x], expected)


def test_consensus_breaks_ties_through_a_float():
    # MEME keeps the running maximum as a float: 0.3 rounds up, so a later 0.3 + 1e-12 is
    # not larger and 'A' stays; 0.45 rounds down, so an equal later 0.45 wins ('C').
    probs = np.array([[0.1, 0.1, 0.4, 0.4], [0.3, 0.3 + 1e-12, 0.2, 0.2], [0.45, 0.45, 0.05, 0.05]])
    assert float(np.float32(0.3)) > 0.3 and float(np.float32(0.45)) < 0.45
    assert tomtom.meme_consensus(probs) == "GAC"
    assert Motif("m", probs).consensus() == "GCA"  # a plain argmax differs


def test_pseudocount_uses_integer_nsites_and_default_20():
    probs = np.array([[1.0, 0.0, 0.0, 0.0]])
    with_sites = tomtom.prepare_probs(Motif("a", probs, nsites=5.9))
    np.testing.assert_allclose(with_sites[0], (probs[0] * 5 + 0.1 * 0.25) / 5.1, rtol=0, atol=0)
    default = tomtom.prepare_probs(Motif("b", probs))
    np.testing.assert_allclose(default[0], (probs[0] * 20 + 0.025) / 20.1, rtol=0, atol=0)
    assert tomtom.prepare_probs(Motif("c", probs), motif_pseudo=0)[0, 0] == 1.0


def test_window_tails_equal_direct_convolution():
    rng = np.random.default_rng(6)
    q = 7
    pmf = np.zeros((q, tomtom.BINS + 1))
    for row in pmf:
        low = rng.integers(0, 60)
        row[low : low + rng.integers(1, 40)] = rng.random(size=None)
        row[low : low + 40] += rng.random(min(40, tomtom.BINS + 1 - low))
        row /= row.sum()
    tails = reference._window_tails(pmf, cap=False)
    for s in range(q):
        for e in range(s, q):
            direct = pmf[s]
            for c in range(s + 1, e + 1):
                direct = np.convolve(direct, pmf[c])
            expected = np.cumsum(direct[::-1])[::-1]
            scores = np.arange(-3, len(direct) + 3)
            got = tails.lookup(np.full(len(scores), s * q + e), scores)
            want = np.concatenate([np.full(3, expected[0]), expected, np.zeros(3)])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def mtwist_reference(n: int, seed: int = 4357) -> list[int]:
    """Kuenning's mtwist as MEME ships it, transcribed: reversed state, old Knuth seeding."""
    size, shift = 624, 397
    upper, lower, decider = 0x80000000, 0x7FFFFFFF, (0, 0x9908B0DF)
    state = [0] * size
    state[size - 1] = seed
    for i in range(size - 2, -1, -1):
        state[i] = (69069 * state[i + 1]) & 0xFFFFFFFF

    def twist(x, y):
        return ((x & upper) | (y & lower)) >> 1

    def refresh():
        # mts_refresh walks the reversed vector from the top
        for i in range(size - 1, -1, -1):
            nxt = state[i - 1] if i > 0 else state[size - 1]
            far = state[i - shift] if i >= shift else state[i - shift + size]
            state[i] = far ^ twist(state[i], nxt) ^ decider[nxt & 1]

    out = []
    pointer = 0
    for _ in range(n):
        if pointer == 0:
            refresh()
            pointer = size
        pointer -= 1
        y = state[pointer]
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        out.append(y & 0xFFFFFFFF)
    return out


def test_meme_random_is_mtwists_default_sequence():
    assert tomtom.MemeRandom().words(700).tolist() == mtwist_reference(1400)


@needs_numba
def test_compiled_generator_draws_memes_sequence():
    key, position = qvalues.mt_seed_key(), 624
    words = np.empty(1500, dtype=np.uint32)
    position = loops.nb_mt_draws(key, position, 0, words)
    skipped = np.empty(700, dtype=np.uint32)
    loops.nb_mt_draws(key, position, 3001, skipped)  # 3001 words on, then 700
    stream = tomtom.MemeRandom().words(2601)
    np.testing.assert_array_equal(words, stream[:1500])
    np.testing.assert_array_equal(skipped, stream[4501:5201])


def pi_zero_reference(sorted_p: np.ndarray, rng: tomtom.MemeRandom) -> float:
    """MEME's estimate_pi_zero, loop for loop."""
    m = len(sorted_p)
    lambdas = [((i + 1) / 100) * 0.5 for i in range(100)]

    def fixed(lam, values):
        n = len(values)
        start = next((i for i, v in enumerate(values) if v >= lam), n)
        pi0 = (n - start) / ((1.0 - lam) * n)
        return np.inf if pi0 == 0 else pi0

    pi_zeroes = [fixed(lam, sorted_p) for lam in lambdas]
    minimum = min(pi_zeroes)
    errors = [0.0] * 100
    for _ in range(100):
        sample = sorted(sorted_p[int(d * m)] for d in rng.ldrand(1000))
        for i, lam in enumerate(lambdas):
            errors[i] += (fixed(lam, sample) - minimum) ** 2
    best = 0
    for i in range(1, 100):
        if errors[i] < errors[best]:
            best = i
    return min(max(pi_zeroes[best], 0.0), 1.0)


def test_pi_zero_follows_meme_bootstrap():
    rng = np.random.default_rng(8)
    first = np.sort(np.concatenate([rng.random(260), rng.random(140) * 1e-3]))
    second = np.sort(np.concatenate([rng.random(150), rng.random(30) * 1e-2]))
    # one generator for successive estimates (queries), as MEME's program-wide one
    ours, reference = tomtom.MemeRandom(), tomtom.MemeRandom()
    estimates = [tomtom.estimate_pi_zero(p, ours) for p in (first, second)]
    assert estimates == [pi_zero_reference(p, reference) for p in (first, second)]
    assert 0.4 < estimates[0] < 1.0  # 260 of 400 look null


@needs_numba
def test_compiled_bootstrap_gives_memes_qvalues():
    rng = np.random.default_rng(23)
    generator = tomtom.MemeRandom()
    key, position = qvalues.mt_seed_key(), 624
    for m, small in ((400, 140), (181, 30), (1000, 0), (250, 250)):
        p = np.sort(np.concatenate([rng.random(m - small), rng.random(small) * 1e-3]))
        rows = np.sort(rng.choice(m, size=m // 2, replace=False))
        expected = tomtom.meme_qvalues(p, picks=generator.bootstrap_picks(m))[rows]
        got = np.empty(len(rows))
        loops.nb_bootstrap_qvalues(p, key, position, qvalues.LAMBDAS, 100, 1000, rows, got)
        np.testing.assert_array_equal(got, expected)
        no_words = np.empty(0, dtype=np.uint32)
        position = loops.nb_mt_draws(key, position, 2 * tomtom.PI_ZERO_DRAWS, no_words)


def test_qvalues_are_benjamini_hochberg_below_101_pvalues():
    p = np.array([0.001, 0.01, 0.02, 0.5, 0.9])
    expected = np.minimum.accumulate((p * 5 / np.arange(1, 6))[::-1])[::-1]
    np.testing.assert_allclose(tomtom.meme_qvalues(p), np.minimum(expected, 1.0))


def test_pi_zero_is_estimated_from_101_pvalues_on():
    rng = np.random.default_rng(4)
    many_small = np.concatenate([rng.random(61), rng.random(40) * 1e-4])

    def benjamini_hochberg(p):
        q = p * len(p) / np.arange(1, len(p) + 1)
        return np.minimum(np.minimum.accumulate(q[::-1])[::-1], 1.0)

    hundred = np.sort(many_small[1:])
    np.testing.assert_allclose(tomtom.meme_qvalues(hundred), benjamini_hochberg(hundred))
    hundred_and_one = np.sort(many_small)
    # 61 of 101 look null: pi0 < 1 scales every q-value down
    ratio = tomtom.meme_qvalues(hundred_and_one) / benjamini_hochberg(hundred_and_one)
    assert np.all(ratio < 0.95) and np.allclose(ratio, ratio[0])


# --------------------------------------------------------------------------- command line


def bad_motif_file(tmp_path: Path) -> Path:
    text = format_meme(read_meme(SAMPLE).motifs[:2]).splitlines()
    matrix_row = next(i for i, line in enumerate(text) if line.startswith(" 0."))
    text[matrix_row] = " 0.25 0.25 zero 0.5"
    path = tmp_path / "bad.meme"
    path.write_text("\n".join(text) + "\n")
    return path, matrix_row + 1


def test_bad_motif_file_is_an_input_error_naming_the_line(tmp_path, capsys):
    path, line = bad_motif_file(tmp_path)
    with pytest.raises(InputError) as error:
        read_meme(path)
    assert error.value.line == line
    status = tomtom_cli.main(["-text", str(SAMPLE), str(path)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"{path}, line {line}" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["-dist", "kullback"], "not an allowed value"),
        (["-bfile", "bg.txt"], "Option '-bfile' is not allowed with '-dist ed'"),
        (["-thresh", "2"], "must be less than 1"),
        (["-unknown"], "unrecognized option"),
        (["-e"], "ambiguous"),
    ],
)
def test_cli_refuses_what_meme_refuses(args, message, capsys):
    assert tomtom_cli.main([*args, str(SAMPLE), str(SAMPLE)]) == 1
    assert message in capsys.readouterr().err


def test_cli_needs_targets_and_keeps_existing_output_with_o(tmp_path, capsys):
    assert tomtom_cli.main([str(SAMPLE)]) == 1
    assert "No target motif database" in capsys.readouterr().err
    existing = tmp_path / "out"
    existing.mkdir()
    assert tomtom_cli.main(["-o", str(existing), str(SAMPLE), str(SAMPLE)]) == 1
    assert "exists" in capsys.readouterr().err
    assert not (existing / "tomtom.tsv").exists()
    assert tomtom_cli.main(["-oc", str(existing), "-verbosity", "1", str(SAMPLE), str(SAMPLE)]) == 0
    assert (existing / "tomtom.tsv").exists()


def test_deepcons_tomtom_does_not_import_torch():
    code = (
        "import sys; from deepcons import cli; "
        "assert cli.main(['tomtom', '-version']) == 0; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "workflow" / "scripts"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == tomtom.MEME_VERSION


def test_a_job_stopped_while_its_workers_start_does_not_hang(tmp_path):
    # SIGTERM (a SystemExit) after the first worker started but before the second: the first
    # one must not wait forever for a generator snapshot that will not come
    if not loops.load():
        pytest.skip("the compiled kernels need numba")
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np
from deepcons import tomtom
from deepcons.tomtom import compiled
from test_tomtom import random_motifs

class StoppedAtTheSecondWorker(compiled.ThreadPoolExecutor):
    submitted = 0

    def submit(self, fn, *args, **kwargs):
        StoppedAtTheSecondWorker.submitted += 1
        if StoppedAtTheSecondWorker.submitted == 2:
            time.sleep(1)  # the first worker ranks its first piece meanwhile
            raise SystemExit(143)
        return super().submit(fn, *args, **kwargs)

compiled.ThreadPoolExecutor = StoppedAtTheSecondWorker
queries = random_motifs(200, np.random.default_rng(3), prefix="Q")
targets = random_motifs(70, np.random.default_rng(7))
tomtom.compare_motifs(queries, targets, dist="pearson", n_jobs=2, method="compiled")
"""
    try:
        done = subprocess.run([sys.executable, "-c", script], timeout=120, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("compare_motifs hung after a SystemExit while starting its workers")
    assert done.returncode == 143, done.stderr.decode()


@pytest.mark.parametrize("method", ["compiled", "numpy"])
def test_a_stopped_job_stops_its_worker_threads(background_targets, method, monkeypatch):
    # SIGTERM (run_rule makes it a SystemExit in the main thread) must not wait for the
    # worker threads to finish every query
    import os
    import signal

    if method == "compiled" and not loops.load():
        pytest.skip("the compiled kernels need numba")
    queries = random_motifs(200, np.random.default_rng(3), prefix="Q")
    calls = []

    def counted(original):
        def wrapper(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                os.kill(os.getpid(), signal.SIGTERM)
            return original(*args, **kwargs)

        return wrapper

    if method == "compiled":
        monkeypatch.setattr(ranking.Ranking, "rank", counted(ranking.Ranking.rank))
        total = len(range(0, 200, 12))  # pieces of 12 queries for 2 workers
    else:
        monkeypatch.setattr(reference, "_compare_query", counted(reference._compare_query))
        total = 200

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(SystemExit):
            tomtom.compare_motifs(
                queries, background_targets, dist="pearson", n_jobs=2, method=method
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert 1 <= len(calls) < total / 2
