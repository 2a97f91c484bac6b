"""The built-in CentriMo against the MEME suite 5.5.6 and against constructed cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from deepcons import centrimo as cm
from deepcons.centrimo_cli import main as centrimo_main
from deepcons.errors import InputError
from deepcons.meme_io import Motif, read_meme
from deepcons.motif_scan import (
    INVALID,
    brute_force_best_sites,
    encode_sequences,
    scan_best_sites,
)

REFERENCE_RUNS = {
    # tag: (library options, extra CLI arguments), all with --neg Klf1-200.fa --motif-pseudo 1
    "neg": ({}, []),
    "neg_lo": ({"use_lo_fraction": True}, ["--use-lo-fraction"]),
    "neg_pv": ({"use_pvalues": True, "score_threshold": 0.1}, ["--use-pvalues", "--score", "0.1"]),
}


def _data_lines(text: str) -> list[str]:
    """The table part of centrimo.tsv: everything before the blank line and comments."""
    lines = text.splitlines()
    return lines[: lines.index("")] if "" in lines else lines


@pytest.fixture(scope="module")
def klf1():
    inputs = Path(__file__).resolve().parent / "data" / "meme-suite" / "inputs"
    _, seqs = cm.read_fasta(inputs / "Klf1.fa")
    _, neg = cm.read_fasta(inputs / "Klf1-200.fa")
    motifs = read_meme(inputs / "Jaspar-subset.meme").motifs
    return seqs, neg, motifs


@pytest.fixture(scope="module")
def reference_results(klf1):
    seqs, neg, motifs = klf1
    return {
        tag: cm.run_centrimo(seqs, motifs, neg_sequences=neg, motif_pseudo=1, **options)
        for tag, (options, _) in REFERENCE_RUNS.items()
    }


# --------------------------------------------------------------------------------------
# MEME suite reference outputs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", sorted(REFERENCE_RUNS))
def test_reference_tsv(tag, reference_results, meme_reference):
    expected = (meme_reference / "centrimo" / f"{tag}_centrimo.tsv").read_text()
    got = cm.format_centrimo_tsv(reference_results[tag], "centrimo test")
    assert _data_lines(got) == _data_lines(expected)
    assert len(_data_lines(got)) == 11  # header + 10 of the 11 motifs
    comments = got.splitlines()[len(_data_lines(got)) :]
    assert comments[0] == ""
    assert comments[1].startswith("# CentriMo (Local Motif Enrichment Analysis): Version 5.5.6")
    assert comments[2] == expected.splitlines()[-2]  # the format URL line
    assert comments[3] == "# centrimo test"


@pytest.mark.parametrize("tag", sorted(REFERENCE_RUNS))
def test_reference_site_counts(tag, reference_results, meme_reference):
    expected = (meme_reference / "centrimo" / f"{tag}_site_counts.txt").read_text()
    got = cm.format_site_counts(reference_results[tag])
    assert got.splitlines() == expected.splitlines()


def test_reference_has_fractional_tie_counts(meme_reference):
    # the references the tests above match do exercise shared (tied) counts
    text = (meme_reference / "centrimo" / "neg_lo_site_counts.txt").read_text()
    assert "\t4.5\t" in text and "\t0.5\n" in text


def test_plag1_is_left_out_by_the_evalue_threshold(klf1, reference_results):
    """PLAG1 has sites, but its best window has E = 10.9 > --ethresh 10 (11 motifs x p=0.99)."""
    seqs, neg, motifs = klf1
    plag1 = [i for i, m in enumerate(motifs) if m.id == "MA0163.1"][0]
    default = reference_results["neg"]
    assert default.by_motif(plag1) is None
    assert default.passing[:, plag1].sum() > 300  # plenty of sequences with a site
    relaxed = cm.run_centrimo(seqs, motifs, neg_sequences=neg, motif_pseudo=1, ethresh=11)
    result = relaxed.by_motif(plag1)
    assert result is not None
    assert cm.format_log_value(result.log_evalue(relaxed.n_motifs)) == "1.1e1"
    assert 10 < math.exp(result.log_evalue(relaxed.n_motifs)) <= 11  # adjusted p-value ~1


def test_most_enriched_keeps_the_best_below_the_evalue(reference_results):
    result = reference_results["neg"]
    evalues = [math.exp(m.log_evalue(result.n_motifs)) for m in result.motifs]
    assert evalues == sorted(evalues)
    cut = evalues[2] * 1.0001  # between the third and the fourth reported motif
    assert evalues[3] > cut
    assert result.most_enriched(cut, 100) == result.motifs[:3]
    assert result.most_enriched(cut, 2) == result.motifs[:2]
    assert result.most_enriched(1e300, 100) == result.motifs
    assert result.most_enriched(evalues[0] / 2, 100) == []


def test_reference_cli_end_to_end(tmp_path, meme_reference, capsys):
    inputs = meme_reference / "inputs"
    out = tmp_path / "centrimo5"
    args = [
        "--verbosity",
        "1",
        "--oc",
        str(out),
        "--neg",
        str(inputs / "Klf1-200.fa"),
        "--motif-pseudo",
        "1",
        str(inputs / "Klf1.fa"),
        str(inputs / "Jaspar-subset.meme"),
    ]
    assert centrimo_main(args) == 0
    expected_dir = meme_reference / "centrimo"
    tsv = (out / "centrimo.tsv").read_text()
    assert _data_lines(tsv) == _data_lines((expected_dir / "neg_centrimo.tsv").read_text())
    assert tsv.splitlines()[-1] == "# centrimo " + " ".join(args)
    assert (out / "site_counts.txt").read_text() == (
        expected_dir / "neg_site_counts.txt"
    ).read_text().rstrip("\n") + "\n"

    # --text: the same table on stdout, single-dash spellings as MEME accepts them
    args = [
        "-text",
        "-neg",
        str(inputs / "Klf1-200.fa"),
        "-motif-pseudo",
        "1",
        "-use-pvalues",
        "-score",
        "0.1",
        str(inputs / "Klf1.fa"),
        str(inputs / "Jaspar-subset.meme"),
    ]
    capsys.readouterr()
    assert centrimo_main(args) == 0
    stdout = capsys.readouterr().out
    assert _data_lines(stdout) == _data_lines((expected_dir / "neg_pv_centrimo.tsv").read_text())

    # --o refuses an existing directory
    assert (
        centrimo_main(["--o", str(out), str(inputs / "Klf1.fa"), str(inputs / "sample.meme")]) == 1
    )
    assert "already exists" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Constructed cases
# --------------------------------------------------------------------------------------

PLANTED = "TTGCATAGCC"  # shares no 4-mer with its reverse complement


def _sharp_motif(word: str, name: str, nsites: float = 50) -> Motif:
    probs = np.full((len(word), 4), 0.02)
    for j, letter in enumerate(word):
        probs[j, "ACGT".index(letter)] = 0.94
    return Motif(name, probs, nsites=nsites)


def _revcomp(word: str) -> str:
    return word[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _planted_sequences(rng, n, length, word, offsets, strands=None):
    seqs = []
    for i in range(n):
        seq = list(rng.choice(list("ACGT"), size=length))
        if offsets[i] is not None:
            site = word if strands is None or strands[i] > 0 else _revcomp(word)
            start = length // 2 - len(word) // 2 + offsets[i]
            seq[start : start + len(word)] = site
        seqs.append("".join(seq))
    return seqs


def test_planted_central_motif_is_reported_with_a_narrow_window():
    rng = np.random.default_rng(7)
    n, length = 300, 400
    offsets = [int(rng.integers(-5, 6)) if rng.random() < 0.8 else None for _ in range(n)]
    strands = rng.choice([1, -1], size=n)
    seqs = _planted_sequences(rng, n, length, PLANTED, offsets, strands)
    # a second motif planted at uniformly random positions in the same sequences
    other = "GAGTTACCAT"
    anywhere = []
    for seq in seqs:
        start = int(rng.integers(0, length - len(other)))
        anywhere.append(seq[:start] + other + seq[start + len(other) :])
    motifs = [_sharp_motif(PLANTED, "central"), _sharp_motif(other, "anywhere")]
    result = cm.run_centrimo(anywhere, motifs)
    central = result.by_motif(0)
    assert central is not None
    assert central.log_evalue(result.n_motifs) < math.log(1e-50)
    assert central.best.location(length) == 0.0
    assert central.best.n_bins <= 31  # the sites span 11 positions
    assert central.best.sites >= 0.75 * n
    spread_out = result.by_motif(1)
    assert spread_out is None or spread_out.log_evalue(result.n_motifs) > math.log(1e-5)

    # per-sequence best sites: the planted ones are in the window, on the planted strand
    members = result.sequences_in_window(0)
    planted = np.array([o is not None for o in offsets])
    found = planted[members.seq]
    assert found.sum() >= 0.95 * planted.sum()
    on_plus = members.plus[found] > 0.5
    assert np.array_equal(on_plus, strands[members.seq[found]] > 0)
    half_width = (central.best.n_bins - 1) / 2
    assert np.all(np.abs(members.offset) <= half_width)


def test_local_mode_finds_an_off_centre_peak_and_flip_merges_strands():
    rng = np.random.default_rng(3)
    n, length = 200, 300
    strands = rng.choice([1, -1], size=n)
    # + strand copies 60 bp left of the centre, - strand copies 60 bp right of it
    offsets = [-60 if s > 0 else 60 for s in strands]
    seqs = _planted_sequences(rng, n, length, PLANTED, offsets, strands)
    motif = [_sharp_motif(PLANTED, "planted")]
    central = cm.run_centrimo(seqs, motif, ethresh=1e300).by_motif(0)
    local = cm.run_centrimo(seqs, motif, local=True)
    flipped = cm.run_centrimo(seqs, motif, local=True, flip=True)
    assert central.best.n_bins > 100  # only a wide central window reaches both clusters
    peaks = sorted(w.location(length) for w in local.motifs[0].windows[:2])
    assert peaks[0] == pytest.approx(-60, abs=3) and peaks[1] == pytest.approx(60, abs=3)
    assert local.motifs[0].mult_tests > central.mult_tests
    # flipping reflects the - strand sites around the centre: one peak with all sites
    best = flipped.motifs[0].best
    assert best.location(length) == pytest.approx(-60, abs=3)
    assert best.sites == pytest.approx(n, abs=3)
    assert best.log_adj_pvalue < local.motifs[0].best.log_adj_pvalue


def test_norc_ignores_reverse_strand_sites():
    rng = np.random.default_rng(11)
    n, length = 200, 300
    seqs = _planted_sequences(rng, n, length, PLANTED, [0] * n, [-1] * n)
    motif = [_sharp_motif(PLANTED, "planted")]
    both = cm.run_centrimo(seqs, motif)
    assert both.by_motif(0).best.sites == n
    assert np.all(both.best_sites.strand[:, 0] == -1)
    single = cm.run_centrimo(seqs, motif, norc=True)
    # only chance partial matches of the + strand motif remain near the centre
    weak = single.by_motif(0)
    assert weak is None or weak.best.log_adj_pvalue > both.by_motif(0).best.log_adj_pvalue / 5
    assert np.all(single.best_sites.strand[single.best_sites.n_best[:, 0] > 0, 0] == 1)


def test_ties_share_the_count():
    # GATC is its own reverse complement: each copy is a best site on both strands, so a
    # sequence with two copies has 4 tied best sites worth 1/4 each.
    motif = Motif(
        "gatc",
        np.array(
            [
                [0.01, 0.01, 0.97, 0.01],
                [0.97, 0.01, 0.01, 0.01],
                [0.01, 0.01, 0.01, 0.97],
                [0.01, 0.97, 0.01, 0.01],
            ]
        ),
        nsites=10,
    )
    seqs = ["TTTTGATCTTTTTTTTGATCTTTT", "TTTTTTTTTTGATCTTTTTTTTTT"]
    result = cm.run_centrimo(seqs, [motif], motif_pseudo=0, score_threshold=1, ethresh=1e300)
    best = result.best_sites
    assert best.n_best[:, 0].tolist() == [4, 2]
    assert best.tie_start.tolist() == [4, 4, 16, 16, 10, 10]
    assert best.tie_strand.tolist() == [1, -1, 1, -1, 1, -1]
    counts = result.motifs[0].site_counts
    L, w = 24, 4
    pos = lambda start: 2 * start + w - 1  # noqa: E731
    assert counts[pos(4)] == 0.5 and counts[pos(16)] == 0.5  # 2 strands x 1/4
    assert counts[pos(10)] == 1.0  # 2 strands x 1/2
    assert counts.sum() == 2 and result.motifs[0].total_sites == 2
    lines = cm.format_site_counts(result).splitlines()
    assert lines[0] == "DB 0 MOTIF\tgatc"
    assert f"{(pos(4) - L + 1) / 2: 6.1f}\t0.5" in lines
    members = result.sequences_in_window(0, cm.Window(L - 1, 2 * L - 1, L, 0, 0, 0))
    assert members.plus.tolist() == [0.5, 0.5] and members.minus.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("method", ["compiled", "matmul"])
def test_scan_matches_brute_force(method):
    if method == "compiled":
        pytest.importorskip("numba")
    rng = np.random.default_rng(5)
    letters = np.array(list("ACGTNacgtn"))
    seqs = [
        "".join(
            rng.choice(
                letters,
                p=[0.22, 0.2, 0.2, 0.22, 0.02, 0.04, 0.03, 0.03, 0.03, 0.01],
                size=int(rng.integers(3, 80)),
            )
        )
        for _ in range(60)
    ]
    codes, lengths = encode_sequences(seqs)
    # small integer ranges make ties common; widths 1..9 and one longer than most sequences
    matrices = [rng.integers(0, 5, size=(w, 4)) for w in (1, 3, 4, 4, 7, 9, 70)]
    matrices.append(np.array([[0, 3, 3, 0]] * 2))  # a palindromic matrix (CG/GC)
    fast = scan_best_sites(codes, lengths, matrices, batch_size=7, method=method)
    slow = brute_force_best_sites(codes, lengths, matrices)
    for name in (
        "score",
        "n_best",
        "start",
        "strand",
        "tie_seq",
        "tie_motif",
        "tie_start",
        "tie_strand",
    ):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    assert (fast.n_best > 1).any() and (fast.n_best == 0).any()
    single = scan_best_sites(codes, lengths, matrices, both_strands=False, method=method)
    slow1 = brute_force_best_sites(codes, lengths, matrices, both_strands=False)
    for name in ("score", "n_best", "start", "strand", "tie_start", "tie_strand"):
        assert np.array_equal(getattr(single, name), getattr(slow1, name)), name


def test_compiled_and_matmul_scans_agree_at_the_papers_widths():
    pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 5, size=(30, 400)).astype(np.uint8)
    lengths = rng.integers(5, 401, size=30)
    matrices = [rng.integers(0, 1001, size=(w, 4)) for w in (10, 20, 10, 20, 10)]
    matrices.append(np.full((10, 4), 7))  # every site ties
    compiled = scan_best_sites(codes, lengths, matrices, method="compiled")
    matmul = scan_best_sites(codes, lengths, matrices, method="matmul")
    for name in ("score", "n_best", "start", "strand", "tie_seq", "tie_motif", "tie_start"):
        assert np.array_equal(getattr(compiled, name), getattr(matmul, name)), name
    assert (compiled.n_best[:, -1] > 50).any() and len(compiled.tie_start) > 500


def test_scan_is_exact_at_full_scale_scores():
    # cells up to 1000 and width 30 give sums up to 30,000: still exact in float32
    rng = np.random.default_rng(9)
    codes = rng.integers(0, 4, size=(6, 300)).astype(np.uint8)
    codes[0, 10] = INVALID
    matrices = [rng.integers(900, 1001, size=(30, 4)), rng.integers(0, 1001, size=(12, 4))]
    fast = scan_best_sites(codes, np.full(6, 300), matrices)
    slow = brute_force_best_sites(codes, np.full(6, 300), matrices)
    assert np.array_equal(fast.score, slow.score)
    assert np.array_equal(fast.start, slow.start) and np.array_equal(fast.n_best, slow.n_best)
    assert fast.score.max() > 27_000


@pytest.mark.gpu
def test_scan_on_gpu_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 5, size=(40, 500)).astype(np.uint8)
    matrices = [rng.integers(0, 1001, size=(w, 4)) for w in (10, 20, 10, 20)]
    cpu = scan_best_sites(codes, np.full(40, 500), matrices)
    gpu = scan_best_sites(codes, np.full(40, 500), matrices, device="cuda")
    for name in ("score", "n_best", "start", "strand", "tie_start"):
        assert np.array_equal(getattr(cpu, name), getattr(gpu, name)), name


def test_sequences_of_other_lengths_are_skipped():
    rng = np.random.default_rng(1)
    seqs = _planted_sequences(rng, 50, 200, PLANTED, [0] * 50)
    seqs.insert(3, seqs[3][:150])
    result = cm.run_centrimo(seqs, [_sharp_motif(PLANTED, "p")])
    assert result.skipped == [3]
    assert result.sequence_index.tolist() == [i for i in range(51) if i != 3]
    assert result.motifs[0].total_sites == 50


# --------------------------------------------------------------------------------------
# Pieces of MEME's arithmetic
# --------------------------------------------------------------------------------------


def test_pssm_scaling_and_consensus(klf1):
    _, _, motifs = klf1
    klf4 = motifs[0]
    assert cm.consensus(cm.prepare_motif_probs(klf4.probs, klf4.nsites, np.full(4, 0.25), 1)) == (
        "DGGGYGKGGC"
    )
    pssm = cm.build_pssm(
        cm.prepare_motif_probs(klf4.probs, klf4.nsites, np.full(4, 0.25), 1), np.full(4, 0.25)
    )
    assert pssm.matrix.min() >= 0 and pssm.matrix.max() <= cm.PSSM_RANGE
    assert np.array_equal(pssm.rc_matrix, pssm.matrix[::-1, ::-1])  # symmetric background
    # bits of the best site are close to the sum of the column maxima of the log-odds
    lo = np.log2(cm.prepare_motif_probs(klf4.probs, klf4.nsites, np.full(4, 0.25), 1) / 0.25)
    assert pssm.max_bits == pytest.approx(lo.max(axis=1).sum(), abs=0.05)


def test_window_enumeration_and_mult_tests():
    # 500 bp: width 10 -> 491 positions, odd windows 1..489 in steps of 2 bins: 245 tests
    assert cm.window_range(491)[:2] == (1, 489)
    assert cm.central_windows(500, 10, 1, 489).size == 245
    # width 11 -> 490 positions: even windows 2..488: 244 tests
    assert cm.window_range(490)[:2] == (2, 488)
    assert cm.central_windows(500, 11, 2, 488).size == 244
    assert cm.window_range(491, 20, 100)[:2] == (21, 99)
    centers, spreads = cm.local_windows(20, 4, 1, 15)
    assert centers.size == sum(17 - k + 1 for k in range(1, 16))


def test_local_window_statistics_equal_each_windows_own():
    # computed once per run of neighbouring windows with the same sites: the same numbers
    from deepcons.centrimo.analysis import _window_stats_all

    rng = np.random.default_rng(2)
    length, width = 120, 6
    counts = np.zeros((3, 2 * length - 1))
    for m, n_sites in enumerate((0, 5, 40)):
        np.add.at(counts[m], rng.integers(width - 1, 2 * length - width, n_sites), 0.5)
    n_bins = length - width + 1
    centers, spreads = cm.local_windows(length, width, 1, n_bins)
    log_n = math.log(spreads.size)
    sites, log_p, log_adj = _window_stats_all(
        counts, counts.sum(axis=1), centers, spreads, n_bins, log_n
    )
    for m in range(3):
        for i in rng.choice(spreads.size, 300, replace=False):
            half = (spreads[i] - 1) // 2
            expected = counts[m, centers[i] - half : centers[i] + half + 1].sum()
            tail = cm.log_binomial_tail(expected, counts[m].sum(), half + 1, n_bins)
            assert sites[m, i] == expected
            assert log_p[m, i] == pytest.approx(tail, rel=1e-9, abs=1e-12)
            assert log_adj[m, i] == pytest.approx(cm.logev(log_n, tail), rel=1e-9, abs=1e-12)


def test_statistics_match_scipy():
    for a, b, x in [(5.0, 40.0, 0.1), (300.0, 500.0, 0.3), (12.5, 80.5, 0.05), (60.0, 10.0, 0.5)]:
        assert cm.log_betai(a, b, x) == pytest.approx(math.log(special.betainc(a, b, x)), rel=1e-5)
    vec = cm.log_betai_array([5.0, 300.0], [40.0, 500.0], [0.1, 0.3])
    assert vec == pytest.approx([cm.log_betai(5.0, 40.0, 0.1), cm.log_betai(300.0, 500.0, 0.3)])
    # binomial tail P(X >= 30), X ~ B(100, 0.2)
    assert math.exp(cm.log_binomial_tail(30, 100, 20, 100)) == pytest.approx(
        stats.binom.sf(29, 100, 0.2), rel=1e-5
    )
    # Fisher: P(>= 30 of 50 positives | 40 draws from 50 + 60)
    assert math.exp(cm.log_fisher_pvalue(30, 50, 10, 60)) == pytest.approx(
        stats.hypergeom.sf(29, 110, 50, 40), rel=1e-9
    )
    assert cm.log_fisher_pvalue(5, 50, 20, 60) == 0.0  # fewer positives: skipped, p = 1
    # LOGEV: 1 - (1 - p)^n, with MEME's approximations
    assert cm.logev(math.log(245), math.log(1e-12)) == math.log(245) + math.log(1e-12)
    assert cm.logev(math.log(245), math.log(0.5)) == 0.0
    assert math.exp(cm.logev(math.log(10), math.log(0.05))) == pytest.approx(1 - 0.95**10)
    assert cm.logev_array(math.log(245), [math.log(1e-3)])[0] == pytest.approx(
        cm.logev(math.log(245), math.log(1e-3))
    )


def test_log_value_format():
    assert cm.format_log_value(math.log(3.5e-64)) == "3.5e-64"
    assert cm.format_log_value(0.0) == "1.0e0"
    assert cm.format_log_value(math.log(5.1)) == "5.1e0"
    assert cm.format_log_value(math.log(9.97e-3)) == "1.0e-2"  # mantissa rounds up to 10
    assert cm.format_log_value(-1e-20) == "1.0e0"
    assert cm.format_log_value(-2000.0) == "2.6e-869"  # beyond double range


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_gzipped_fasta_reads_as_the_plain_file(tmp_path, meme_reference):
    import gzip

    plain = meme_reference / "inputs" / "Klf1-200.fa"
    packed = tmp_path / "Klf1-200.fa.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert cm.read_fasta(packed) == cm.read_fasta(plain)


def test_bad_fasta_raises_one_clear_input_error(tmp_path, meme_reference, capsys):
    bad = tmp_path / "bad.fa"
    bad.write_text("ACGTACGT\n>s1\nACGT\n")
    with pytest.raises(InputError, match=r"bad\.fa, line 1: not a FASTA file"):
        cm.read_fasta(bad)
    empty = tmp_path / "empty.fa"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no sequences"):
        cm.read_fasta(empty)
    nameless = tmp_path / "nameless.fa"
    nameless.write_text(">\nACGT\n")
    with pytest.raises(InputError, match="line 1: FASTA header without a sequence name"):
        cm.read_fasta(nameless)
    motifs = str(meme_reference / "inputs" / "sample.meme")
    assert centrimo_main(["--text", str(bad), motifs]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.fa, line 1" in err[0]


def test_bad_motif_file_raises_one_clear_input_error(tmp_path, meme_reference, capsys):
    bad = tmp_path / "bad.meme"
    bad.write_text(
        "MEME version 4\n\nMOTIF m1\nletter-probability matrix: alength= 4 w= 2\n"
        "0.25 0.25 0.25 0.25\n0.5 0.5\n"
    )
    with pytest.raises(InputError, match=r"bad\.meme, line 6: motif m1: expected 4 numbers"):
        read_meme(bad)
    seqs = str(meme_reference / "inputs" / "Klf1-200.fa")
    assert centrimo_main(["--text", seqs, str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.meme, line 6" in err[0]


def test_cli_background_and_region_options(meme_reference, klf1, capsys, tmp_path):
    inputs = meme_reference / "inputs"
    seqs, _, motifs = klf1
    files = [str(inputs / "Klf1.fa"), str(inputs / "Jaspar-subset.meme")]
    assert centrimo_main(["--text", "--verbosity", "1", "--bfile", "--uniform--", *files]) == 0
    uniform_out = _data_lines(capsys.readouterr().out)
    uniform = cm.run_centrimo(seqs, motifs, background="uniform")
    assert uniform_out == _data_lines(cm.format_centrimo_tsv(uniform))
    # --uniform-- is a background file of four 0.25s (read by another path), and the
    # frequencies matter: a skewed file gives another table
    for name, frequencies, same in (
        ("flat", [0.25] * 4, True),
        ("skewed", [0.3, 0.2, 0.2, 0.3], False),
    ):
        bfile = tmp_path / f"{name}.bg"
        bfile.write_text(
            "# order-0\n" + "".join(f"{b} {f}\n" for b, f in zip("ACGT", frequencies, strict=True))
        )
        assert centrimo_main(["--text", "--verbosity", "1", "--bfile", str(bfile), *files]) == 0
        assert (_data_lines(capsys.readouterr().out) == uniform_out) is same, name
    default = cm.run_centrimo(seqs, motifs)
    assert _data_lines(cm.format_centrimo_tsv(uniform)) != _data_lines(
        cm.format_centrimo_tsv(default)
    )
    # --minreg 20 --maxreg 150 with 491 positions: odd windows 21..149 bins, 65 tests
    assert centrimo_main(["--text", "--minreg", "20", "--maxreg", "150", *files]) == 0
    rows = [line.split("\t") for line in _data_lines(capsys.readouterr().out)[1:]]
    klf4 = next(r for r in rows if r[1] == "MA0039.2")
    assert int(klf4[14]) == 65 and 21 <= float(klf4[8]) <= 149


def test_the_workflow_reads_meme_centrimo_and_tomtom_output(meme_reference):
    # the readers behind the positional and motif summaries, on MEME 5.5.6's own files
    from deepcons.motif_matches import best_matches, read_tomtom
    from deepcons.positional import read_centrimo_tsv

    centrimo = read_centrimo_tsv(meme_reference / "centrimo" / "neg_centrimo.tsv")
    first = centrimo.iloc[0]
    assert (first["motif_id"], first["E-value"], first["bin_width"]) == ("MA0039.2", 3.5e-64, 111)
    assert (first["sites_in_bin"], first["total_sites"]) == (369, 697)
    assert centrimo["E-value"].is_monotonic_increasing
    tomtom = read_tomtom(meme_reference / "tomtom" / "tomtom.out.pearson.tsv")
    assert list(tomtom.columns[:3]) == ["Query_ID", "Target_ID", "Optimal_offset"]
    row = tomtom.iloc[1]
    assert (row["Target_ID"], row["Optimal_offset"], row["E-value"]) == ("V_E47_01", 1, 0.00236253)
    best = best_matches(tomtom, {"V_E47_01": "E47"}, evalue=0.01)
    myod = best[best["kernel"] == "V_MYOD_01"].iloc[0]
    assert (myod["target"], myod["evalue"]) == ("V_MYOD_01", 1.52751e-17)
    assert myod["n_matches"] == 2  # itself and V_E47_01 at E < 0.01
    # below the cutoff, not at it (MEME's E-value column is rounded to 6 digits)
    at_cutoff = best_matches(tomtom, {}, evalue=0.00236253)
    myod = at_cutoff[at_cutoff["kernel"] == "V_MYOD_01"].iloc[0]
    assert myod["n_matches"] == 1
