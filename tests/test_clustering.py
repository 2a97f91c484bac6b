"""Motif clustering as RSAT matrix-clustering does (deepcons.clustering, clustering_plots)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy

from deepcons import cli
from deepcons.clustering import (
    Similarity,
    align_clusters,
    cluster_motifs,
    compare_matrices,
    compare_pair,
    format_newick,
    parse_newick_leaves,
    read_cluster_table,
    read_rsat_clusters,
    read_transfac,
    rsat_matrix_clustering_command,
    run_rsat_matrix_clustering,
    write_clusters,
)
from deepcons.clustering_cli import main
from deepcons.errors import InputError
from deepcons.meme_io import Motif, information_content, read_meme, reverse_complement, write_meme

REPO = Path(__file__).resolve().parents[1]
FAMILIES = {  # JASPAR 2024 matrices of unrelated TF families
    "CTCF": "MA0139.1",
    "JUND": "MA0491.1",
    "RFX3": "MA0798.1",
    "MEF2A": "MA0052.1",
    "HNF4A": "MA0114.1",
    "SP1": "MA0079.3",
}


# ----------------------------------------------------------------------------------------
# Fixtures and helpers
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jaspar() -> dict[str, Motif]:
    from pyjaspar import jaspardb

    db = jaspardb(release="JASPAR2024")
    motifs = {}
    for name, matrix_id in FAMILIES.items():
        record = db.fetch_motif_by_id(matrix_id)
        counts = np.array([record.counts[b] for b in "ACGT"], dtype=float).T
        motifs[name] = Motif(
            name, counts / counts.sum(axis=1, keepdims=True), nsites=counts[0].sum()
        )
    return motifs


def flank(rng, k: int) -> np.ndarray:
    """k weakly informative columns, like the flanks of a kernel's PPM."""
    return rng.dirichlet(np.full(4, 10.0), size=k)


def noisy(rng, probs: np.ndarray, concentration: float = 100.0) -> np.ndarray:
    """Each column redrawn from a Dirichlet centred on it."""
    return np.array([rng.dirichlet(col * concentration + 0.5) for col in probs])


def family_copies(rng, motif: Motif) -> list[Motif]:
    """The motif, a shifted copy, its reverse complement, a noisy copy and a shifted noisy
    reverse complement."""
    p = motif.probs
    copies = {
        "orig": p,
        "shift": np.vstack([flank(rng, 2), p, flank(rng, 1)]),
        "rc": reverse_complement(p),
        "noisy": noisy(rng, p),
        "rcshiftnoisy": reverse_complement(
            noisy(rng, np.vstack([flank(rng, 1), p, flank(rng, 2)]))
        ),
    }
    return [Motif(f"{motif.id}_{k}", q, nsites=motif.nsites) for k, q in copies.items()]


def random_motifs(rng, widths) -> list[Motif]:
    return [
        Motif(f"r{i}", rng.dirichlet(np.full(4, 0.4), size=w), nsites=float(rng.integers(10, 100)))
        for i, w in enumerate(widths)
    ]


def direct_alignment(p1, p2, offset, strand):
    """cor and Ncor of one alignment, by np.corrcoef on the flattened aligned submatrices."""
    q2 = p2 if strand == 1 else reverse_complement(p2)
    w1, w2 = len(p1), len(p2)
    s1, s2 = max(0, offset), max(0, -offset)
    w = min(w1, offset + w2) - s1
    cor = np.corrcoef(p1[s1 : s1 + w].ravel(), q2[s2 : s2 + w].ravel())[0, 1]
    return cor, cor * w / (w1 + w2 - w), w


def cluster_of(result, ident: str) -> str:
    return result.cluster_names[result.assignments[result.ids.index(ident)]]


# ----------------------------------------------------------------------------------------
# Pairwise comparison
# ----------------------------------------------------------------------------------------


