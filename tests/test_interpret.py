"""Saliency, in-silico mutagenesis and variant scoring, against direct computations."""

import gzip
import logging

import numpy as np
import pysam
import pytest
import torch

from deepcons.attribution import (
    compute_ism,
    compute_saliency,
    ism_matrix,
    logits_of_rows,
    mutant_rows,
)
from deepcons.encoding import Layout, codes_of, encode_rows
from deepcons.genome import prepare_genome
from deepcons.interpret_plots import saliency_html
from deepcons.model import build_model, one_hot
from deepcons.modelio import save_model
from deepcons.score_cli import main_saliency, main_score
from deepcons.training import Checkpoint, TrainSettings, train

from planted import planted_dataset

LAYOUT = Layout(pad_length=40, spacer_length=4)
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
HPARAMS = {
    "kernels": {5: 6, 9: 3},
    "hidden": 8,
    "dropout_conv": 0.0,
    "dropout_hidden": 0.0,
    "input_length": LAYOUT.width,
    "pad_length": 40,
    "spacer_length": 4,
}


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return build_model(HPARAMS).double().eval()


def test_saliency_equals_autograd_and_finite_differences(tiny):
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 4, n).astype(np.uint8) for n in (40, 23, 7)]
    ours = compute_saliency(tiny, seqs, LAYOUT, batch_size=2)
    forward_only = compute_saliency(tiny, seqs, LAYOUT, batch_size=2, strands="forward")
    plain = build_model(HPARAMS, fast=False).double().eval()
    plain.load_state_dict(tiny.state_dict())
    for seq, score, forward in zip(seqs, ours, forward_only, strict=True):
        x = one_hot(torch.from_numpy(encode_rows([seq], LAYOUT))).double().requires_grad_(True)
        (grad,) = torch.autograd.grad(plain.forward_one_hot(x).sum(), x)
        column = (grad * x).sum(1)[0].clamp_min(0).detach().numpy()
        L = len(seq)
        mirror = column[LAYOUT.reverse_start : LAYOUT.reverse_start + L][::-1]
        assert np.allclose(score, column[:L] + mirror, atol=1e-6)
        assert np.allclose(forward, column[:L], atol=1e-6)
    # the model reads some bases through their mirror: the two definitions differ
    assert any(not np.allclose(a, b) for a, b in zip(ours, forward_only, strict=True))
    with pytest.raises(ValueError, match="strands"):
        compute_saliency(tiny, seqs, LAYOUT, strands="reverse")
    # finite differences of the fused model's input gradient, on a continuous input (one-hot
    # inputs can tie two windows' maxima, where the one-sided derivatives differ)
    x = torch.rand(
        1, 4, LAYOUT.width, dtype=torch.double, generator=torch.Generator().manual_seed(1)
    )
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(tiny.forward_one_hot(xg).sum(), xg)
    base = tiny.forward_one_hot(x).item()
    eps = 1e-6
    for col in range(0, LAYOUT.width, 5):
        for channel in range(4):
            xe = x.clone()
            xe[0, channel, col] += eps
            finite = (tiny.forward_one_hot(xe).item() - base) / eps
            assert finite == pytest.approx(grad[0, channel, col].item(), abs=1e-5)


def test_mutants_change_both_strands():
    seq = codes_of("ACGTA")
    rows, position, alt = mutant_rows(seq, LAYOUT)
    assert rows.shape == (16, LAYOUT.width) and len(position) == 15
    assert set(alt[position == 0].tolist()) == {1, 2, 3}
    for k in range(15):
        row = rows[k + 1]
        assert row[position[k]] == alt[k]
        assert row[LAYOUT.reverse_start + 4 - position[k]] == 3 - alt[k]
        changed = np.flatnonzero(row != rows[0])
        assert len(changed) == 2


@pytest.mark.parametrize(
    "length, architecture",
    [(30, "deepcons"), (40, "deepcons"), (33, "deepsea"), (31, "dilated")],
)
def test_ism_equals_brute_force(length, architecture):
    torch.manual_seed(0)
    h = {
        **HPARAMS,
        "architecture": architecture,
        "deepsea_channels": [4, 4, 4],
        "deepsea_width": 3,
        "deepsea_pool": 2,
        "dilated_kernels": 6,
        "dilated_width": 5,
        "dilated_blocks": 2,
    }
    tiny = build_model(h).double().eval()
    seq = np.random.default_rng(1).integers(0, 4, length).astype(np.uint8)
    seq[5] = 4  # an N: all four bases are substitutions
    ism = compute_ism(tiny, seq, LAYOUT, batch_size=7)
    ref = logits_of_rows(tiny, encode_rows([seq], LAYOUT))[0]
    for k in range(0, len(ism["position"]), 5):
        mutant = seq.copy()
        mutant[ism["position"][k]] = ism["alt"][k]
        single = logits_of_rows(tiny, encode_rows([mutant], LAYOUT))[0]
        assert ism["delta_logit"][k] == pytest.approx(single - ref, abs=1e-9)
    for k in range(len(ism["position"])):
        if ism["position"][k] in (0, 5, length - 1):  # both ends and the N, every substitution
            mutant = seq.copy()
            mutant[ism["position"][k]] = ism["alt"][k]
            single = logits_of_rows(tiny, encode_rows([mutant], LAYOUT))[0]
            assert ism["delta_logit"][k] == pytest.approx(single - ref, abs=1e-9)
    assert len(ism["position"]) == 3 * length + 1  # and 4 at the N
    assert sorted(ism["alt"][ism["position"] == 5]) == [0, 1, 2, 3]
    matrix = ism_matrix(ism, len(seq))
    known = seq < 4
    assert matrix.shape == (length, 4) and np.all(matrix[np.flatnonzero(known), seq[known]] == 0)


