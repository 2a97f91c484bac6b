"""The paper's interval operations, done by bedtools through pybedtools.

Conserved set (section 5.2): flank every phastCons element by 5 bp, merge overlaps, drop
elements that overlap repeats or coding exons, keep lengths in [30, 1000].

Background set: the conserved intervals shuffled by ``bedtools shuffle`` away from repeats,
coding exons, conserved elements and assembly gaps, without overlaps among themselves.
Intervals stay on their chromosome (``-chrom``): bedtools 2.30 honours ``-maxTries`` only
with ``-chrom`` or ``-chromFirst`` and otherwise loops forever on an interval that cannot be
placed, and ``-chrom`` keeps each chromosome's share of the set (``-chromFirst`` would
over-sample small chromosomes).
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class StepCounts:
    """Number of intervals and bases after each step, for the dataset summary."""

    rows: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, step: str, bedtool) -> None:
        n, bases = bed_count(bedtool)
        self.rows.append((step, n, bases))
        log.info("%-28s %10d intervals %14d bp", step, n, bases)

    def add_intervals(self, step: str, intervals: list[tuple[str, int, int]]) -> None:
        self.rows.append((step, len(intervals), sum(e - s for _, s, e in intervals)))
        log.info("%-28s %10d intervals %14d bp", step, *self.rows[-1][1:])

    def to_tsv(self) -> str:
        lines = ["step\tintervals\tbases"] + [f"{s}\t{n}\t{b}" for s, n, b in self.rows]
        return "\n".join(lines) + "\n"


def bed_count(bedtool) -> tuple[int, int]:
    n = bases = 0
    for interval in bedtool:
        n += 1
        bases += interval.end - interval.start
    return n, bases


def bedtool(path_or_records):
    import pybedtools

    if isinstance(path_or_records, str | os.PathLike):
        return pybedtools.BedTool(str(path_or_records))
    return pybedtools.BedTool(path_or_records)


def _saved(bt):
    """Materialise a BedTool into a temporary file (so it can be iterated more than once)."""
    return bt.saveas()


def build_conserved_set(
    conserved, repeats, coding_exons, sizes_file, flank=5, min_length=30, max_length=1000
):
    """Conserved intervals after the paper's filters, with counts after each step.

    Parameters
    ----------
    conserved, repeats, coding_exons : BED paths (sorted), or BedTools.
    sizes_file : chromosome sizes (``name<TAB>length``) of the selected chromosomes.

    Returns
    -------
    (BedTool of chrom/start/end, StepCounts)
    """
    steps = StepCounts()
    elements = _saved(bedtool(conserved).cut([0, 1, 2]).sort())
    steps.add("conserved_elements", elements)
    flanked = _saved(elements.slop(b=flank, g=str(sizes_file)).sort())
    steps.add(f"flanked_{flank}bp", flanked)
    merged = _saved(flanked.merge())
    steps.add("merged", merged)
    no_repeats = _saved(merged.intersect(bedtool(repeats), v=True))
    steps.add("without_repeats", no_repeats)
    no_coding = _saved(no_repeats.intersect(bedtool(coding_exons), v=True))
    steps.add("without_coding_exons", no_coding)
    sized = _saved(no_coding.filter(lambda i: min_length <= i.end - i.start <= max_length))
    steps.add(f"length_{min_length}_{max_length}", sized)
    return sized, steps


def merged_exclusions(exclusions):
    """One merged BedTool of the first three columns of several BED files or BedTools.

    Sorted by ``sort`` on disk, in bounded memory, then merged by ``bedtools merge``, which
    streams sorted input: hg19's 11.6 M exclusion intervals (repeats, phastCons elements...)
    would take 3.7 GB in ``bedtools sort``.
    """
    import pybedtools

    files = [bedtool(e).fn for e in exclusions]
    sorted_fn = pybedtools.BedTool._tmp()
    env = {**os.environ, "LC_ALL": "C"}  # byte order of names, as bedtools sorts them
    with open(sorted_fn, "w") as out:
        cut = subprocess.Popen(
            ["cut", "-f1-3", *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sort = subprocess.run(
            ["sort", "-k1,1", "-k2,2n", "-S", "512M", "-T", os.path.dirname(sorted_fn)],
            stdin=cut.stdout,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        cut.stdout.close()
        cut_errors = cut.stderr.read()
        if cut.wait() or sort.returncode:
            raise RuntimeError(
                f"sorting the exclusion intervals failed: {(cut_errors + sort.stderr).strip()}"
            )
    return pybedtools.BedTool(sorted_fn).merge()


def _only_unplaced_messages(stderr: str) -> bool:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return all(line.startswith("Error, line") and "Ignoring entry" in line for line in lines)


def shuffle_background(intervals, exclusions, sizes_file, random_state=1, max_tries=1000):
    """Shuffle ``intervals`` over the genome avoiding ``exclusions`` and each other.

    Parameters
    ----------
    intervals : BED path or BedTool of the conserved set.
    exclusions : list of BED paths or BedTools (repeats, coding exons, conserved elements,
        gaps); merged into one exclusion set.
    random_state : int, bedtools' ``-seed``: the same seed and inputs give the same placement.

    Returns
    -------
    (BedTool sorted, number of intervals that could not be placed)
    """
    import pybedtools
    from pybedtools import helpers

    excl = _saved(merged_exclusions(exclusions))
    source = _saved(bedtool(intervals).cut([0, 1, 2]))
    n_in, _ = bed_count(source)
    # Called through pybedtools' runner rather than BedTool.shuffle, which takes bedtools'
    # per-interval "could not place" messages for a fatal error.
    out = pybedtools.BedTool._tmp()
    cmds = ["shuffleBed", "-i", source.fn, "-g", str(sizes_file), "-excl", excl.fn]
    cmds += ["-chrom", "-noOverlapping", "-seed", str(random_state), "-maxTries", str(max_tries)]
    helpers.call_bedtools(cmds, out, check_stderr=_only_unplaced_messages)
    shuffled = pybedtools.BedTool(out)
    placed = _saved(shuffled.sort())
    n_out, _ = bed_count(placed)
    return placed, n_in - n_out