def test_sub_motif_aligns_at_its_offset_with_direct_values():
    rng = np.random.default_rng(0)
    p1 = rng.dirichlet(np.full(4, 0.5), size=12)
    p2 = p1[3:11].copy()  # columns 3..10 of p1
    sim = compare_matrices([Motif("a", p1), Motif("b", p2)])
    assert sim.offset[0, 1] == 3 and sim.strand[0, 1] == 1 and sim.w[0, 1] == 8
    assert sim.cor[0, 1] == pytest.approx(1.0)
    assert sim.Ncor[0, 1] == pytest.approx(8 / 12)
    # Seen from b: a starts 3 columns before it.
    assert sim.offset[1, 0] == -3 and sim.strand[1, 0] == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cor_and_ncor_agree_with_corrcoef_over_all_offsets_and_strands(seed):
    rng = np.random.default_rng(seed)
    p1 = rng.dirichlet(np.full(4, 0.5), size=rng.integers(5, 15))
    p2 = rng.dirichlet(np.full(4, 0.5), size=rng.integers(5, 25))
    min_width = 5
    candidates = []
    for strand in (1, -1):
        for offset in range(min_width - len(p2), len(p1) - min_width + 1):
            cor, ncor, w = direct_alignment(p1, p2, offset, strand)
            candidates.append((ncor, w, cor, offset, strand))
    best_ncor = max(c[0] for c in candidates)
    sim = compare_matrices([p1, p2], min_width=min_width)
    assert sim.Ncor[0, 1] == pytest.approx(best_ncor, abs=1e-12)
    cor, ncor, w = direct_alignment(p1, p2, int(sim.offset[0, 1]), int(sim.strand[0, 1]))
    assert sim.cor[0, 1] == pytest.approx(cor, abs=1e-12)
    assert sim.Ncor[0, 1] == pytest.approx(ncor, abs=1e-12)
    assert sim.w[0, 1] == w >= min_width


def test_shifted_reverse_complement_copy_is_found_on_the_reverse_strand(jaspar):
    rng = np.random.default_rng(4)
    ctcf = jaspar["CTCF"].probs
    extended = np.vstack([flank(rng, 2), ctcf, flank(rng, 1)])  # ctcf starts at column 2
    copy = reverse_complement(extended)
    sim = compare_matrices([Motif("ctcf", ctcf), Motif("copy", copy)])
    # The copy's reverse complement (= extended) starts 2 columns before CTCF.
    assert (sim.strand[0, 1], sim.offset[0, 1]) == (-1, -2)
    assert sim.w[0, 1] == 19
    # Seen from the copy, CTCF's reverse complement starts at its column 1.
    assert (sim.strand[1, 0], sim.offset[1, 0]) == (-1, 1)
    assert sim.Ncor[0, 1] > 0.8


def test_vectorised_comparison_equals_the_pairwise_loop_and_is_symmetric():
    rng = np.random.default_rng(5)
    motifs = random_motifs(rng, [3, 5, 6, 10, 10, 12, 20, 20, 30, 4, 7])
    sim = compare_matrices(motifs, min_width=5)
    for i, a in enumerate(motifs):
        for j, b in enumerate(motifs):
            ref = compare_pair(a.probs, b.probs, min_width=5)
            for key in ("cor", "Ncor"):
                assert getattr(sim, key)[i, j] == pytest.approx(ref[key], abs=1e-10), (i, j, key)
            for key in ("offset", "strand", "w"):
                assert getattr(sim, key)[i, j] == ref[key], (i, j, key)
    np.testing.assert_array_equal(sim.Ncor, sim.Ncor.T)
    np.testing.assert_array_equal(sim.cor, sim.cor.T)
    # Narrower than min_width: the overlap is the narrow motif's own width.
    assert sim.w[0, 3] == 3


def test_uniform_matrix_has_no_correlation():
    rng = np.random.default_rng(6)
    sim = compare_matrices([np.full((8, 4), 0.25), rng.dirichlet(np.ones(4), size=8)])
    assert sim.cor[0, 1] == 0 and sim.Ncor[0, 1] == 0


def test_counts_are_turned_into_frequencies():
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(4), size=9)
    q = rng.dirichlet(np.ones(4), size=9)
    a = compare_matrices([p, q])
    b = compare_matrices([p * 37, q * 5])
    np.testing.assert_allclose(a.Ncor, b.Ncor)


