"""Input formats are recognised from content and normalised to the right BED coordinates."""

import gzip

import pytest

from deepcons.errors import InputError
from deepcons.formats import detect_format, read_records


def write(path, text, compress=False):
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


PHASTCONS = "585\tchr22\t100\t150\tlod=30\t340\n585\tchr22\t200\t230\tlod=20\t300\n"
RMSK = (
    "585\t463\t13\t6\t17\tchr22\t1000\t1300\t-50000\t+\tL2a\tLINE\tL2\t2859\t3141\t-283\t1\n"
    "585\t300\t10\t0\t0\tchr22\t2000\t2100\t-49000\t-\tAluY\tSINE\tAlu\t1\t100\t-10\t2\n"
)
# refGene with bin: two exons, CDS from 1100 to 1650; a non-coding transcript (cdsStart == cdsEnd)
REFGENE = (
    "585\tNM_1\tchr22\t+\t1000\t2000\t1100\t1650\t2\t1000,1500,\t1200,2000,\t0\tGENE1\tcmpl\tcmpl\t0,1,\n"
    "585\tNR_2\tchr22\t-\t3000\t4000\t4000\t4000\t1\t3000,\t4000,\t0\tGENE2\tunk\tunk\t-1,\n"
)
BED12 = "chr22\t1000\t2000\tTX1\t0\t-\t1100\t1650\t0\t2\t200,500,\t0,500,\n"
GTF = (
    'chr22\tsrc\tgene\t1001\t2000\t.\t+\t.\tgene_id "G1"; gene_name "GENE1";\n'
    'chr22\tsrc\texon\t1001\t1200\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "GENE1";\n'
    'chr22\tsrc\texon\t1501\t2000\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "GENE1";\n'
    'chr22\tsrc\tCDS\t1101\t1200\t.\t+\t0\tgene_id "G1"; transcript_id "T1"; gene_name "GENE1";\n'
    'chr22\tsrc\tCDS\t1501\t1650\t.\t+\t2\tgene_id "G1"; transcript_id "T1"; gene_name "GENE1";\n'
)
GFF3 = (
    "##gff-version 3\n"
    "chr22\t.\tmiRNA_primary_transcript\t20662\t20743\t.\t+\t.\tID=MI0000482;Alias=MI0000482;Name=hsa-mir-185\n"
    "chr22\t.\tmiRNA\t20676\t20697\t.\t+\t.\tID=MIMAT0000455;Name=hsa-miR-185-5p;Derives_from=MI0000482\n"
)


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("chr22\t10\t20\n", "conserved", "bed"),
        ("track name=x\n#c\nchr22\t10\t20\tname\t0\t+\n", "genes", "bed"),
        (PHASTCONS, "conserved", "phastcons"),
        (RMSK, "repeats", "rmsk"),
        (REFGENE, "genes", "genepred"),
        (
            "\n".join(line.split("\t", 1)[1] for line in REFGENE.splitlines()) + "\n",
            "genes",
            "genepred",
        ),
        (BED12, "genes", "bed12"),
        (GTF, "genes", "gtf"),
        (GFF3, "mirna", "gff3"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_format_recognised_from_content(tmp_path, text, kind, expected, compress):
    # the name says nothing: only the content can tell
    path = write(tmp_path / "input.dat", text, compress)
    assert detect_format(path) == expected
    fmt, records = read_records(path, kind)
    assert fmt == expected
    records = list(records)
    assert records and all(r.chrom == "chr22" and 0 <= r.start < r.end for r in records)


def test_genepred_with_and_without_its_bin_column_read_the_same(tmp_path):
    without_bin = "\n".join(line.split("\t", 1)[1] for line in REFGENE.splitlines()) + "\n"
    _, with_records = read_records(write(tmp_path / "a.txt", REFGENE, False), "genes")
    _, without_records = read_records(write(tmp_path / "b.txt", without_bin, False), "genes")
    with_records, without_records = list(with_records), list(without_records)
    assert [r[:6] for r in with_records] == [r[:6] for r in without_records]
    first = with_records[0]
    assert (first.chrom, first.start, first.end, first.strand) == ("chr22", 1000, 2000, "+")


def test_phastcons_and_rmsk_columns(tmp_path):
    _, recs = read_records(write(tmp_path / "a", PHASTCONS), "conserved")
    assert [(r.chrom, r.start, r.end, r.name) for r in recs] == [
        ("chr22", 100, 150, "lod=30"),
        ("chr22", 200, 230, "lod=20"),
    ]
    _, recs = read_records(write(tmp_path / "b", RMSK), "repeats")
    assert [(r.chrom, r.start, r.end, r.name, r.strand) for r in recs] == [
        ("chr22", 1000, 1300, "L2a", "+"),
        ("chr22", 2000, 2100, "AluY", "-"),
    ]


def test_genepred_transcripts_and_cds(tmp_path):
    cds = []
    _, recs = read_records(write(tmp_path / "g", REFGENE), "genes", cds)
    recs = list(recs)
    assert [(r.start, r.end, r.name, r.strand) for r in recs] == [
        (1000, 2000, "GENE1", "+"),
        (3000, 4000, "GENE2", "-"),
    ]
    # CDS = exon parts inside [cdsStart, cdsEnd); the non-coding transcript adds none
    assert [(c.start, c.end) for c in cds] == [(1100, 1200), (1500, 1650)]


def test_bed12_thick_part_is_cds(tmp_path):
    cds = []
    _, recs = read_records(write(tmp_path / "g", BED12), "genes", cds)
    assert [(r.start, r.end, r.strand) for r in recs] == [(1000, 2000, "-")]
    assert [(c.start, c.end) for c in cds] == [(1100, 1200), (1500, 1650)]


def test_gtf_is_one_based_and_transcripts_come_from_exons(tmp_path):
    cds = []
    _, recs = read_records(write(tmp_path / "g", GTF), "genes", cds)
    assert [(r.chrom, r.start, r.end, r.name, r.strand) for r in recs] == [
        ("chr22", 1000, 2000, "GENE1", "+")
    ]
    assert [(c.start, c.end) for c in cds] == [(1100, 1200), (1500, 1650)]


def test_mirbase_gff3_gives_hairpins_only(tmp_path):
    _, recs = read_records(write(tmp_path / "m", GFF3), "mirna")
    assert [(r.start, r.end, r.name, r.strand) for r in recs] == [
        (20661, 20743, "hsa-mir-185", "+")
    ]


def test_a_gff3_ends_at_its_fasta_section(tmp_path):
    text = GFF3 + "##FASTA\n>chr22\nACGTACGTAC\tGT\n"
    _, recs = read_records(write(tmp_path / "m", text), "mirna")
    assert [r.name for r in recs] == ["hsa-mir-185"]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("chr22\t10\t20\nchr22\t30\t25\n", 2, "end (25) is before start (30)"),
        ("chr22\t10\t20\n\nchr22\t1O\t25\n", 3, "expected integer start and end"),
        ("chr22\t-5\t20\n", 1, "is negative"),
        ("chr22\t10\t20\tx\t0\t*\n", 1, "expected strand"),
    ],
)
def test_bad_bed_rows_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path / "bad.bed", text)
    with pytest.raises(InputError) as err:
        list(read_records(path, "conserved")[1])
    assert err.value.line == line
    assert str(path) in str(err.value) and f"line {line}" in str(err.value)
    assert message in str(err.value)


