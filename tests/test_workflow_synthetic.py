"""The whole workflow on a synthetic genome with known biology planted (tests/synthetic_genome.py):
the kernels must find the planted motifs, their positions around genes and their strands."""

import shutil

import pandas as pd
import pysam
import pytest
import yaml
from stand_ins import write_stand_ins

from deepcons.clustering import read_cluster_table
from deepcons.meme_io import read_meme
from deepcons.motif_matches import read_tomtom
from deepcons.positional import read_centrimo_tsv

from synthetic_genome import PLANTED, build
from workflow_runner import run_snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("synthetic")
    config, truth = build(workdir, seed=0)
    run_snakemake(workdir, "all", config=config)
    return workdir, truth


def significant_matches(workdir) -> dict[str, set[str]]:
    """Target matrix -> the kernels that match it at E < 0.01."""
    table = read_tomtom(workdir / "results/motifs/tomtom.tsv")
    table = table[table["E-value"] < 0.01]
    return {t: set(g["Query_ID"]) for t, g in table.groupby("Target_ID")}


def biased(workdir, anchor) -> pd.DataFrame:
    table = read_centrimo_tsv(workdir / f"results/positional/{anchor}/centrimo.tsv")
    return table[table["E-value"] < 1e-5]


def test_kernels_match_each_planted_motif(run):
    workdir, _ = run
    matches = significant_matches(workdir)
    for name, matrix in PLANTED.items():
        assert matches.get(matrix), f"no kernel matches {name} ({matrix}) at E < 0.01"
    table = pd.read_csv(workdir / "results/motifs/matches.tsv", sep="\t")
    assert set(PLANTED) & set(table["tf_name"].str.upper())
    metrics = pd.read_csv(workdir / "results/evaluate/metrics.tsv", sep="\t")
    cnn_test = metrics[(metrics["model"] == "cnn") & (metrics["split"] == "test")].iloc[0]
    assert cnn_test["auc"] > 0.9


def test_tes_motif_kernels_are_tes_biased_and_strand_specific(run):
    workdir, truth = run
    ctcf = significant_matches(workdir)[PLANTED["CTCF"]]
    tes = biased(workdir, "tes")
    assert ctcf & set(tes["motif_id"]), "no CTCF kernel is TES-biased at E < 1e-5"
    strand = pd.read_csv(workdir / "results/positional/strand_bias.tsv", sep="\t")
    assert (strand["evalue"] < 1e-5).all()  # only kernels called biased
    rows = strand[(strand["anchor"] == "tes") & strand["kernel"].isin(ctcf)]
    assert len(rows) >= 1
    assert ((rows["fraction_forward"] - truth.fraction_forward()).abs() > 0.2).all(), rows


def test_tss_motif_kernels_are_tss_biased_without_strand_bias(run):
    workdir, truth = run
    mef2a = significant_matches(workdir)[PLANTED["MEF2A"]]
    assert mef2a & set(biased(workdir, "tss")["motif_id"]), "no MEF2A kernel is TSS-biased"
    strand = pd.read_csv(workdir / "results/positional/strand_bias.tsv", sep="\t")
    rows = strand[(strand["anchor"] == "tss") & strand["kernel"].isin(mef2a)]
    assert len(rows) >= 1
    # planted on either strand: the kernel's genes are on "+" as often as all genes are
    assert ((rows["fraction_forward"] - truth.fraction_forward()).abs() < 0.15).all(), rows


def test_randomly_placed_motif_is_not_reported(run):
    workdir, truth = run
    matches = significant_matches(workdir)
    rfx_only = (
        matches[PLANTED["RFX3"]]
        - matches.get(PLANTED["CTCF"], set())
        - matches.get(PLANTED["MEF2A"], set())
    )
    assert rfx_only
    for anchor in ("tss", "tes", "mirna"):
        assert not rfx_only & set(biased(workdir, anchor)["motif_id"]), anchor
    # nothing was planted around the miRNA hairpins
    assert biased(workdir, "mirna").empty
    summary = pd.read_csv(workdir / "results/positional/summary.tsv", sep="\t").set_index("anchor")
    assert summary.loc["tes", "kernels_biased"] >= 1 and summary.loc["mirna", "kernels_biased"] == 0
    assert (
        summary.loc["tss", "windows"] == len(truth.gene_strands)
        and summary.loc["mirna", "windows"] == 25
    )


def test_variants_and_interpretation_outputs(run):
    workdir, _ = run
    scored = pd.read_csv(workdir / "results/interpret/variants.tsv", sep="\t")
    skipped = pd.read_csv(workdir / "results/interpret/variants_not_scored.tsv", sep="\t")
    assert set(skipped["id"]) == {"ref_mismatch", "no_such_chromosome"}
    assert (scored["id"] == "multiallelic").sum() == 3
    with pysam.VariantFile(str(workdir / "results/interpret/variants.vcf")) as vcf:
        assert len(list(vcf)) == len(set(scored["id"])) + len(skipped)
    checked = pd.read_csv(workdir / "results/interpret/variants_checked.tsv", sep="\t")
    counts = dict(zip(checked["what"], checked["count"], strict=True))
    assert counts["to_score"] == len(scored)
    assert counts["alt_alleles"] == len(scored) + len(skipped)
    assert counts["records"] == len(set(scored["id"])) + len(skipped)
    saliency = pd.read_csv(workdir / "results/interpret/saliency.tsv", sep="\t")
    assert len(saliency) == 10
    assert all(
        len(s.split(",")) == len(q)
        for s, q in zip(saliency["scores"], saliency["sequence"], strict=True)
    )
    assert len(list((workdir / "results/interpret/ism/heatmaps").glob("seq*.png"))) == 2
    ism = pd.read_csv(workdir / "results/interpret/ism/ism.tsv", sep="\t")
    assert list(ism.columns) == ["id", "position", "ref", "alt", "delta_logit", "delta_prob"]
    assert ism["id"].nunique() == 2 and (ism["ref"] != ism["alt"]).all()


