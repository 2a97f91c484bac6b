"""Flank/merge/filter edge cases and the background shuffle, with real bedtools."""

import os
import random

import pybedtools
import pytest

from deepcons.intervals import build_conserved_set, merged_exclusions, shuffle_background


@pytest.fixture
def beds(tmp_path):
    def make(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return make


def intervals(bt):
    return [(i.chrom, i.start, i.end) for i in bt]


def test_flank_merge_filter_edge_cases(beds):
    sizes = beds("sizes", "c1\t10000\nc2\t500\n")
    conserved = beds(
        "cons.bed",
        "\n".join(
            [
                "c1\t100\t130",  # flanked to 95-135 ...
                "c1\t138\t160",  # ... flanked to 133-165: overlaps the first, merged to 95-165
                "c1\t300\t310",  # 295-315: 20 bp, shorter than 30 after flanking -> dropped
                "c1\t400\t420",  # 395-425 = 30 bp: kept (the bound is inclusive)
                "c1\t1000\t1100",  # touches a repeat after flanking -> dropped
                "c1\t2000\t2100",  # overlaps a coding exon -> dropped
                "c1\t3000\t3991",  # 2995-3996 = 1001 bp: longer than 1000 -> dropped
                "c1\t5000\t5990",  # 4995-5995 = 1000 bp: kept
                "c2\t2\t40",  # flank clipped at the chromosome start: 0-45
                "",
            ]
        ),
    )
    repeats = beds("rep.bed", "c1\t1104\t1200\n")
    coding = beds("cds.bed", "c1\t2050\t2060\n")
    result, steps = build_conserved_set(
        conserved, repeats, coding, sizes, flank=5, min_length=30, max_length=1000
    )
    assert intervals(result) == [
        ("c1", 95, 165),
        ("c1", 395, 425),
        ("c1", 4995, 5995),
        ("c2", 0, 45),
    ]
    counts = {name: n for name, n, _ in steps.rows}
    assert counts == {
        "conserved_elements": 9,
        "flanked_5bp": 9,
        "merged": 8,
        "without_repeats": 7,
        "without_coding_exons": 6,
        "length_30_1000": 4,
    }


def test_no_flank(beds):
    sizes = beds("sizes", "c1\t1000\n")
    conserved = beds("cons.bed", "c1\t100\t130\nc1\t130\t170\n")  # book-ended: merged by bedtools
    empty = beds("empty.bed", "")
    result, _ = build_conserved_set(
        conserved, empty, empty, sizes, flank=0, min_length=1, max_length=1000
    )
    assert intervals(result) == [("c1", 100, 170)]


def test_shuffle_honours_exclusions_and_no_overlaps(beds):
    sizes = beds("sizes", "c1\t20000\nc2\t20000\n")
    elements = "".join(
        f"c{1 + i % 2}\t{1000 + 300 * i}\t{1000 + 300 * i + 50 + i}\n" for i in range(40)
    )
    conserved = beds("cons.bed", elements)
    repeats = beds("rep.bed", "c1\t0\t8000\nc2\t12000\t20000\n")
    gaps = beds("gaps.bed", "c1\t15000\t16000\n")
    coding = beds("cds.bed", "c2\t0\t2000\n")
    placed, unplaced = shuffle_background(
        conserved, [repeats, gaps, coding, conserved], sizes, random_state=7
    )
    assert unplaced == 0
    placed = intervals(placed)
    assert len(placed) == 40
    # same lengths and chromosomes as the input (multiset)
    source = [tuple(line.split("\t")) for line in elements.splitlines()]
    assert sorted((c, int(e) - int(s)) for c, s, e in source) == sorted(
        (c, e - s) for c, s, e in placed
    )
    bt = pybedtools.BedTool(placed)
    for excluded in (repeats, gaps, coding, conserved):
        assert len(bt.intersect(excluded, u=True)) == 0
    # no overlaps among the shuffled intervals
    assert len(bt.sort().merge(d=-1)) == 40


def test_shuffle_is_seeded_and_reports_unplaced(beds):
    sizes = beds("sizes", "c1\t1000\n")
    conserved = beds("cons.bed", "c1\t0\t20\nc1\t100\t105\nc1\t200\t205\nc1\t300\t305\n")
    excl = beds(
        "excl.bed", "c1\t0\t985\n"
    )  # room for at most three 5 bp intervals, never for 20 bp
    first, unplaced = shuffle_background(conserved, [excl], sizes, random_state=3, max_tries=2000)
    second, _ = shuffle_background(conserved, [excl], sizes, random_state=3, max_tries=2000)
    assert intervals(first) == intervals(second)
    assert unplaced >= 1 and len(intervals(first)) + unplaced == 4
    assert all(s >= 985 for _, s, _ in intervals(first))
    # and the seed is passed on: another one places the same intervals elsewhere
    free = beds("free.bed", "c1\t0\t1\n")
    placements = {
        seed: intervals(shuffle_background(conserved, [free], sizes, random_state=seed)[0])
        for seed in (3, 4)
    }
    assert placements[3] != placements[4]


def test_merged_exclusions_sort_and_merge_mixed_files(beds):
    """BED3 and BED6 files in any order -> their union as merged BED3 (bedtools' own answer),
    names in byte order (chr1 < chr10 < chr2 < chrX)."""
    rng = random.Random(5)
    names = ["chr2", "chr10", "chr1", "chrX", "chr1_gl000191_random"]
    files, everything = [], []
    for k in range(4):
        rows = []
        for _ in range(300):
            chrom, start = rng.choice(names), rng.randrange(0, 50_000)
            rows.append((chrom, start, start + rng.randrange(1, 400)))
        everything += rows
        extra = "\tx\t0\t+" if k % 2 else ""  # BED6 next to BED3
        files.append(beds(f"part{k}.bed", "".join(f"{c}\t{s}\t{e}{extra}\n" for c, s, e in rows)))
    merged = intervals(merged_exclusions(files))
    expected = intervals(pybedtools.BedTool(everything).sort().merge())
    assert merged == expected
    assert [c for c, _, _ in merged] == sorted(c for c, _, _ in merged)
    assert len(merged) < len(everything)


def test_merged_exclusions_name_an_unreadable_file(beds):
    present = beds("present.bed", "c1\t0\t10\n")
    gone = pybedtools.BedTool(beds("gone.bed", "c1\t5\t20\n"))
    os.remove(gone.fn)  # after pybedtools checked it: only cut finds out
    with pytest.raises(RuntimeError, match="gone.bed"):
        merged_exclusions([present, gone])