def test_bad_input_is_reported():
    with pytest.raises(InputError, match="unique"):
        compare_matrices([Motif("x", np.full((6, 4), 0.25)), Motif("x", np.full((6, 4), 0.25))])
    with pytest.raises(InputError, match="width, 4"):
        compare_matrices([np.ones((6, 3))])
    with pytest.raises(InputError, match="no motifs"):
        compare_matrices([])


# ----------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------


def test_copies_fall_into_their_families(jaspar):
    rng = np.random.default_rng(8)
    motifs = [copy for motif in jaspar.values() for copy in family_copies(rng, motif)]
    result = cluster_motifs(motifs)
    families = {m.id: m.id.split("_")[0] for m in motifs}
    by_cluster: dict[str, set[str]] = {}
    for ident in result.ids:
        by_cluster.setdefault(cluster_of(result, ident), set()).add(families[ident])
    assert all(len(f) == 1 for f in by_cluster.values()), by_cluster  # no mixed family
    for family in FAMILIES:  # and each family whole
        assert (
            len(
                {
                    cluster_of(result, f"{family}_{k}")
                    for k in ("orig", "shift", "rc", "noisy", "rcshiftnoisy")
                }
            )
            == 1
        )
    assert result.n_clusters == len(FAMILIES)
    assert cluster_of(result, "CTCF_orig") != cluster_of(result, "JUND_orig")


def test_clusters_found_elsewhere_are_aligned_as_the_built_in_aligns_its_own(jaspar):
    # (the RSAT path: the membership comes from RSAT, the alignment from align_clusters)
    rng = np.random.default_rng(8)
    motifs = [copy for motif in jaspar.values() for copy in family_copies(rng, motif)]
    result = cluster_motifs(motifs)
    rows = align_clusters(motifs, result.clusters)
    assert sorted(rows) == sorted(result.alignment)
    strands = {kernel: strand for _, kernel, strand, _, _ in rows}
    assert strands["CTCF_rc"] != strands["CTCF_orig"]
    # where each copy must sit, from how family_copies made it (the core's first column)
    offsets = {kernel: offset for _, kernel, _, offset, _ in rows}
    for family in FAMILIES:
        orig, strand = offsets[f"{family}_orig"], strands[f"{family}_orig"]
        assert (offsets[f"{family}_noisy"], strands[f"{family}_noisy"]) == (orig, strand)
        assert (offsets[f"{family}_shift"], strands[f"{family}_shift"]) == (orig - 2, strand)
        assert offsets[f"{family}_rc"] == orig  # the same columns, read on the other strand
        # reverse complement of [1 flank, core, 2 flank]: read back on the other strand, the
        # core starts 1 column in; a palindromic core may stay on this strand, 2 columns in
        rc_shift = offsets[f"{family}_rcshiftnoisy"]
        assert rc_shift == (orig - 1 if strands[f"{family}_rcshiftnoisy"] != strand else orig - 2)


def test_identical_motifs_always_share_a_cluster():
    rng = np.random.default_rng(9)
    motifs = random_motifs(rng, rng.choice([8, 10, 14, 20], size=30))
    twins = [Motif(m.id + "_twin", m.probs.copy(), nsites=m.nsites) for m in motifs[::3]]
    for thresholds in (None, {"cor": 0.99, "Ncor": 0.99}):
        result = cluster_motifs(motifs + twins, thresholds=thresholds)
        for twin in twins:
            assert cluster_of(result, twin.id) == cluster_of(result, twin.id[: -len("_twin")])


def test_thresholds_of_one_give_singletons_and_of_minus_one_one_cluster():
    rng = np.random.default_rng(10)
    motifs = random_motifs(rng, rng.choice([10, 20], size=25))
    strict = cluster_motifs(motifs, thresholds={"cor": 1.0, "Ncor": 1.0})
    assert strict.n_clusters == 25 and set(strict.sizes()) == {1}
    loose = cluster_motifs(motifs, thresholds={"cor": -1.0, "Ncor": -1.0})
    assert loose.n_clusters == 1 and loose.clusters["cluster_1"] == [m.id for m in motifs]
    assert cluster_motifs(motifs, thresholds={}).n_clusters == 1


