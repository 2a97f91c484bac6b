"""Rule extract_windows: windows centred on TSSs, TESs or miRNA hairpins, as FASTA."""

from deepcons.atomic import atomic_open
from deepcons.errors import InputError
from deepcons.genome import Genome, read_sizes
from deepcons.logs import log, run_rule
from deepcons.windows import drop_gap_windows, make_windows, read_bed6, window_codes, write_windows


def main(smk):
    anchor = smk.wildcards.anchor
    windows, counts = make_windows(
        read_bed6(smk.input.anchors), anchor, smk.params.width, read_sizes(smk.input.sizes)
    )
    windows, counts["overlaps_gap"] = drop_gap_windows(windows, smk.input.gaps)
    counts["windows"] = len(windows)
    log.info("%s windows: %s", anchor, counts)
    if not windows:
        raise InputError(
            f"no {anchor} window of {smk.params.width} bp fits the genome ({counts})",
            smk.input.anchors,
        )
    with Genome(smk.input.genome) as genome:
        codes = window_codes(genome, windows)
    write_windows(windows, codes, smk.output.fasta, smk.output.table)
    with atomic_open(smk.output.counts) as out:
        out.write("anchor\t" + "\t".join(counts) + "\n")
        out.write(f"{anchor}\t" + "\t".join(str(v) for v in counts.values()) + "\n")


run_rule(main, snakemake)