def test_every_kernel_is_in_one_cluster(run):
    workdir, _ = run
    clusters = pd.read_csv(workdir / "results/clustering/clusters.tsv", sep="\t")
    kernels = pd.read_csv(workdir / "results/motifs/kernels.tsv", sep="\t")
    assert sorted(clusters["kernel"]) == sorted(kernels["kernel"]) and clusters["kernel"].is_unique


FIGURES = [
    "summary.png",
    "learning_curve.png",
    "roc.png",
    "kernel_logos.png",
    "known_matches.png",
    "site_distributions.png",
    "strand_bias.png",
    "saliency.png",
    "similarity_heatmap.png",
    "cluster_root_logos.png",
    "seq1_",  # the ISM heatmaps
]
TABLES = ["metrics.tsv", "matches.tsv", "steps.tsv", "variants.tsv", "clusters.tsv"]


@pytest.mark.parametrize("name", ["report.html", "report.zip"])
def test_report_has_every_figure_and_table(run, name):
    import zipfile

    workdir, _ = run
    run_snakemake(
        workdir, config=None, extra=["--configfile", str(workdir / "config.yaml"), "--report", name]
    )
    path = workdir / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            text = "\n".join(archive.namelist())
    else:
        text = path.read_text(errors="replace")
    for item in FIGURES + TABLES:
        assert item in text, f"{item} missing from {name}"
    if name.endswith(".html"):
        for category in (
            "1. Dataset",
            "2. Training",
            "3. Motifs",
            "4. Positional bias",
            "5. Nucleotide scores",
            "6. Clustering",
        ):
            assert category in text


def test_a_bad_vcf_is_refused_before_the_earlier_scores_are_removed(run, tmp_path):
    workdir, _ = run
    copy = tmp_path / "run"
    shutil.copytree(workdir, copy, symlinks=True)
    before = (copy / "results/interpret/variants.tsv").read_text()
    lines = (copy / "variants.vcf").read_text().splitlines()
    first_record = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    fields = lines[first_record].split("\t")
    lines[first_record] = "\t".join([fields[0], "abc", *fields[2:]])
    (copy / "bad.vcf").write_text("\n".join(lines) + "\n")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["interpret"]["vcf"] = "bad.vcf"
    result = run_snakemake(copy, "interpret", config=config, check=False)
    assert result.returncode != 0
    error = f"bad.vcf, line {first_record + 1}: POS 'abc' is not a whole number"
    assert error in (copy / "logs/check_variants.log").read_text()
    assert "rule score_variants:" not in result.stdout + result.stderr  # never started
    assert (copy / "results/interpret/variants.tsv").read_text() == before


def test_meme_suite_and_rsat_programs_are_run_and_read(run, tmp_path):
    """motif_tools: [meme, rsat], with stand-in programs on PATH (tests/stand_ins.py): the rules
    call tomtom, centrimo and matrix-clustering with their own arguments and read their files."""
    workdir, _ = run
    copy = tmp_path / "run"
    shutil.copytree(workdir, copy, symlinks=True)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["motif_tools"] = ["meme", "rsat"]
    calls = write_stand_ins(tmp_path / "bin")
    anchors = [p.parent.name for p in (workdir / "results/positional").glob("*/centrimo.tsv")]
    rules = ["tomtom_known_motifs", "cluster_kernels", *(f"centrimo_{a}" for a in anchors)]
    # on PATH, the programs pass the check made while the jobs are planned
    run_snakemake(copy, "all", config=config, extra=["--forcerun", *rules], path_first=calls.parent)

    called = calls.read_text().splitlines()
    assert sum(c.startswith("tomtom -no-ssc") for c in called) == 1
    assert sum(c.startswith("centrimo --verbosity 1") for c in called) == len(anchors) >= 2
    assert sum(c.startswith("matrix-clustering") for c in called) == 1
    # tomtom and centrimo are deepcons' own here, so the tables equal the built-in run's
    for table, reader in (
        ("motifs/tomtom.tsv", read_tomtom),
        ("positional/tes/centrimo.tsv", read_centrimo_tsv),
    ):
        pd.testing.assert_frame_equal(
            reader(copy / "results" / table), reader(workdir / "results" / table)
        )
    # the stand-in matrix-clustering pairs the kernels in input order
    kernels = [m.id for m in read_meme(copy / "results/motifs/kernels.meme").motifs]
    clusters = read_cluster_table(copy / "results/clustering/clusters.tsv")
    assert sorted(map(sorted, clusters.values())) == sorted(
        sorted(kernels[i : i + 2]) for i in range(0, len(kernels), 2)
    )
    alignment = pd.read_csv(copy / "results/clustering/cluster_alignment.tsv", sep="\t")
    assert sorted(alignment["kernel"]) == sorted(kernels)
    roots = read_meme(copy / "results/clustering/cluster_roots.meme").motifs
    assert sorted(r.id for r in roots) == sorted(clusters)