def test_node_test_uses_the_mean_over_pairs_between_children():
    """With average linkage on 1 - Ncor, a node's height is 1 - (mean Ncor between children)."""
    rng = np.random.default_rng(11)
    motifs = random_motifs(rng, rng.choice([10, 20], size=40))
    result = cluster_motifs(motifs)
    np.testing.assert_allclose(result.node_stats["Ncor"], 1 - result.linkage[:, 2], atol=1e-9)
    # The dendrogram order puts the left child first, as scipy's leaves_list does.
    np.testing.assert_array_equal(result.leaf_order, hierarchy.leaves_list(result.linkage))


def crafted_similarity(ids, cor, ncor) -> Similarity:
    n = len(ids)
    return Similarity(
        ids=list(ids),
        widths=np.full(n, 6),
        cor=np.asarray(cor, dtype=float),
        Ncor=np.asarray(ncor, dtype=float),
        offset=np.zeros((n, n), dtype=np.int32),
        strand=np.ones((n, n), dtype=np.int8),
        w=np.full((n, n), 6, dtype=np.int32),
    )


def test_a_node_passing_the_thresholds_is_rejected_when_a_child_is():
    """A and B are close in Ncor but not in cor: their node fails, so its parent fails too,
    although the pairs it joins pass; clusters are the maximal accepted subtrees."""
    rng = np.random.default_rng(12)
    ids = ["A", "B", "C", "D"]
    motifs = [Motif(i, rng.dirichlet(np.ones(4), size=6)) for i in ids]
    ncor = [[1, 0.9, 0.8, 0.8], [0.9, 1, 0.8, 0.8], [0.8, 0.8, 1, 0.9], [0.8, 0.8, 0.9, 1]]
    cor = [[1, 0.5, 0.95, 0.95], [0.5, 1, 0.95, 0.95], [0.95, 0.95, 1, 0.9], [0.95, 0.95, 0.9, 1]]
    result = cluster_motifs(motifs, crafted_similarity(ids, cor, ncor))
    assert result.clusters == {"cluster_1": ["C", "D"], "cluster_2": ["A"], "cluster_3": ["B"]}
    root = len(ids) - 2
    assert result.node_stats["cor"][root] == pytest.approx(0.95)  # passes...
    assert not result.node_stats["accepted"][root]  # ...but its child AB does not


def test_complete_linkage_tests_the_farthest_pair():
    rng = np.random.default_rng(13)
    ids = ["A", "B", "C"]
    motifs = [Motif(i, rng.dirichlet(np.ones(4), size=6)) for i in ids]
    ncor = [[1, 0.9, 0.7], [0.9, 1, 0.5], [0.7, 0.5, 1]]
    cor = [[1, 0.9, 0.9], [0.9, 1, 0.9], [0.9, 0.9, 1]]
    sim = crafted_similarity(ids, cor, ncor)
    # Mean Ncor between {A, B} and C is 0.6 >= 0.55 but the farthest pair has 0.5.
    assert cluster_motifs(motifs, sim, linkage="average").n_clusters == 1
    complete = cluster_motifs(motifs, sim, linkage="complete")
    assert complete.clusters == {"cluster_1": ["A", "B"], "cluster_2": ["C"]}


def test_clusters_are_named_by_size_then_first_member():
    rng = np.random.default_rng(14)
    base = random_motifs(rng, [12, 12, 12])
    motifs = [
        Motif("s0", base[2].probs),
        Motif("a0", base[0].probs),
        Motif("b0", base[1].probs),
        Motif("a1", base[0].probs),
        Motif("b1", base[1].probs),
        Motif("a2", base[0].probs),
    ]
    result = cluster_motifs(motifs)
    assert result.clusters == {
        "cluster_1": ["a0", "a1", "a2"],
        "cluster_2": ["b0", "b1"],
        "cluster_3": ["s0"],
    }
    assert list(result.sizes()) == [3, 2, 1]


def test_clustering_is_deterministic():
    rng = np.random.default_rng(15)
    motifs = random_motifs(rng, rng.choice([10, 20], size=50))
    a, b = cluster_motifs(motifs), cluster_motifs(motifs)
    assert a.clusters == b.clusters and a.newick == b.newick
    np.testing.assert_array_equal(a.roots[0].probs, b.roots[0].probs)


