"""Dataset-stage throughput on synthetic genomes of growing size, extrapolated to hg19.

    .venv/bin/python bench/dataset.py [--sizes 10 50 200] [--keep DIR]

For each size (Mb) it writes a random genome with hg19's densities of phastCons elements,
repeats and coding exons (per Mb of genome), runs ``snakemake dataset`` on it, and reads the
time of every rule from Snakemake's benchmark files. It prints sequences per second, fits
time = a + b * size for every rule, and extrapolates to hg19 (3,100 Mb, about 1.8 M
sequences). Target: under 15 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
HG19_MB = 3100
# hg19 tables per Mb: phastConsElements46wayPlacental ~5.2 M rows, rmsk ~5.3 M, CDS exons ~0.2 M
ELEMENTS_PER_MB, REPEATS_PER_MB, EXONS_PER_MB = 1700, 1700, 65
CHROM_MB = 50  # chromosome size


def write_inputs(root: Path, size_mb: int, rng) -> dict:
    n_chrom = max(1, size_mb // CHROM_MB)
    chrom_len = size_mb * 1_000_000 // n_chrom
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(root / "genome.fa", "wb") as out:
        for c in range(n_chrom):
            seq = letters[rng.integers(0, 4, chrom_len)]
            seq[chrom_len // 2 : chrom_len // 2 + 50_000] = ord("N")  # an assembly gap
            out.write(f">chr{c + 1}\n".encode())
            lines = seq[: chrom_len // 60 * 60].reshape(-1, 60)
            out.write(np.hstack([lines, np.full((len(lines), 1), 10, np.uint8)]).tobytes())
            tail = seq[chrom_len // 60 * 60 :]
            if tail.size:
                out.write(tail.tobytes() + b"\n")

    def intervals(n, low, high):
        chrom = rng.integers(0, n_chrom, n)
        length = rng.integers(low, high, n)
        start = rng.integers(0, chrom_len - high, n)
        order = np.lexsort((start, chrom))
        return chrom[order], start[order], (start + length)[order]

    c, s, e = intervals(size_mb * ELEMENTS_PER_MB, 8, 400)
    with open(root / "phastcons.txt", "w") as out:
        out.writelines(
            f"585\tchr{ci + 1}\t{si}\t{ei}\tlod=50\t400\n"
            for ci, si, ei in zip(c, s, e, strict=True)
        )
    c, s, e = intervals(size_mb * REPEATS_PER_MB, 50, 600)
    with open(root / "rmsk.txt", "w") as out:
        out.writelines(
            f"585\t300\t10\t0\t0\tchr{ci + 1}\t{si}\t{ei}\t-1\t+\tAluY\tSINE\tAlu\t1\t{ei - si}\t0\t{i}\n"
            for i, (ci, si, ei) in enumerate(zip(c, s, e, strict=True))
        )
    c, s, e = intervals(size_mb * EXONS_PER_MB, 50, 300)
    with open(root / "cds.bed", "w") as out:
        out.writelines(f"chr{ci + 1}\t{si}\t{ei}\n" for ci, si, ei in zip(c, s, e, strict=True))
    return {
        "input": {
            "genome": "genome.fa",
            "conserved": "phastcons.txt",
            "repeats": "rmsk.txt",
            "coding_exons": "cds.bed",
        },
    }


def run(size_mb: int, workdir: Path) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_inputs(workdir, size_mb, np.random.default_rng(size_mb))
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "dataset",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
    ]
    cmd += ["--cores", "2", "--configfile", str(workdir / "config.yaml"), "--quiet"]
    start = time.monotonic()
    done = subprocess.run(
        cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"snakemake failed on {size_mb} Mb:\n{done.stderr[-3000:]}")
    times = {"total (wall)": time.monotonic() - start}
    for path in sorted((workdir / "benchmarks").rglob("*.tsv")):
        rows = path.read_text().splitlines()
        times[str(path.relative_to(workdir / "benchmarks").with_suffix(""))] = float(
            rows[1].split("\t")[0]
        )
    info = yaml.safe_load((workdir / "results/dataset/dataset.json").read_text())
    times["sequences"] = sum(v["n"] for v in info["splits"].values())
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10, 50, 200], help="genome sizes in Mb"
    )
    parser.add_argument("--keep", type=Path, help="keep the runs under this folder")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for size in args.sizes:
            results[size] = run(size, base / f"{size}Mb")
            r = results[size]
            print(
                f"{size:5d} Mb: {int(r['sequences']):9,d} sequences in {r['total (wall)']:7.1f} s "
                f"({r['sequences'] / r['total (wall)']:,.0f} seq/s)",
                flush=True,
            )
    sizes = np.array(args.sizes, dtype=float)
    steps = [k for k in results[args.sizes[0]] if k != "sequences"]
    print(f"\n{'step':38s}" + "".join(f"{s:>9d} Mb" for s in args.sizes) + f"{'hg19 (fit)':>14s}")
    hg19_total = 0.0
    for step in steps:
        t = np.array([results[s].get(step, 0.0) for s in args.sizes])
        slope, intercept = np.polyfit(sizes, t, 1) if len(sizes) > 1 else (t[0] / sizes[0], 0.0)
        projected = intercept + slope * HG19_MB
        if step != "total (wall)":
            hg19_total += projected
        print(f"{step:38s}" + "".join(f"{x:11.1f}" for x in t) + f"{projected:13.0f} s")
    seqs = np.array([results[s]["sequences"] for s in args.sizes], dtype=float)
    hg19_seqs = np.polyval(np.polyfit(sizes, seqs, 1), HG19_MB)
    wall = np.array([results[s]["total (wall)"] for s in args.sizes])
    growth = np.polyfit(np.log(sizes), np.log(wall), 1)[0] if len(sizes) > 1 else float("nan")
    print(
        f"\ntime grows as size^{growth:.2f}; hg19: ~{hg19_seqs / 1e6:.2f} M sequences, "
        f"~{hg19_total / 60:.1f} min of rule time (target < 15 min)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