def test_saliency_is_high_inside_planted_sites(tmp_path):
    layout = Layout(80, 4)
    codes, labels, seqs, starts = planted_dataset(n=800, length=60, seed=2, layout=layout)
    torch.manual_seed(0)
    model = build_model(
        {"kernels": {8: 16}, "hidden": 16, "dropout_conv": 0.1, "dropout_hidden": 0.1}
    )
    settings = TrainSettings(
        batch_size=32, max_epochs=30, patience=5, learning_rate=0.1, seed=0, device="cpu"
    )
    train(
        model,
        (codes[:700], labels[:700]),
        (codes[700:], labels[700:]),
        settings,
        Checkpoint(tmp_path),
        "k",
    )
    positives = [i for i in range(700, 800) if labels[i] == 1]
    scores = compute_saliency(model, [seqs[i] for i in positives], layout)
    inside, outside = [], []
    for i, s in zip(positives, scores, strict=True):
        mask = np.zeros(len(s), bool)
        mask[starts[i] : starts[i] + 7] = True
        inside.append(s[mask].mean())
        outside.append(s[~mask].mean())
    assert np.mean(inside) > 3 * np.mean(outside)


def test_html_escapes_names(tiny):
    page = saliency_html(
        ['<script>alert("x")</script>'], [codes_of("ACGN")], [np.array([0.1, 0.5, 0.0, 0.0])]
    )
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and page.count('class="entry"') == 1


@pytest.fixture
def scoring_setup(tmp_path, tiny):
    save_model(tiny.float(), HPARAMS, tmp_path / "model" / "model.safetensors")
    chrom = "".join(np.random.default_rng(3).choice(list("ACGT"), 300))
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n>chr2\n{'ACGT' * 10}\n")
    prepare_genome(
        tmp_path / "g.fa", tmp_path / "genome.fa", tmp_path / "sizes", tmp_path / "gaps.bed"
    )
    return tmp_path, chrom