def test_one_motif_is_one_cluster():
    motif = Motif("only", np.random.default_rng(16).dirichlet(np.ones(4), size=8), nsites=12)
    result = cluster_motifs([motif])
    assert result.clusters == {"cluster_1": ["only"]}
    assert result.newick == "only;"
    assert result.roots[0].nsites == 12


# ----------------------------------------------------------------------------------------
# Root motifs
# ----------------------------------------------------------------------------------------


def test_root_of_identical_motifs_is_the_motif(jaspar):
    mef2a = jaspar["MEF2A"]  # every column above 1 bit: nothing to trim
    copies = [Motif(f"m{i}", mef2a.probs.copy(), nsites=10.0 * (i + 1)) for i in range(4)]
    result = cluster_motifs(copies)
    assert result.n_clusters == 1
    np.testing.assert_allclose(result.roots[0].probs, mef2a.probs, atol=1e-12)
    assert result.roots[0].id == "cluster_1" and result.roots[0].nsites == 100
    ctcf = jaspar["CTCF"]  # low-information ends: kept whole only without trimming
    result = cluster_motifs([Motif(f"c{i}", ctcf.probs.copy()) for i in range(3)], trim_ic=0)
    np.testing.assert_allclose(result.roots[0].probs, ctcf.probs, atol=1e-12)


def test_root_trims_low_information_flanks():
    rng = np.random.default_rng(17)
    core = np.eye(4)[rng.integers(0, 4, size=8)] * 0.9 + 0.025
    padded = np.vstack([np.full((2, 4), 0.25), core, np.full((3, 4), 0.25)])
    result = cluster_motifs([Motif("x", padded), Motif("y", padded.copy())], trim_ic=0.3)
    np.testing.assert_allclose(result.roots[0].probs, core, atol=1e-12)
    assert information_content(np.full((1, 4), 0.25))[0] == pytest.approx(0.0)
    assert [row[3] for row in result.alignment] == [-2, -2]  # members start 2 columns before


def test_root_of_shifted_and_reverse_complement_copies_recovers_the_core(jaspar):
    rng = np.random.default_rng(18)
    ctcf = jaspar["CTCF"].probs  # not palindromic: one strand is right
    members = [
        Motif("plain", ctcf),
        Motif("rc", reverse_complement(ctcf)),
        Motif("rc_shift", reverse_complement(np.vstack([flank(rng, 2), ctcf, flank(rng, 3)]))),
        Motif("shift", np.vstack([flank(rng, 1), ctcf])),
    ]
    result = cluster_motifs(members, trim_ic=0, weighting="equal")
    assert result.n_clusters == 1
    rows = {row[1]: row for row in result.alignment}
    root = result.roots[0].probs
    reference = rows["plain"]
    oriented = ctcf if reference[2] == "+" else reverse_complement(ctcf)
    np.testing.assert_allclose(root[reference[3] : reference[3] + 19], oriented, atol=1e-12)
    # Each member, oriented and placed as the alignment says, carries the core right there.
    core = reference[3]
    for member in members:
        _, _, strand, offset, _ = rows[member.id]
        placed = member.probs if strand == "+" else reverse_complement(member.probs)
        np.testing.assert_allclose(placed[core - offset : core - offset + 19], oriented, atol=1e-12)
    # The copies carrying it reversed sit on the other strand.
    assert rows["rc"][2] != reference[2] and rows["rc_shift"][2] != reference[2]
    assert rows["shift"][2] == reference[2]


def test_nsites_weighting():
    rng = np.random.default_rng(19)
    a = rng.dirichlet(np.full(4, 0.3), size=10)
    b = np.clip(a + rng.normal(0, 0.02, size=a.shape), 1e-3, None)
    b /= b.sum(axis=1, keepdims=True)
    motifs = [Motif("a", a, nsites=30), Motif("b", b, nsites=10)]
    result = cluster_motifs(motifs, trim_ic=0)
    assert result.n_clusters == 1
    np.testing.assert_allclose(result.roots[0].probs, (3 * a + b) / 4, atol=1e-12)
    equal = cluster_motifs(motifs, trim_ic=0, weighting="equal")
    np.testing.assert_allclose(equal.roots[0].probs, (a + b) / 2, atol=1e-12)


