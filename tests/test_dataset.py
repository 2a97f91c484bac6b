"""Stratified split, .seq tables and the files of a split."""

import numpy as np
import pytest

from deepcons.annotations import normalize_annotation
from deepcons.dataset import (
    SequenceSet,
    load_split,
    read_seq_table,
    stratified_split,
    write_split,
)
from deepcons.encoding import Layout, codes_of, sequence_of
from deepcons.errors import InputError

from workflow_runner import REPO


def make_set(seqs, labels):
    codes = [codes_of(s) for s in seqs]
    return SequenceSet(
        np.concatenate(codes),
        np.array([len(c) for c in codes]),
        np.array(labels, dtype=np.uint8),
        [f"s{i}" for i in range(len(seqs))],
    )


def test_stratified_split_fractions_and_seed():
    labels = np.array([1] * 300 + [0] * 700, dtype=np.uint8)
    fractions = {"train": 0.8, "valid": 0.1, "test": 0.1}
    split = stratified_split(labels, fractions, random_state=5)
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(1000))
    for name, n_pos, n_neg in (("train", 240, 560), ("valid", 30, 70), ("test", 30, 70)):
        assert int(labels[split[name]].sum()) == n_pos
        assert int((labels[split[name]] == 0).sum()) == n_neg
    again = stratified_split(labels, fractions, random_state=5)
    other = stratified_split(labels, fractions, random_state=6)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    assert not np.array_equal(split["test"], other["test"])


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (8, 1, 1)])  # normalised
def test_stratified_split_rounds_each_labels_counts_and_train_takes_the_rest(fractions):
    labels = np.array([1] * 17 + [0] * 13, dtype=np.uint8)
    split = stratified_split(
        labels, dict(zip(("train", "valid", "test"), fractions, strict=True)), random_state=1
    )
    # positives: 17 x 0.1 = 1.7 -> 2 each; negatives: 13 x 0.1 = 1.3 -> 1 each
    counts = {
        name: (int(labels[i].sum()), int((labels[i] == 0).sum())) for name, i in split.items()
    }
    assert counts == {"train": (13, 11), "valid": (2, 1), "test": (2, 1)}


def test_sequence_set_subset_and_fractions():
    data = make_set(["ACGT", "GGNN", "T", "NNNN"], [1, 0, 1, 0])
    sub = data.subset(np.array([2, 0]))
    assert sub.ids == ["s2", "s0"] and sub.lengths.tolist() == [1, 4]
    assert sequence_of(sub.flat) == "TACGT"
    assert data.n_fraction().tolist() == [0.0, 0.5, 0.0, 1.0]
    gc = data.gc_fraction()
    assert gc[:3].tolist() == [0.5, 1.0, 0.0] and np.isnan(gc[3])


def test_write_split_files_round_trip(tmp_path):
    data = make_set(["ACGTT", "GGA"], [1, 0])
    layout = Layout(pad_length=6, spacer_length=2)
    write_split(tmp_path, "test", data, layout)
    assert (tmp_path / "test.seq").read_text() == "ACGTT\t1\nGGA\t0\n"
    codes, labels = load_split(tmp_path, "test")
    assert isinstance(codes, np.memmap) and codes.shape == (2, 14)
    assert sequence_of(codes[0]) == "ACGTTN" + "NN" + "AACGTN"
    assert labels.tolist() == [1, 0]
    index = (tmp_path / "test.index.tsv").read_text().splitlines()
    assert index[0] == "id\tlabel\tlength\tgc\tn_fraction"
    assert index[1] == "s0\t1\t5\t0.4000\t0.0000"


def test_read_seq_table(tmp_path):
    path = tmp_path / "x.seq"
    path.write_text("acgtN\t1\n\n# a comment\nGGG\t0\r\n")
    data = read_seq_table(path, max_length=10)
    assert sequence_of(data.flat) == "ACGTNGGG"
    assert data.labels.tolist() == [1, 0] and data.ids == ["x.seq:1", "x.seq:4"]


def test_unreadable_seq_tables_are_one_error(tmp_path):
    import gzip

    whole = gzip.compress(b"ACGT\t1\n" * 20000)
    path = tmp_path / "cut.seq.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="cannot be read after line .*is it truncated"):
        read_seq_table(path, max_length=10)
    path = tmp_path / "latin.seq"
    path.write_bytes(b"ACGT\t1\n" * 1500 + b"AC\xffGT\t0\n")  # beyond the first read
    with pytest.raises(InputError, match="not UTF-8 text") as err:
        read_seq_table(path, max_length=10)
    assert err.value.line == 1501


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("ACGT\t1\nACGT\t2\n", 2, "expected label 0 or 1"),
        ("ACGT\t1\tx\n", 1, "expected SEQUENCE<TAB>LABEL"),
        ("AC GT\t1\n", 1, "expected a DNA sequence"),
        ("ACGTACGTACGT\t1\n", 1, "longer than dataset.pad_length=10"),
    ],
)
def test_bad_seq_table(tmp_path, text, line, message):
    path = tmp_path / "bad.seq"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_seq_table(path, max_length=10)
    assert err.value.line == line


def test_real_deepcons_sequences():
    data = read_seq_table(REPO / "resources" / "samples" / "sample_tr.seq", 1000)
    assert len(data) == 5000 and int(data.labels.sum()) == 2488
    assert 30 <= data.lengths.min() and data.lengths.max() <= 967


def test_annotation_chromosome_checks(tmp_path):
    bed = tmp_path / "a.bed"
    bed.write_text("chr22\t10\t20\n22\t10\t20\n")
    sizes = {"chr22": 100, "chr1": 100}
    with pytest.raises(InputError, match="chromosome '22' is not in the genome FASTA") as err:
        normalize_annotation(bed, "conserved", sizes, tmp_path / "out.bed")
    assert err.value.line == 2 and not (tmp_path / "out.bed").exists()
    summary = normalize_annotation(
        bed, "conserved", sizes, tmp_path / "out.bed", unknown_chromosomes="drop"
    )
    assert summary["kept"] == 1 and summary["unknown_chromosome"] == 1
    bed.write_text("chr22\t10\t200\n")
    with pytest.raises(InputError, match="runs past the end of chr22"):
        normalize_annotation(bed, "conserved", sizes, tmp_path / "out.bed")
    bed.write_text("chr1\t10\t20\nchr22\t5\t8\nchr22\t1\t3\n")
    summary = normalize_annotation(bed, "conserved", sizes, tmp_path / "sel.bed", selected="chr22")
    assert summary["other_chromosome"] == 1
    assert (tmp_path / "sel.bed").read_text() == "chr22\t1\t3\t.\t0\t.\nchr22\t5\t8\t.\t0\t.\n"
    with pytest.raises(InputError, match="no conserved records left"):
        normalize_annotation(bed, "conserved", sizes, tmp_path / "none.bed", selected="chrX")
    # rows on chromosomes the selection leaves out need not be in the FASTA (alt haplotypes)
    bed.write_text("chr6_ssto_hap7\t10\t20\nchr22\t1\t3\n")
    summary = normalize_annotation(bed, "conserved", sizes, tmp_path / "alt.bed", selected="chr22")
    assert summary["other_chromosome"] == 1 and summary["kept"] == 1


def test_seq_table_refuses_letters_that_are_not_dna(tmp_path):
    path = tmp_path / "x.seq"
    path.write_text("ACGT\t1\nHELLOWORLD\t0\n")
    with pytest.raises(InputError, match=r"expected a DNA sequence .*\['E', 'L', 'O'\]") as err:
        read_seq_table(path, max_length=20)
    assert err.value.line == 2
