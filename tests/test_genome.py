"""The genome is normalised, indexed exactly as samtools would, and its gaps found."""

import gzip
import subprocess

import numpy as np
import pysam
import pytest

from deepcons.encoding import sequence_of
from deepcons.errors import InputError
from deepcons.genome import Genome, n_runs, prepare_genome, read_sizes

FASTA = ">chrA description\nACGTN\nnnacgt\n>chrB\n" + "ACGT" * 40 + "NNNN\n>chrC\nA\n"


@pytest.mark.parametrize("compression", ["plain", "gzip", "bgzip"])
def test_prepare_genome_any_compression(tmp_path, compression):
    src = tmp_path / "in.fa"
    src.write_text(FASTA)
    if compression == "gzip":
        with gzip.open(tmp_path / "in.fa.gz", "wt") as handle:
            handle.write(FASTA)
        src = tmp_path / "in.fa.gz"
    elif compression == "bgzip":
        pysam.tabix_compress(str(src), str(tmp_path / "in.fa.bgz"))
        src = tmp_path / "in.fa.bgz"
    out = tmp_path / "out" / "genome.fa"
    sizes = prepare_genome(src, out, tmp_path / "out" / "sizes", tmp_path / "out" / "gaps.bed")
    assert sizes == {"chrA": 11, "chrB": 164, "chrC": 1}
    assert read_sizes(tmp_path / "out" / "sizes") == sizes
    # upper case; gaps are runs of N (lower-case n too)
    assert (tmp_path / "out" / "gaps.bed").read_text() == "chrA\t4\t7\nchrB\t160\t164\n"
    # our .fai equals the one samtools (through pysam) builds for the same file
    ours = (tmp_path / "out" / "genome.fa.fai").read_text()
    (tmp_path / "out" / "genome.fa.fai").unlink()
    pysam.faidx(str(out))
    assert ours == (tmp_path / "out" / "genome.fa.fai").read_text()
    with Genome(out) as genome:
        assert sequence_of(genome.chromosome_codes("chrA")) == "ACGTNNNACGT"
        assert sequence_of(genome.chromosome_codes("chrB")[158:162]) == "GTNN"
        assert genome.chromosome_codes("chrA").tolist() == [0, 1, 2, 3, 4, 4, 4, 0, 1, 2, 3]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("ACGT\n>chr1\nACGT\n", 1, "expected a FASTA header"),
        (">chr1\nACGT\n>chr1\nACGT\n", 3, "appears twice"),
        (">chr1\nACGT\nAC1T\n", 3, "unexpected letters"),
        (">\nACGT\n", 1, "without a name"),
    ],
)
def test_bad_fasta(tmp_path, text, line, message):
    src = tmp_path / "bad.fa"
    src.write_text(text)
    out = tmp_path / "out.fa"
    with pytest.raises(InputError, match=message) as err:
        prepare_genome(src, out, tmp_path / "sizes", tmp_path / "gaps.bed")
    assert err.value.line == line
    # nothing half-written
    assert (
        not out.exists()
        and not (tmp_path / "sizes").exists()
        and not (tmp_path / "gaps.bed").exists()
    )
    assert not list(tmp_path.glob(".*tmp*"))


def test_n_runs():
    runs = n_runs("NNACGTNANN")
    assert runs.tolist() == [[0, 2], [6, 7], [8, 10]]
    assert n_runs("ACGT").shape == (0, 2)
    assert n_runs("").shape == (0, 2)
    assert n_runs("N").tolist() == [[0, 1]]
    assert n_runs("ARYNC-T").tolist() == [[1, 4], [5, 6]]  # any non-ACGT letter is a gap
    # against a position-by-position scan
    rng = np.random.default_rng(3)
    for _ in range(200):
        seq = "".join(rng.choice(list("ACGTN"), size=int(rng.integers(1, 40))))
        gap = [letter not in "ACGT" for letter in seq]
        expected = [
            [i, next((j for j in range(i, len(seq)) if not gap[j]), len(seq))]
            for i in range(len(seq))
            if gap[i] and (i == 0 or not gap[i - 1])
        ]
        assert n_runs(seq).tolist() == expected


def test_samtools_reads_the_normalised_genome(tmp_path):
    src = tmp_path / "in.fa"
    src.write_text(FASTA)
    out = tmp_path / "genome.fa"
    prepare_genome(src, out, tmp_path / "sizes", tmp_path / "gaps.bed")
    with pysam.FastaFile(str(out)) as fasta:
        assert fasta.fetch("chrB", 0, 8) == "ACGTACGT"
        assert fasta.get_reference_length("chrB") == 164


def test_bedtools_is_installed():
    # the dataset stage needs the real bedtools binary
    result = subprocess.run(["bedtools", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("bedtools v2.")