# ----------------------------------------------------------------------------------------
# Newick and files
# ----------------------------------------------------------------------------------------


def test_newick_parses_back_to_the_same_leaves():
    from io import StringIO

    from Bio import Phylo

    rng = np.random.default_rng(20)
    motifs = random_motifs(rng, rng.choice([10, 20], size=30))
    motifs[3].id = "odd (id): 'x', y"  # needs quoting
    result = cluster_motifs(motifs)
    expected = [result.ids[i] for i in result.leaf_order]
    assert parse_newick_leaves(result.newick) == expected
    tree = Phylo.read(StringIO(result.newick), "newick")
    assert sorted(t.name for t in tree.get_terminals()) == sorted(m.id for m in motifs)
    # Ultrametric: every leaf at the root's height.
    depths = [tree.distance(t) for t in tree.get_terminals()]
    assert max(depths) == pytest.approx(min(depths), abs=1e-5)
    assert max(depths) == pytest.approx(result.linkage[-1, 2], abs=1e-5)


def test_deep_trees_need_no_recursion():
    n = 3000  # a caterpillar tree deeper than Python's recursion limit
    z = np.zeros((n - 1, 4))
    z[0] = [0, 1, 1, 2]
    for t in range(1, n - 1):
        z[t] = [t + 1, n + t - 1, t + 1, t + 2]
    labels = [f"l{i}" for i in range(n)]
    assert sorted(parse_newick_leaves(format_newick(z, labels))) == sorted(labels)


def test_write_clusters_round_trip(tmp_path, jaspar):
    rng = np.random.default_rng(21)
    motifs = [c for name in ("JUND", "MEF2A") for c in family_copies(rng, jaspar[name])]
    result = cluster_motifs(motifs)
    paths = [tmp_path / n for n in ("clusters.tsv", "tree.newick", "roots.meme", "alignment.tsv")]
    write_clusters(result, *paths)
    assert paths[0].read_text().splitlines()[0] == "cluster\tkernel"
    assert read_cluster_table(paths[0]) == result.clusters
    roots = read_meme(paths[2]).motifs
    assert [r.id for r in roots] == ["cluster_1", "cluster_2"]
    assert roots[0].nsites == pytest.approx(sum(m.nsites for m in motifs[:5]))
    assert parse_newick_leaves(paths[1].read_text()) == [result.ids[i] for i in result.leaf_order]
    assert len(paths[3].read_text().splitlines()) == len(motifs) + 1


# ----------------------------------------------------------------------------------------
# Command line and figures
# ----------------------------------------------------------------------------------------