def write_vcf(path, chrom_seq, compress):
    ref100 = chrom_seq[99]
    other = next(b for b in "ACGT" if b != ref100)
    wrong = next(b for b in "ACGT" if b != chrom_seq[149])
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr1,length=300>",
        "##contig=<ID=chr2,length=40>",
        "##contig=<ID=chrZ,length=1000>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
        f"chr1\t100\tsnv\t{ref100}\t{other}\t.\tPASS\t.",
        f"chr1\t150\tmismatch\t{wrong}\t{chrom_seq[149]}\t.\tPASS\t.",
        f"chr1\t200\tmulti\t{chrom_seq[199]}\t{','.join(b for b in 'ACGT' if b != chrom_seq[199])}\t.\tPASS\t.",
        f"chr1\t3\tnear_start\t{chrom_seq[2]}\t{next(b for b in 'ACGT' if b != chrom_seq[2])}\t.\tPASS\t.",
        f"chr1\t250\tdeletion\t{chrom_seq[249:253]}\t{chrom_seq[249]}\t.\tPASS\t.",
        f"chr1\t260\tinsertion\t{chrom_seq[259]}\t{chrom_seq[259]}TTT\t.\tPASS\t.",
        "chr1\t270\tsymbolic\tA\t<DEL>\t.\tPASS\t.",
        "chrZ\t10\tmissing\tA\tC\t.\tPASS\t.",
    ]
    text = "\n".join(lines) + "\n"
    if compress:
        path.with_suffix("").write_text(text)
        pysam.tabix_compress(str(path.with_suffix("")), str(path), force=True)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_variants_scored_and_reported(scoring_setup, tiny, compress, caplog):
    tmp_path, chrom = scoring_setup
    vcf = write_vcf(tmp_path / ("v.vcf.gz" if compress else "v.vcf"), chrom, compress)
    out = tmp_path / "out"
    # main_score's setup_logging replaces the root logger's handlers, caplog's among them
    logging.getLogger("deepcons").addHandler(caplog.handler)
    assert (
        main_score(
            [
                "--model",
                str(tmp_path / "model"),
                "--vcf",
                str(vcf),
                "--genome",
                str(tmp_path / "genome.fa"),
                "-o",
                str(out),
                "--window",
                "40",
            ]
        )
        == 0
    )
    scored = (out / "variants.tsv").read_text().splitlines()
    skipped = (out / "variants_not_scored.tsv").read_text().splitlines()
    ids = [r.split("\t")[2] for r in scored[1:]]
    assert ids == ["snv", "multi", "multi", "multi", "near_start", "deletion", "insertion"]
    reasons = {r.split("\t")[2]: r.split("\t")[5] for r in skipped[1:]}
    logging.getLogger("deepcons").removeHandler(caplog.handler)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        w.startswith("3 of 10 ALT alleles not scored (")
        and "REF does not match the genome: 1" in w
        and w.endswith(str(out / "variants_not_scored.tsv"))
        for w in warnings
    ), warnings
    assert reasons["mismatch"].startswith("REF does not match the genome")
    assert reasons["missing"] == "chromosome not in the genome"
    assert reasons["symbolic"] == "symbolic or missing ALT allele"
    near = next(r.split("\t") for r in scored[1:] if "near_start" in r)
    assert near[-1] == "clipped" and near[5] == "0"
    # the annotated VCF keeps every record, readable by pysam, with the new INFO fields
    with pysam.VariantFile(str(out / "variants.vcf")) as annotated:
        assert "DC_DELTA" in annotated.header.info
        records = list(annotated)
    assert [r.id for r in records] == [
        "snv",
        "mismatch",
        "multi",
        "near_start",
        "deletion",
        "insertion",
        "symbolic",
        "missing",
    ]
    multi = records[2]
    assert len(multi.info["DC_DELTA"]) == 3 and multi.info["DC_STATUS"] == ("scored",) * 3
    assert "DC_DELTA" not in records[1].info and records[1].info["DC_STATUS"][0].startswith(
        "REF_does_not_match"
    )
    snv_row = scored[1].split("\t")
    assert float(snv_row[9]) == pytest.approx(records[0].info["DC_DELTA"][0], abs=1e-5)
    # the SNV's effect, computed here from its window: the model on ref and on alt
    start, end = int(snv_row[5]), int(snv_row[6])
    assert end - start == 40 and start <= 99 < end
    alt_seq = chrom[start:99] + snv_row[4] + chrom[100:end]
    model = tiny.float()
    ref_logit, alt_logit = logits_of_rows(
        model, encode_rows([codes_of(chrom[start:end]), codes_of(alt_seq)], LAYOUT)
    )
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    assert float(snv_row[10]) == pytest.approx(alt_logit - ref_logit, abs=2e-6)
    assert float(snv_row[9]) == pytest.approx(sigmoid(alt_logit) - sigmoid(ref_logit), abs=2e-6)
    assert abs(alt_logit - ref_logit) > 1e-4  # a real effect, not a zero that any code gives
    # the annotated VCF can be scored again: earlier DC_* values are replaced, not kept
    again = tmp_path / "again"
    assert (
        main_score(
            [
                "--model",
                str(tmp_path / "model"),
                "--vcf",
                str(out / "variants.vcf"),
                "--genome",
                str(tmp_path / "genome.fa"),
                "-o",
                str(again),
                "--window",
                "40",
            ]
        )
        == 0
    )
    assert (again / "variants.tsv").read_text() == (out / "variants.tsv").read_text()


def test_indel_windows_are_spliced_and_keep_their_width(scoring_setup):
    from deepcons.genome import Genome
    from deepcons.variants import Test, _set_windows

    tmp_path, chrom = scoring_setup
    with Genome(tmp_path / "genome.fa") as genome:
        deletion = Test(0, 0, "chr1", 250, ".", chrom[249:253], chrom[249])
        assert _set_windows(deletion, genome, 300, 40) is None
        insertion = Test(0, 0, "chr1", 260, ".", chrom[259], chrom[259] + "TTT")
        assert _set_windows(insertion, genome, 300, 40) is None
        near_end = Test(0, 0, "chr1", 290, ".", chrom[289:293], chrom[289])
        assert _set_windows(near_end, genome, 300, 40) is None
    from deepcons.encoding import sequence_of

    # VCF position 250 is base 249: ref window [229, 269); the deletion removes 3 bases and
    # pulls 3 more in on the right
    assert sequence_of(deletion.ref_codes) == chrom[229:269]
    assert sequence_of(deletion.alt_codes) == chrom[229:250] + chrom[253:272]
    assert sequence_of(insertion.alt_codes) == (chrom[239:260] + "TTT" + chrom[260:300])[:40]
    assert deletion.status == insertion.status == "scored"
    # 11 bases from the end: the ref window is cut at the end, the alt window even shorter
    assert near_end.status == "clipped" and sequence_of(near_end.ref_codes) == chrom[269:300]
    assert sequence_of(near_end.alt_codes) == chrom[269:290] + chrom[293:300]


