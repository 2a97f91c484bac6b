"""Anchor windows: TSS/TES on both strands, hairpin centres, chromosome ends, gaps, duplicates."""

import numpy as np
import pytest

from deepcons.genome import Genome, prepare_genome
from deepcons.windows import anchor_position, drop_gap_windows, make_windows, window_codes


@pytest.mark.parametrize(
    "start, end, strand, anchor, expected",
    [
        (100, 200, "+", "tss", 100),
        (100, 200, "+", "tes", 199),
        (100, 200, "-", "tss", 199),  # minus strand: transcription starts at the right end
        (100, 200, "-", "tes", 100),
        (100, 181, "+", "mirna", 140),  # the hairpin's middle base
    ],
)
def test_anchor_positions(start, end, strand, anchor, expected):
    assert anchor_position(start, end, strand, anchor) == expected


def test_a_gene_without_strand_has_no_tss():
    with pytest.raises(ValueError, match="needs a strand"):
        anchor_position(100, 200, ".", "tss")


def test_windows_centred_dropped_at_ends_and_deduplicated():
    sizes = {"chr1": 1000, "chr2": 300}
    genes = [
        ("chr1", 400, 600, "g1", "+"),
        ("chr1", 400, 700, "g1b", "+"),  # same TSS as g1: counted once
        ("chr1", 300, 400, "g2", "-"),  # TSS at 399
        ("chr1", 10, 500, "g3", "+"),  # window would start before 0
        ("chr1", 500, 999, "g4", "-"),  # TSS at 998: window would run past the end
        ("chr2", 100, 200, "g5", "+"),
    ]
    windows, counts = make_windows(genes, "tss", 100, sizes)
    assert counts == {"records": 6, "duplicate_position": 1, "off_chromosome_end": 2}
    assert [(w.chrom, w.start, w.end, w.anchor, w.strand, w.name) for w in windows] == [
        ("chr1", 350, 450, 400, "+", "g1"),
        ("chr1", 349, 449, 399, "-", "g2"),
        ("chr2", 50, 150, 100, "+", "g5"),
    ]
    assert all(w.anchor - w.start == 50 for w in windows)  # the anchor is at the centre
    # the same position on the other strand is another anchor
    both, _ = make_windows(
        [("chr1", 400, 600, "a", "+"), ("chr1", 300, 401, "b", "-")], "tss", 100, sizes
    )
    assert len(both) == 2


def test_gap_windows_dropped_and_sequences_in_genome_orientation(tmp_path):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 600))
    seq = seq[:300] + "N" * 20 + seq[320:]
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    prepare_genome(
        tmp_path / "g.fa", tmp_path / "genome.fa", tmp_path / "sizes", tmp_path / "gaps.bed"
    )
    genes = [
        ("chr1", 100, 150, "left", "-"),
        ("chr1", 310, 400, "in_gap", "+"),
        ("chr1", 450, 500, "right", "+"),
    ]
    windows, _ = make_windows(genes, "tss", 60, {"chr1": 600})
    kept, dropped = drop_gap_windows(windows, tmp_path / "gaps.bed")
    assert dropped == 1 and [w.name for w in kept] == ["left", "right"]
    with Genome(tmp_path / "genome.fa") as genome:
        codes = window_codes(genome, kept)
    from deepcons.encoding import sequence_of

    # minus-strand genes are not reverse complemented: genome orientation
    assert sequence_of(codes[0]) == seq[149 - 30 : 149 + 30]
    assert sequence_of(codes[1]) == seq[450 - 30 : 450 + 30]