def test_unrecognised_and_unaccepted_formats(tmp_path):
    with pytest.raises(InputError, match="unrecognised format"):
        detect_format(write(tmp_path / "x", "hello world\n"))
    with pytest.raises(InputError, match="not accepted for input.conserved"):
        read_records(write(tmp_path / "y", GTF), "conserved")
    with pytest.raises(InputError, match="empty"):
        detect_format(write(tmp_path / "z", "# only a comment\n"))


def test_bed12_block_count_must_be_an_integer(tmp_path):
    path = write(
        tmp_path / "g.bed", "chr22\t1000\t2000\tTX1\t0\t-\t1100\t1650\t0\tx\t200,500,\t0,500,\n"
    )
    with pytest.raises(InputError, match="integer blockCount") as err:
        list(read_records(path, "genes", [])[1])
    assert err.value.line == 1


def test_gff_start_zero_is_refused_as_one_based(tmp_path):
    path = write(
        tmp_path / "m.gff3",
        "##gff-version 3\nchr22\t.\tmiRNA_primary_transcript\t0\t80\t.\t+\t.\tName=x\n",
    )
    with pytest.raises(InputError, match="1-based: start must be >= 1"):
        list(read_records(path, "mirna")[1])


def test_gtf_transcript_id_at_two_loci_gives_two_transcripts(tmp_path):
    text = (
        'chrX\ts\texon\t1001\t2000\t.\t+\t.\tgene_id "G"; transcript_id "NM_1";\n'
        'chrX\ts\texon\t9001\t9100\t.\t+\t.\tgene_id "G"; transcript_id "NM_1";\n'
        'chrY\ts\texon\t501\t900\t.\t+\t.\tgene_id "G"; transcript_id "NM_1";\n'
    )
    _, recs = read_records(write(tmp_path / "g.gtf", text), "genes")
    assert [(r.chrom, r.start, r.end) for r in recs] == [("chrX", 1000, 9100), ("chrY", 500, 900)]


def test_genes_without_strand_are_refused(tmp_path):
    from deepcons.annotations import normalize_annotation

    path = write(tmp_path / "genes.bed", "chr22\t100\t200\tG1\n")
    with pytest.raises(InputError, match="expected a strand") as err:
        normalize_annotation(path, "genes", {"chr22": 1000}, tmp_path / "out.bed")
    assert err.value.line == 1 and not (tmp_path / "out.bed").exists()


def test_a_gff3_without_the_needed_features_says_which_it_needs(tmp_path):
    from deepcons.annotations import normalize_annotation

    mature_only = "##gff-version 3\nchr22\t.\tmiRNA\t100\t121\t.\t+\t.\tName=hsa-miR-1\n"
    path = write(tmp_path / "mirna.gff3", mature_only)
    with pytest.raises(InputError, match="has no miRNA_primary_transcript features"):
        normalize_annotation(path, "mirna", {"chr22": 1000}, tmp_path / "out.bed")
    assert not (tmp_path / "out.bed").exists()


def test_unaccepted_format_names_the_config_key_it_was_given_as(tmp_path):
    with pytest.raises(InputError, match="not accepted for interpret.bed"):
        read_records(write(tmp_path / "y", GTF), "conserved", label="interpret.bed")