def test_score_streams_sequences_in_chunks(scoring_setup, tiny, monkeypatch):
    import deepcons.score_cli

    tmp_path, chrom = scoring_setup
    records = [f">s{i}\n{chrom[7 * i : 7 * i + 20 + i]}\n" for i in range(5)]
    (tmp_path / "s.fa").write_text("".join(records))
    argv = ["--model", str(tmp_path / "model"), "--fasta", str(tmp_path / "s.fa")]
    argv += ["--batch-size", "2", "-o"]
    assert main_score([*argv, str(tmp_path / "whole.tsv")]) == 0
    # chunks of 4 sequences (2 batches), then 1
    monkeypatch.setattr(deepcons.score_cli, "SEQUENCES_PER_CHUNK", 5)
    assert main_score([*argv, str(tmp_path / "chunked.tsv")]) == 0
    whole = (tmp_path / "whole.tsv").read_text()
    assert (tmp_path / "chunked.tsv").read_text() == whole
    assert [r.split("\t")[:2] for r in whole.splitlines()[1:]] == [
        [f"s{i}", str(20 + i)] for i in range(5)
    ]
    # a bad last record, found after two chunks were scored: one error, no table
    (tmp_path / "s.fa").write_text("".join(records) + ">long\n" + "A" * 41 + "\n")
    assert main_score([*argv, str(tmp_path / "bad.tsv")]) == 1
    assert sorted(p.name for p in tmp_path.glob("*.tsv")) == ["chunked.tsv", "whole.tsv"]
    assert not list(tmp_path.glob(".bad.tsv*"))


def test_score_fasta_and_bed_and_saliency(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    (tmp_path / "s.fa").write_text(f">first\n{chrom[:30]}\n>second\n{chrom[30:65]}\n")
    (tmp_path / "r.bed").write_text("chr1\t0\t30\tfirst\nchr1\t30\t65\n")
    model = str(tmp_path / "model")
    assert (
        main_score(
            ["--model", model, "--fasta", str(tmp_path / "s.fa"), "-o", str(tmp_path / "a.tsv")]
        )
        == 0
    )
    assert (
        main_score(
            [
                "--model",
                model,
                "--bed",
                str(tmp_path / "r.bed"),
                "--genome",
                str(tmp_path / "genome.fa"),
                "-o",
                str(tmp_path / "b.tsv"),
            ]
        )
        == 0
    )
    a = [r.split("\t") for r in (tmp_path / "a.tsv").read_text().splitlines()]
    b = [r.split("\t") for r in (tmp_path / "b.tsv").read_text().splitlines()]
    assert a[0] == ["id", "length", "logit", "prob"] and [r[0] for r in b[1:]] == [
        "first",
        "chr1:30-65",
    ]
    assert [r[2] for r in a[1:]] == [r[2] for r in b[1:]]  # the same sequences, the same scores
    expected = logits_of_rows(tiny.float(), encode_rows([codes_of(chrom[:30])], LAYOUT))[0]
    assert float(a[1][2]) == pytest.approx(expected, abs=1e-5)
    assert (
        main_saliency(
            ["--model", model, "--fasta", str(tmp_path / "s.fa"), "-o", str(tmp_path / "sal")]
        )
        == 0
    )
    rows = (tmp_path / "sal" / "saliency.tsv").read_text().splitlines()
    assert rows[0] == "id\tsequence\tscores" and len(rows[1].split("\t")[2].split(",")) == 30
    # the scores are the library's saliency of the same sequences
    expected = compute_saliency(
        tiny.float(), [codes_of(chrom[:30]), codes_of(chrom[30:65])], LAYOUT
    )
    assert all(want.max() > 0 for want in expected)
    for row, want in zip(rows[1:], expected, strict=True):
        name, sequence, scores = row.split("\t")
        assert sequence in (chrom[:30], chrom[30:65])
        assert np.allclose([float(v) for v in scores.split(",")], want, atol=1e-5)
    assert (tmp_path / "sal" / "saliency.html").read_text().count('class="entry"') == 2
    # --strands forward: the forward columns alone
    fasta = str(tmp_path / "s.fa")
    out = str(tmp_path / "sal_forward")
    assert (
        main_saliency(["--model", model, "--fasta", fasta, "-o", out, "--strands", "forward"]) == 0
    )
    forward = compute_saliency(
        tiny.float(), [codes_of(chrom[:30]), codes_of(chrom[30:65])], LAYOUT, strands="forward"
    )
    rows = (tmp_path / "sal_forward" / "saliency.tsv").read_text().splitlines()
    for row, want in zip(rows[1:], forward, strict=True):
        assert np.allclose([float(v) for v in row.split("\t")[2].split(",")], want, atol=1e-5)


def test_score_refuses_too_long_sequences(scoring_setup, capsys):
    tmp_path, chrom = scoring_setup
    (tmp_path / "long.fa").write_text(f">long\n{chrom[:41]}\n")
    assert (
        main_score(
            [
                "--model",
                str(tmp_path / "model"),
                "--fasta",
                str(tmp_path / "long.fa"),
                "-o",
                str(tmp_path / "x.tsv"),
            ]
        )
        == 1
    )
    assert "the model takes at most 40 bp" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--window", "-10"], "argument --window: expected at least 2, got -10"),
        (["--window", "0"], "argument --window: expected at least 2, got 0"),
        (["--window", "41"], "command line: --window 41 is wider than the model's input (40 bp)"),
        (["--batch-size", "0"], "argument --batch-size: expected at least 1, got 0"),
        (["--genome", "missing.fa"], "missing.fa: no such file or folder (--genome)"),
        (["--vcf", "missing.vcf"], "missing.vcf: no such file or folder (--vcf)"),
        (["--genome", "plain.fa.gz"], "plain.fa.gz: cannot be indexed (Compressed FASTA is only"),
        (["--genome", "uneven.fa"], "uneven.fa: cannot be indexed (Line length of fasta file"),
    ],
)
def test_score_command_line_is_checked_before_any_output(scoring_setup, capsys, options, message):
    tmp_path, chrom = scoring_setup
    vcf = write_vcf(tmp_path / "v.vcf", chrom, compress=False)
    (tmp_path / "plain.fa.gz").write_bytes(gzip.compress((tmp_path / "genome.fa").read_bytes()))
    (tmp_path / "uneven.fa").write_text(f">chr1\n{chrom[:60]}\n{chrom[60:70]}\n{chrom[70:130]}\n")
    args = {
        "--model": str(tmp_path / "model"),
        "--vcf": str(vcf),
        "--genome": str(tmp_path / "genome.fa"),
        "-o": str(tmp_path / "out"),
    }
    for option, value in zip(options[::2], options[1::2], strict=True):
        args[option] = str(tmp_path / value) if option in ("--genome", "--vcf") else value
    argv = [word for pair in args.items() for word in pair]
    try:
        status = main_score(argv)
    except SystemExit as exit:  # argparse: usage and the message, status 2
        status = exit.code
    assert status in (1, 2)
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "uneven.fa.fai").exists()


