"""Variant scoring throughput (``interpret.vcf``, ``deepcons score --vcf``): the streaming
scorer with the workflow's fused conv + global-max layer, against the same scorer with the
plain PyTorch layer, in the same run on the same weights.

    .venv/bin/python bench/variants.py [--records 20000] [--baseline-records 400] \
        [--window 100] [--device cpu|cuda]

A synthetic genome (two chromosomes of 500 kb) and an unsorted VCF of SNVs on it, scored by
the paper's model in hg19's layout; prints scored ALT alleles per second of both, the ratio,
the peak memory of the fused run, and checks that the two agree.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.encoding import Layout  # noqa: E402
from deepcons.genome import prepare_genome  # noqa: E402
from deepcons.model import build_model  # noqa: E402
from deepcons.variants import score_vcf  # noqa: E402

CHROM_LENGTH = 500_000


def synthetic_inputs(folder: Path, records: int, baseline_records: int, seed: int = 0):
    """genome.fa (prepared, indexed), a VCF of ``records`` SNVs in random order, and one of
    its first ``baseline_records``."""
    rng = np.random.default_rng(seed)
    chroms = {name: "".join(rng.choice(list("ACGT"), CHROM_LENGTH)) for name in ("chrA", "chrB")}
    (folder / "raw.fa").write_text("".join(f">{k}\n{v}\n" for k, v in chroms.items()))
    genome = folder / "genome.fa"
    prepare_genome(folder / "raw.fa", genome, folder / "sizes", folder / "gaps.bed")
    lines = []
    for i in range(records):
        name = "chrA" if rng.random() < 0.5 else "chrB"
        pos = int(rng.integers(1, CHROM_LENGTH + 1))
        ref = chroms[name][pos - 1]
        alt = "ACGT"[("ACGT".index(ref) + int(rng.integers(1, 4))) % 4]
        lines.append(f"{name}\t{pos}\tv{i}\t{ref}\t{alt}\t.\tPASS\t.\n")
    header = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    vcf, small_vcf = folder / "variants.vcf", folder / "first.vcf"
    vcf.write_text(header + "".join(lines))
    small_vcf.write_text(header + "".join(lines[:baseline_records]))
    return genome, vcf, small_vcf


def timed_scoring(model, vcf, genome, layout, window, outdir, device) -> tuple[float, np.ndarray]:
    """Scored alleles per second, and the table's ref and alt probabilities."""
    start = time.perf_counter()
    score_vcf(model, vcf, genome, layout, window, outdir, batch_size=256, device=device)
    seconds = time.perf_counter() - start
    table = np.loadtxt(outdir / "variants.tsv", skiprows=1, usecols=(7, 8), ndmin=2)
    return len(table) / seconds, table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument(
        "--baseline-records", type=int, default=400, help="records the plain layer scores"
    )
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    layout = Layout(1000, 20)
    hparams = {
        "kernels": {10: 1000, 20: 500},
        "hidden": 1500,
        "input_length": layout.width,
        "pad_length": layout.pad_length,
        "spacer_length": layout.spacer_length,
    }
    torch.manual_seed(0)
    fused = build_model(hparams).to(device).eval()
    plain = build_model(hparams, fast=False).to(device).eval()
    plain.load_state_dict(fused.state_dict())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        genome, vcf, small_vcf = synthetic_inputs(folder, args.records, args.baseline_records)
        ours, ours_table = timed_scoring(
            fused, vcf, genome, layout, args.window, folder / "ours", device
        )
        ours_small, ours_small_table = timed_scoring(
            fused, small_vcf, genome, layout, args.window, folder / "ours_small", device
        )
        ours_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base, base_table = timed_scoring(
            plain, small_vcf, genome, layout, args.window, folder / "plain", device
        )
    agree = np.allclose(ours_small_table, base_table, atol=1e-4)
    print(
        f"device {device}, {args.threads} threads, paper model (1,500 kernels), "
        f"{args.window}-bp windows in a {layout.width}-column input"
    )
    print(f"plain PyTorch layer: {base:10.1f} scored alleles/s ({len(base_table)} alleles)")
    print(f"fused layer:         {ours:10.1f} scored alleles/s ({len(ours_table)} alleles)")
    print(f"ratio: {ours / base:.1f}x; probabilities agree: {agree}")
    print(f"peak memory of this process before the plain layer ran: {ours_peak_mb:.0f} MB")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