def test_the_package_runs_as_a_module(tmp_path):
    # python -m deepcons.clustering is deepcons cluster
    written = tmp_path / "one.meme"
    write_meme(written, [Motif("m1", np.full((6, 4), 0.25), nsites=10)])
    result = subprocess.run(
        [sys.executable, "-m", "deepcons.clustering", "-o", str(tmp_path / "out"), str(written)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert read_cluster_table(tmp_path / "out" / "clusters.tsv") == {"cluster_1": ["m1"]}


def test_command_line_writes_outputs_and_figures(tmp_path, jaspar):
    rng = np.random.default_rng(22)
    motifs = [c for m in jaspar.values() for c in family_copies(rng, m)]
    write_meme(tmp_path / "motifs.meme", motifs)
    out = tmp_path / "out"
    args = [
        "cluster",
        "--min-width",
        "5",
        "--cor",
        "0.75",
        "--ncor",
        "0.55",
        "--plots",
        "-o",
        str(out),
    ]
    assert cli.main([*args, str(tmp_path / "motifs.meme")]) == 0
    clusters = read_cluster_table(out / "clusters.tsv")
    assert len(clusters) == len(FAMILIES)
    assert len(read_meme(out / "cluster_roots.meme").motifs) == len(FAMILIES)
    for name in ("similarity_heatmap", "cluster_root_logos"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
    # 'none' drops a threshold: with Ncor alone at -1 everything is one family.
    assert (
        main(
            [
                "--cor",
                "none",
                "--ncor",
                "-1",
                "-o",
                str(tmp_path / "one"),
                str(tmp_path / "motifs.meme"),
            ]
        )
        == 0
    )
    assert len(read_cluster_table(tmp_path / "one" / "clusters.tsv")) == 1


def test_command_line_reports_bad_input(tmp_path, capsys):
    same = Motif("dup", np.full((6, 4), 0.25))
    write_meme(tmp_path / "dup.meme", [same, same])
    assert main(["-o", str(tmp_path / "out"), str(tmp_path / "dup.meme")]) == 1
    assert "unique" in capsys.readouterr().err


def test_heatmap_of_many_motifs_has_no_tick_labels(tmp_path):
    import matplotlib.pyplot as plt

    from deepcons import clustering_plots

    rng = np.random.default_rng(23)
    motifs = random_motifs(rng, rng.choice([10, 20], size=120))
    sim = compare_matrices(motifs)
    result = cluster_motifs(motifs, sim)
    seen = {}
    original = clustering_plots.save_figure

    def keep(fig, paths, dpi):
        seen["ticks"] = [len(ax.get_xticklabels()) for ax in fig.axes[:2]]
        original(fig, paths, dpi)

    clustering_plots.save_figure = keep
    try:
        clustering_plots.plot_similarity_heatmap(result, sim, tmp_path / "h.png")
    finally:
        clustering_plots.save_figure = original
    assert seen["ticks"] == [0, 0]
    assert (tmp_path / "h.png").stat().st_size > 0
    assert not plt.get_fignums()  # figures are closed


def test_library_does_not_import_torch():
    code = "import sys, deepcons.clustering; print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow" / "scripts")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------------------
# The real RSAT matrix-clustering (not installed here: command and conversion only)
# ----------------------------------------------------------------------------------------
#
# Assumed RSAT output layout (matrix-clustering, RSAT 2017+, from its R step
# R-scripts/matrix-clustering.R and the perl wrapper's set_output_file_names):
# - PREFIX_tables/clusters.tab: one line per cluster, no header, written by R's write.table:
#   "cluster_<k><TAB><id>,<id>,..."; with "-matrix TITLE FILE FORMAT" every id becomes
#   "TITLE_m<k>_<input id>" (k numbering the input motifs from 1).
# - PREFIX_cluster_root_motifs.tf: the root motif of each cluster, TRANSFAC counts, named
#   after its cluster (cluster_<k>).
# - PREFIX_trees/tree.newick (with "-return newick").

RSAT_CLUSTERS_TAB = (
    "cluster_1\tdeepcons_m3_k_2,deepcons_m1_k_0\n"
    "cluster_2\tdeepcons_m2_k_1\n"
    "cluster_3\tdeepcons_m4_k_3,deepcons_m5_k_4,deepcons_m6_k_5\n"
)
RSAT_ROOTS_TF = textwrap.dedent(
    """\
    AC  cluster_1
    XX
    ID  cluster_1
    XX
    P0       A     C     G     T
    01      10     0     0     0     A
    02       0    10     0     0     C
    03       0     0     5     5     K
    XX
    //
    AC  cluster_3
    XX
    ID  cluster_3
    XX
    P0       A     C     G     T
    01       0     0    30     0     G
    02       0     0     0    30     T
    XX
    //
    """
)


def rsat_input(tmp_path) -> Path:
    rng = np.random.default_rng(24)
    path = tmp_path / "kernels.meme"
    write_meme(path, [Motif(f"k_{i}", rng.dirichlet(np.ones(4), size=10)) for i in range(6)])
    return path


def test_rsat_command_carries_the_equivalent_options():
    command = rsat_matrix_clustering_command(
        "in.meme", "out/rsat/deepcons", min_width=5, thresholds={"cor": 0.75, "Ncor": 0.55}
    )
    text = " ".join(command)
    assert command[0] == "matrix-clustering"
    for part in (
        "-v 1",
        "-matrix deepcons in.meme meme",
        "-hclust_method average",
        "-calc sum",
        "-metric_build_tree Ncor",
        "-lth w 5",
        "-lth cor 0.75",
        "-lth Ncor 0.55",
        "-quick",
        "-return newick",
        "-o out/rsat/deepcons",
    ):
        assert part in text, part
    only_ncor = rsat_matrix_clustering_command(
        "in.meme", "p", thresholds={"Ncor": 0.4}, linkage="complete"
    )
    assert "-lth cor" not in " ".join(only_ncor) and "-hclust_method complete" in " ".join(
        only_ncor
    )


def test_rsat_clusters_table_is_converted_to_input_ids(tmp_path):
    table = tmp_path / "clusters.tab"
    table.write_text(RSAT_CLUSTERS_TAB)
    ids = [f"k_{i}" for i in range(6)]
    clusters = read_rsat_clusters(table, ids)
    assert clusters == {
        "cluster_1": ["k_3", "k_4", "k_5"],
        "cluster_2": ["k_0", "k_2"],
        "cluster_3": ["k_1"],
    }
    # Plain ids (no collection prefix) are recognised too; missing motifs become singletons.
    table.write_text("cluster_1\tk_0,k_1\n")
    with pytest.warns(UserWarning, match="singletons"):
        assert len(read_rsat_clusters(table, ids)) == 5
    table.write_text("cluster_1\tnot_a_motif\n")
    with pytest.raises(InputError, match="not_a_motif"):
        read_rsat_clusters(table, ids)


def test_transfac_roots_are_read_as_frequencies(tmp_path):
    path = tmp_path / "roots.tf"
    path.write_text(RSAT_ROOTS_TF)
    roots = read_transfac(path)
    assert [r.id for r in roots] == ["cluster_1", "cluster_3"]
    np.testing.assert_allclose(roots[0].probs[2], [0, 0, 0.5, 0.5])
    assert roots[1].nsites == 30


def test_missing_rsat_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="matrix-clustering.*PATH"):
        run_rsat_matrix_clustering(rsat_input(tmp_path), tmp_path / "out")


def test_rsat_run_is_converted_end_to_end_with_a_stand_in_program(tmp_path, monkeypatch):
    """A stand-in 'matrix-clustering' writes RSAT's tables where -o says; the run converts them."""
    fake = tmp_path / "bin" / "matrix-clustering"
    fake.parent.mkdir()
    fake.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""\
            import sys, pathlib
            prefix = sys.argv[sys.argv.index("-o") + 1]
            tables = pathlib.Path(prefix + "_tables"); tables.mkdir(parents=True)
            (tables / "clusters.tab").write_text({RSAT_CLUSTERS_TAB!r})
            pathlib.Path(prefix + "_cluster_root_motifs.tf").write_text({RSAT_ROOTS_TF!r})
            trees = pathlib.Path(prefix + "_trees"); trees.mkdir()
            (trees / "tree.newick").write_text(
                "((deepcons_m1_k_0:0.1,deepcons_m3_k_2:0.1):0.3,(deepcons_m2_k_1:0.2,"
                "((deepcons_m4_k_3:0.1,deepcons_m5_k_4:0.1):0.05,deepcons_m6_k_5:0.15):0.05):0.2);"
            )
            """
        )
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    assert main(["--engine", "rsat", "-o", str(out), str(rsat_input(tmp_path))]) == 0
    assert read_cluster_table(out / "clusters.tsv") == {
        "cluster_1": ["k_3", "k_4", "k_5"],
        "cluster_2": ["k_0", "k_2"],
        "cluster_3": ["k_1"],
    }
    alignment = pd.read_csv(out / "cluster_alignment.tsv", sep="\t")
    assert list(alignment.columns) == ["cluster", "kernel", "strand", "offset", "width"]
    assert alignment.groupby("cluster")["kernel"].apply(sorted).to_dict() == {
        "cluster_1": ["k_3", "k_4", "k_5"],
        "cluster_2": ["k_0", "k_2"],
        "cluster_3": ["k_1"],
    }
    assert set(alignment["strand"]) <= {"+", "-"} and (alignment["width"] == 10).all()
    roots = read_meme(out / "cluster_roots.meme").motifs
    # RSAT's cluster_1 (k_0, k_2) is our cluster_2, its cluster_3 (k_3..k_5) our cluster_1.
    assert [r.id for r in roots] == ["cluster_1", "cluster_2"]
    assert roots[0].width == 2 and roots[1].width == 3
    assert sorted(parse_newick_leaves((out / "tree.newick").read_text())) == [
        f"k_{i}" for i in range(6)
    ]