@pytest.mark.parametrize(
    "record, message",
    [
        ("chr1\tabc\tx\tA\tC\t.\tPASS\t.", "line 5: POS 'abc' is not a whole number"),
        ("chr1\t0\tx\tA\tC\t.\tPASS\t.", "line 5: POS must be 1 or more"),
        ("chr1\t10\tx\tA", "line 5: expected at least 8 tab-separated VCF columns, found 4"),
        # htslib would read these as 0 and missing, and the annotated VCF would carry that
        ("chr1\t10\tx\tA\tC\tabc\tPASS\t.", "line 5: QUAL 'abc' is not a number (or '.')"),
        (
            "chr1\t10\tx\tA\tC\t.\tPASS\tDP=abc",
            "line 5: INFO DP=abc: 'abc' is not a valid Integer value (as the header declares it)",
        ),
        # numbers Python would take but htslib reads otherwise (1, and missing)
        ("chr1\t10\tx\tA\tC\t1_0\tPASS\t.", "line 5: QUAL '1_0' is not a number (or '.')"),
        (
            "chr1\t10\tx\tA\tC\t.\tPASS\tDP=99999999999",
            "line 5: INFO DP=99999999999: '99999999999' is not a valid Integer value",
        ),
    ],
)
def test_bad_vcf_records_name_the_line_and_the_column(scoring_setup, tiny, record, message):
    tmp_path, chrom = scoring_setup
    good = f"chr1\t100\tsnv\t{chrom[99]}\tN\t.\tPASS\t."
    header = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=300>\n"
    header += '##INFO=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n'
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    path = tmp_path / "bad.vcf"
    path.write_text(header + record + "\n" + good + "\n")
    err = refused(tmp_path, path, tiny)
    assert err.value.line == 5
    assert str(err.value).startswith(f"{path}, {message}")


def test_what_htslib_says_on_opening_goes_to_the_log(scoring_setup, tiny, capfd, caplog):
    tmp_path, chrom = scoring_setup
    vcf = write_vcf(tmp_path / "v.vcf.gz", chrom, compress=True)  # bgzipped, no index
    text = gzip.decompress(vcf.read_bytes()).decode()
    broken = text.replace("##contig=<ID=chrZ,length=1000>", "##INFO=<ID=DP,Number=1")
    bad_header = tmp_path / "bad_header.vcf"
    bad_header.write_text(broken)
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="deepcons"):
        score_into(tmp_path, vcf, tiny, name="indexless")
        score_into(tmp_path, bad_header, tiny, name="bad_header")
    assert "idx_find_and_load" not in capfd.readouterr().err  # no index is needed: not said
    (said,) = [r.getMessage() for r in caplog.records if "htslib on" in r.getMessage()]
    assert said.startswith(f"htslib on opening {bad_header}:\n[W::bcf_hdr_parse_line]")
    assert "An INFO field has no Type defined" in said


def test_a_file_without_a_vcf_header_is_one_error(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    blank = tmp_path / "blank_first.vcf"
    blank.write_text("\n##fileformat=VCFv4.2\n")
    err = refused(tmp_path, blank, tiny)
    assert str(err.value).endswith(
        "line 1: not a VCF: its first line must be ##fileformat=VCFv4.x, found ''"
    )
    path = tmp_path / "headless.vcf"
    path.write_text(f"chr1\t100\tsnv\t{chrom[99]}\tN\t.\tPASS\t.\n")
    err = refused(tmp_path, path, tiny)
    assert str(err.value) == (
        f"{path}, line 1: not a VCF: its first line must be ##fileformat=VCFv4.x, "
        f"found 'chr1\\t100\\tsnv\\t{chrom[99]}\\tN\\t.\\tPASS\\t.'"
    )


def test_typed_vcf_values_htslib_reads_pass(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    header = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=300>\n"
    header += '##INFO=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n'
    header += '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n'
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    records = [
        f"chr1\t100\ta\t{chrom[99]}\tN,T\t1e-5\tPASS\tDP=-3;AF=nan,1.5E+2",
        f"chr1\t101\tb\t{chrom[100]}\tN\t.\tPASS\tDP=.;AF=-Inf",
        f"chr1\t102\tc\t{chrom[101]}\tN\t30\tPASS\tAF=.5",
    ]
    path = tmp_path / "good.vcf"
    path.write_text(header + "\n".join(records) + "\n")
    out = score_into(tmp_path, path, tiny)
    scored, skipped = table_ids(out / "variants.tsv"), table_ids(out / "variants_not_scored.tsv")
    assert scored == ["a", "a", "b", "c"] and skipped == []
    with pysam.VariantFile(str(out / "variants.vcf")) as annotated:
        assert [r.info["DP"] if "DP" in r.info else None for r in annotated] == [-3, None, None]


def test_check_vcf_counts_what_scoring_will_do_and_refuses_what_it_refuses(scoring_setup, tiny):
    from deepcons.errors import InputError
    from deepcons.variants import check_vcf

    tmp_path, chrom = scoring_setup
    vcf = write_vcf(tmp_path / "v.vcf", chrom, compress=False)
    # 8 records, 10 ALT alleles (multi has 3); the mismatch, <DEL> and chrZ are not scored
    assert check_vcf(vcf, tmp_path / "genome.fa", 40) == {
        "records": 8,
        "alt_alleles": 10,
        "to_score": 7,
        "not_scored: REF does not match the genome": 1,
        "not_scored: symbolic or missing ALT allele": 1,
        "not_scored: chromosome not in the genome": 1,
    }
    out = score_into(tmp_path, vcf, tiny, name="good")
    assert len(table_ids(out / "variants.tsv")) == 7
    bad = tmp_path / "bad.vcf"
    bad.write_text(vcf.read_text().replace("chr1\t100\tsnv", "chr1\tabc\tsnv"))
    with pytest.raises(InputError) as checked:
        check_vcf(bad, tmp_path / "genome.fa", 40)
    assert str(checked.value) == str(refused(tmp_path, bad, tiny).value)
    assert str(checked.value) == f"{bad}, line 6: POS 'abc' is not a whole number"


def test_a_truncated_bgzipped_vcf_is_one_error(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    whole = write_vcf(tmp_path / "v.vcf.gz", chrom, compress=True).read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    # one allele a chunk: records were scored and written before the reader failed
    err = refused(tmp_path, cut, tiny, tests_per_chunk=1)
    assert str(err.value).startswith(f"{cut}") and "may be truncated" in str(err.value)


def test_a_gzip_not_bgzip_vcf_is_read_through_a_temporary_bgzipped_copy(
    scoring_setup, tiny, monkeypatch
):
    import tempfile

    tmp_path, chrom = scoring_setup
    plain = write_vcf(tmp_path / "v.vcf", chrom, compress=False)
    gzipped = tmp_path / "plain_gzip.vcf.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    from_plain = score_into(tmp_path, plain, tiny, name="from_plain")
    from_gzip = score_into(tmp_path, gzipped, tiny, name="from_gzip")
    for name in ("variants.tsv", "variants_not_scored.tsv", "variants.vcf"):
        assert (from_gzip / name).read_text() == (from_plain / name).read_text(), name
    assert list(scratch.iterdir()) == []  # the copy is gone

    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(gzipped.read_bytes()[:-20])
    err = refused(tmp_path, cut, tiny)
    assert str(err.value).startswith(f"{cut}: cannot be decompressed")
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    "records, message",
    [
        # chromosomes named without 'chr': one line, not an empty table
        (["1\t100\ta\tA\tC", "2\t10\tb\tA\tC"], "line 3: none of its chromosomes is"),
        # every REF differs from the genome: another assembly
        (["chr1\t100\ta\t{wrong}\tC", "chrZ\t10\tb\tA\tC"], "line 3: no REF allele"),
    ],
)
def test_a_vcf_that_matches_nothing_in_the_genome_is_one_error(
    scoring_setup, tiny, records, message
):
    tmp_path, chrom = scoring_setup
    wrong = next(b for b in "ACGT" if b != chrom[99])
    rows = [r.format(wrong=wrong) + "\t.\tPASS\t." for r in records]
    path = tmp_path / "other.vcf"
    header = VCF_HEADER
    path.write_text(header + "\n".join(rows) + "\n")
    err = refused(tmp_path, path, tiny, tests_per_chunk=1)
    assert str(err.value).startswith(f"{path}, {message}")
    # alleles that cannot be scored for what they are (symbolic) are no such error
    path.write_text(header + "chr1\t100\ts\tA\t<DEL>\t.\tPASS\t.\n")
    skipped = (score_into(tmp_path, path, tiny) / "variants_not_scored.tsv").read_text()
    assert skipped.splitlines()[1:] == ["chr1\t100\ts\tA\t<DEL>\tsymbolic or missing ALT allele"]


def test_undeclared_info_filter_and_format_keys_are_kept(scoring_setup, tiny):
    # htslib reads records whose keys the header lacks, but writes none of them
    tmp_path, chrom = scoring_setup
    path = tmp_path / "undeclared.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        f"chr1\t100\ta\t{chrom[99]}\tN\t.\tLowQ\tX=1,2;FL\tGT:ZZ\t0/1:3\n"
        f"chr1\t101\tb\t{chrom[100]}\tN\t.\tPASS\tDC_REF=stale\tGT\t1|1\n"
    )
    out = score_into(tmp_path, path, tiny)
    with pysam.VariantFile(str(out / "variants.vcf")) as annotated:
        a, b = list(annotated)
        assert annotated.header.info["FL"].type == "Flag"
        assert annotated.header.info["DC_REF"].type == "Float"  # ours, not the input's
    assert a.filter.keys() == ["LowQ"] and a.info["X"] == ("1", "2") and a.info["FL"] is True
    assert a.samples["S1"]["GT"] == (0, 1) and a.samples["S1"]["ZZ"] == ("3",)
    assert b.samples["S1"]["GT"] == (1, 1) and b.samples["S1"].phased
    assert "DC_DELTA" in a.info and isinstance(b.info["DC_REF"], float)


def test_an_undeclared_end_is_an_integer(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    path = tmp_path / "end.vcf"
    path.write_text(
        VCF_HEADER + f"chr1\t100\tsnv\t{chrom[99]}\tN\t.\tPASS\tEND=100\n"
        f"chr1\t110\tdel\t{chrom[109]}\t<DEL>\t.\tPASS\tEND=150\n"
    )
    out = score_into(tmp_path, path, tiny)
    with pysam.VariantFile(str(out / "variants.vcf")) as annotated:
        assert annotated.header.info["END"].type == "Integer"
        assert [(r.id, r.stop) for r in annotated] == [("snv", 100), ("del", 150)]


@pytest.mark.parametrize(
    "column, value, kind, key",
    [(6, "a>b", "FILTER", "a>b"), (6, "a,b", "FILTER", "a,b"), (7, "A,B=1", "INFO", "A,B")],
)
def test_an_undeclared_key_no_header_line_can_hold_is_one_error(
    scoring_setup, tiny, column, value, kind, key
):
    tmp_path, chrom = scoring_setup
    fields = ["chr1", "100", "snv", chrom[99], "N", ".", "PASS", "."]
    good = "\t".join(fields)
    fields[column] = value
    path = tmp_path / "odd.vcf"
    path.write_text(VCF_HEADER + good + "\n" + "\t".join(fields) + "\n")
    err = refused(tmp_path, path, tiny)
    assert str(err.value) == (
        f"{path}, line 4: {kind} {key!r} has no header line, and one cannot be written for it: "
        f"declare it (##{kind}=<ID=...>) or rename it"
    )


def test_a_bcf_is_one_error(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    vcf = write_vcf(tmp_path / "v.vcf", chrom, compress=False)
    bcf = tmp_path / "v.bcf"
    with pysam.VariantFile(str(vcf)) as records:
        with pysam.VariantFile(str(bcf), "wb", header=records.header) as out:
            for record in records:
                out.write(record)
    err = refused(tmp_path, bcf, tiny)
    assert (
        str(err.value)
        == f"{bcf}: a BCF file: give it as VCF (bcftools view FILE -Oz -o FILE.vcf.gz)"
    )


def test_variants_stream_in_chunks_in_any_chromosome_order(scoring_setup, tiny):
    tmp_path, chrom = scoring_setup
    chr2 = "ACGT" * 10
    rows = []
    for i in range(30):  # chr1 and chr2 in turn: an unsorted VCF
        name, seq, pos = ("chr1", chrom, 5 + 9 * i) if i % 2 == 0 else ("chr2", chr2, 1 + i)
        ref = seq[pos - 1]
        alts = ",".join(b for b in "ACGT" if b != ref)[: 1 + 2 * (i % 3)]  # 1 to 3 ALTs
        rows.append(f"{name}\t{pos}\tv{i}\t{ref}\t{alts}\t.\tPASS\t.")
    path = tmp_path / "unsorted.vcf"
    path.write_text(VCF_HEADER)
    path.write_text(path.read_text() + "\n".join(rows) + "\n")
    whole = score_into(tmp_path, path, tiny, name="whole")
    chunked = score_into(tmp_path, path, tiny, name="chunked", tests_per_chunk=4)
    for name in ("variants.tsv", "variants_not_scored.tsv", "variants.vcf"):
        assert (chunked / name).read_text() == (whole / name).read_text()
    scored = (whole / "variants.tsv").read_text().splitlines()[1:]
    assert len(scored) == 60 and table_ids(whole / "variants.tsv")[:6] == [
        "v0",
        "v1",
        "v1",
        "v2",
        "v2",
        "v2",
    ]
    # each window is the genome's own bases, whatever chromosome came before it: the model
    # on them gives the table's probabilities
    windows, alt_windows, probabilities = [], [], []
    for row in scored:
        name, pos, _, ref, alt, start, end = row.split("\t")[:7]
        seq, p, start, end = chrom if name == "chr1" else chr2, int(pos) - 1, int(start), int(end)
        assert (start, end) == (max(p - 20, 0), min(p + 20, len(seq)))  # cut, not moved
        windows.append(codes_of(seq[start:end]))
        alt_windows.append(codes_of(seq[start:p] + alt + seq[p + 1 : end]))
        probabilities.append([float(x) for x in row.split("\t")[7:9]])
    ref_logits = logits_of_rows(tiny, encode_rows(windows, LAYOUT))
    alt_logits = logits_of_rows(tiny, encode_rows(alt_windows, LAYOUT))
    direct = 1 / (1 + np.exp(-np.stack([ref_logits, alt_logits], 1)))
    assert np.allclose(direct, probabilities, atol=1e-6)


def score_into(tmp_path, vcf, model, name="scored", tests_per_chunk=None):
    from deepcons.variants import TESTS_PER_CHUNK, score_vcf

    out = tmp_path / name
    score_vcf(
        model,
        vcf,
        tmp_path / "genome.fa",
        LAYOUT,
        40,
        out,
        tests_per_chunk=tests_per_chunk or TESTS_PER_CHUNK,
    )
    return out


def refused(tmp_path, vcf, model, tests_per_chunk=None):
    """The InputError of scoring ``vcf``; nothing, not even a temporary file, is left."""
    from deepcons.errors import InputError

    with pytest.raises(InputError) as err:
        score_into(tmp_path, vcf, model, tests_per_chunk=tests_per_chunk)
    out = tmp_path / "scored"
    assert not out.exists() or list(out.iterdir()) == []
    return err


def table_ids(path):
    return [row.split("\t")[2] for row in path.read_text().splitlines()[1:]]


def test_bed_intervals_are_read_on_their_strand_in_any_order(scoring_setup):
    from deepcons.encoding import sequence_of
    from deepcons.scoring import read_bed_sequences

    tmp_path, chrom = scoring_setup
    (tmp_path / "s.bed").write_text(
        "chr1\t10\t20\tplus\t0\t+\nchr2\t3\t9\nchr1\t10\t20\tminus\t0\t-\n"
    )
    names, seqs = read_bed_sequences(tmp_path / "s.bed", tmp_path / "genome.fa", 40)
    reverse_complement = chrom[10:20][::-1].translate(str.maketrans("ACGT", "TGCA"))
    assert names == ["plus", "chr2:3-9", "minus"]
    assert [sequence_of(s) for s in seqs] == [chrom[10:20], "TACGTA", reverse_complement]


def test_a_bed_interval_off_the_genome_is_an_error_without_the_inputs_hint(scoring_setup):
    from deepcons.errors import InputError
    from deepcons.scoring import read_bed_sequences

    tmp_path, _ = scoring_setup
    (tmp_path / "off.bed").write_text("chr1\t10\t20\n1\t10\t20\n")
    with pytest.raises(InputError) as err:
        read_bed_sequences(tmp_path / "off.bed", tmp_path / "genome.fa", 40)
    # input.unknown_chromosomes applies to the annotations, not to these intervals
    assert str(err.value).endswith(
        "line 2: chromosome '1' is not in the genome FASTA (its sequences are named like 'chr1')"
    )


def test_saliency_figure_says_which_sequences_it_shows(monkeypatch):
    from types import SimpleNamespace

    import deepcons.interpret_plots as plots
    from deepcons.encoding import codes_of
    from deepcons.interpret_inputs import sequences_described

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, paths: figures.append(fig))
    codes = codes_of("ACGTAC")
    plots.plot_saliency_logos(
        ["s1"], [codes], [np.ones(6)], ["unused.png"], of="the sequences of my.fa"
    )
    assert (
        figures[0]._suptitle.get_text() == "Saliency (gradient x input) of the sequences of my.fa"
    )

    def described(**inputs):
        return sequences_described(SimpleNamespace(input=inputs))

    assert described(fasta="in/my.fa", weights="w") == "the sequences of my.fa"
    assert described(bed="x/r.bed", genome="g.fa") == "the sequences of r.bed"
    assert (
        described(predictions="p", test_seq="t") == "the most confidently conserved test sequences"
    )
