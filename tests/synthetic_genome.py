"""A small synthetic genome in the workflow's input formats, with known biology planted.

- Conserved elements (a UCSC phastConsElements table) carry sites of four real JASPAR
  motifs, the paper's four: CTCF, JUND, RFX3 and MEF2A.
- Genes (GTF, CDS in the middle exon): a CTCF site 15-30 bp upstream of most TESs on the
  gene's strand (CTCF is not palindromic, so a kernel sees it on one genome strand), a MEF2A
  site upstream of most TSSs on a random strand, and RFX3 sites at random places around both.
- Repeats (UCSC rmsk), miRNA hairpins (miRBase GFF3), an assembly gap, a gzipped FASTA.
- A VCF of variants that hit planted sites, and ones that cannot be scored.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PLANTED = {"CTCF": "MA0139.2", "JUND": "MA0492.2", "RFX3": "MA0798.3", "MEF2A": "MA0052.5"}
TES_MOTIF, TSS_MOTIF, RANDOM_MOTIF = "CTCF", "MEF2A", "RFX3"
LETTERS = np.array(list("ACGT"))


@dataclass
class Truth:
    gene_strands: list[str] = field(default_factory=list)  # "+" or "-", one a gene

    def fraction_forward(self) -> float:
        return self.gene_strands.count("+") / len(self.gene_strands)


def jaspar_probs() -> dict[str, np.ndarray]:
    from pyjaspar import jaspardb

    db = jaspardb(release="JASPAR2024")
    out = {}
    for name, matrix_id in PLANTED.items():
        m = db.fetch_motif_by_id(matrix_id)
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
        out[name] = counts / counts.sum(axis=1, keepdims=True)
    return out


def sample_site(rng, probs: np.ndarray, sharpen: float = 3.0) -> np.ndarray:
    """A site drawn column by column from a sharpened PWM (closer to the consensus)."""
    p = probs**sharpen
    p /= p.sum(axis=1, keepdims=True)
    return np.array([rng.choice(4, p=row) for row in p], dtype=np.uint8)


def rc(codes: np.ndarray) -> np.ndarray:
    return (3 - codes)[::-1]


class _Occupancy:
    """Keeps planted features from overlapping each other."""

    def __init__(self, sizes):
        self.used = {c: np.zeros(n, bool) for c, n in sizes.items()}

    def free(self, chrom, start, end) -> bool:
        return start >= 0 and end <= len(self.used[chrom]) and not self.used[chrom][start:end].any()

    def take(self, chrom, start, end) -> None:
        self.used[chrom][start:end] = True


def build(root: Path, seed: int = 0, n_elements: int = 2400) -> tuple[dict, Truth]:
    """Write the inputs under ``root``; return a workflow config (paths relative to root) and the truth."""
    rng = np.random.default_rng(seed)
    motifs = jaspar_probs()
    sizes = {"chr1": 1_500_000, "chr2": 1_100_000}
    genome = {
        c: rng.choice(4, size=n, p=[0.29, 0.21, 0.21, 0.29]).astype(np.uint8)
        for c, n in sizes.items()
    }
    occupied = _Occupancy(sizes)
    truth = Truth()
    gap = ("chr2", 1_050_000, 1_070_000)
    occupied.take(*gap)

    def plant(chrom, start, site):
        genome[chrom][start : start + len(site)] = site

    # genes: TSS/TES windows (4 kb) never overlap another gene's
    gtf, genes = [], []
    for chrom, n_genes in (("chr1", 110), ("chr2", 70)):
        pos = 5_000
        for g in range(n_genes):
            length = int(rng.integers(3_000, 5_000))
            start, end = pos, pos + length
            strand = "+" if rng.random() < 0.5 else "-"
            genes.append((chrom, start, end, strand, f"G{chrom[-1]}_{g}"))
            occupied.take(chrom, start - 2_100, end + 2_100)
            pos = end + int(rng.integers(6_000, 8_000))
    for chrom, start, end, strand, name in genes:
        truth.gene_strands.append(strand)
        tss, tes = (start, end - 1) if strand == "+" else (end - 1, start)
        upstream = -1 if strand == "+" else 1  # direction of "upstream" in genome coordinates
        if rng.random() < 0.9:  # CTCF 15-30 bp upstream of the TES, on the gene's strand
            site = sample_site(rng, motifs[TES_MOTIF])
            d = int(rng.integers(15, 31))
            first = tes - d - len(site) + 1 if strand == "+" else tes + d
            plant(chrom, first, site if strand == "+" else rc(site))
        if rng.random() < 0.9:  # MEF2A upstream of the TSS, either strand
            site = sample_site(rng, motifs[TSS_MOTIF])
            d = int(rng.integers(10, 41))
            first = tss + upstream * d - (len(site) - 1 if strand == "+" else 0)
            plant(chrom, first, site if rng.random() < 0.5 else rc(site))
        for anchor in (tss, tes):  # RFX3 anywhere in the window
            if rng.random() < 0.6:
                site = sample_site(rng, motifs[RANDOM_MOTIF])
                first = anchor + int(rng.integers(-1_900, 1_900))
                plant(chrom, first, site if rng.random() < 0.5 else rc(site))
        middle = (start + end) // 2
        exons = [(start, start + 300), (middle - 150, middle + 150), (end - 400, end)]
        tid = f"T_{name}"
        attrs = f'gene_id "{name}"; transcript_id "{tid}"; gene_name "{name}";'
        gtf.append(f"{chrom}\tsynthetic\ttranscript\t{start + 1}\t{end}\t.\t{strand}\t.\t{attrs}")
        for s, e in exons:
            gtf.append(f"{chrom}\tsynthetic\texon\t{s + 1}\t{e}\t.\t{strand}\t.\t{attrs}")
        s, e = exons[1]
        gtf.append(f"{chrom}\tsynthetic\tCDS\t{s + 1}\t{e}\t.\t{strand}\t0\t{attrs}")

    # conserved elements with planted motif sites, away from genes and their windows
    elements = []
    names = list(PLANTED)
    while len(elements) < n_elements:
        chrom = "chr1" if rng.random() < 0.55 else "chr2"
        length = int(rng.integers(50, 181))
        start = int(rng.integers(0, sizes[chrom] - length))
        if not occupied.free(chrom, start - 20, start + length + 20):
            continue
        occupied.take(chrom, start - 20, start + length + 20)
        # one site an element: two neighbouring sites would teach wide kernels chimeras
        name = names[len(elements) % 4]
        site = sample_site(rng, motifs[name])
        first = start + int(rng.integers(0, length - len(site) + 1))
        plant(chrom, first, site if rng.random() < 0.5 else rc(site))
        elements.append((chrom, start, start + length))
    elements.sort()

    repeats = []
    while len(repeats) < 250:
        chrom = "chr1" if rng.random() < 0.55 else "chr2"
        length = int(rng.integers(300, 1_500))
        start = int(rng.integers(0, sizes[chrom] - length))
        if occupied.free(chrom, start, start + length):
            occupied.take(chrom, start, start + length)
            repeats.append((chrom, start, start + length))
    repeats.sort()

    hairpins = []
    while len(hairpins) < 25:
        chrom = "chr1" if rng.random() < 0.55 else "chr2"
        start = int(rng.integers(3_000, sizes[chrom] - 3_000))
        if occupied.free(chrom, start, start + 80):
            occupied.take(chrom, start, start + 80)
            hairpins.append(
                (
                    chrom,
                    start,
                    start + 80,
                    "+" if rng.random() < 0.5 else "-",
                    f"syn-mir-{len(hairpins) + 1}",
                )
            )
    hairpins.sort()

    genome["chr2"][gap[1] : gap[2]] = 4
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    text = "".join(f">{c}\n" + "".join(np.array(list("ACGTN"))[genome[c]]) + "\n" for c in sizes)
    with gzip.open(root / "genome.fa.gz", "wt") as out:
        out.write(text)
    with gzip.open(root / "phastConsElements.txt.gz", "wt") as out:
        out.writelines(
            f"585\t{c}\t{s}\t{e}\tlod={100 + i % 300}\t{400 + i % 500}\n"
            for i, (c, s, e) in enumerate(elements)
        )
    with gzip.open(root / "rmsk.txt.gz", "wt") as out:
        out.writelines(
            f"585\t500\t100\t5\t5\t{c}\t{s}\t{e}\t-1\t+\tL1syn{i}\tLINE\tL1\t1\t{e - s}\t0\t{i + 1}\n"
            for i, (c, s, e) in enumerate(repeats)
        )
    (root / "genes.gtf").write_text("\n".join(gtf) + "\n")
    gff = ["##gff-version 3"]
    for i, (c, s, e, strand, name) in enumerate(hairpins):
        gff.append(
            f"{c}\t.\tmiRNA_primary_transcript\t{s + 1}\t{e}\t.\t{strand}\t.\tID=MI{i:07d};Alias=MI{i:07d};Name={name}"
        )
        gff.append(
            f"{c}\t.\tmiRNA\t{s + 11}\t{s + 32}\t.\t{strand}\t.\tID=MIMAT{i:07d};Name={name}-5p;Derives_from=MI{i:07d}"
        )
    (root / "mirna.gff3").write_text("\n".join(gff) + "\n")
    write_vcf(root / "variants.vcf", genome, elements, rng)
    write_known_motifs(root / "known_motifs.meme")
    config = {
        "input": {
            "genome": "genome.fa.gz",
            "conserved": "phastConsElements.txt.gz",
            "repeats": "rmsk.txt.gz",
            "genes": "genes.gtf",
            "mirna": "mirna.gff3",
        },
        "dataset": {"pad_length": 200, "spacer_length": 10, "max_length": 200},
        "model": {
            "kernels": {10: 64, 20: 24},
            "hidden": 32,
            "dropout_conv": 0.1,
            "dropout_hidden": 0.2,
        },
        "train": {
            "batch_size": 64,
            "max_epochs": 40,
            "patience": 6,
            "learning_rate": 0.05,
            "threads": 2,
        },
        "motifs": {"top_figures": 8, "database": "known_motifs.meme"},
        "positional": {"window": 4000, "mirna_window": 1000, "top_kernels": 20},
        "interpret": {
            "saliency_count": 10,
            "ism_count": 2,
            "vcf": "variants.vcf",
            "variant_window": 200,
        },
    }
    return config, truth


def write_known_motifs(path: Path, decoys: int = 96) -> None:
    """The four planted motifs among ``decoys`` other JASPAR CORE vertebrate motifs.

    A database of a hundred motifs keeps the E-values of a small test model's kernels
    (E = p x number of targets) comparable with the paper's 1,500 kernels against all of
    JASPAR, and TOMTOM fast.
    """
    from deepcons.jaspar import jaspar_motifs
    from deepcons.meme_io import write_meme

    motifs = jaspar_motifs("JASPAR2024")
    planted = [m for m in motifs if m.id in PLANTED.values()]
    others = [m for m in motifs if m.id not in PLANTED.values()]
    step = len(others) // decoys
    write_meme(path, planted + others[::step][:decoys])


def write_vcf(path: Path, genome: dict, elements, rng) -> None:
    letters = "ACGT"
    lines = ["##fileformat=VCFv4.2"] + [
        f"##contig=<ID={c},length={len(s)}>" for c, s in genome.items()
    ]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    records = []
    for i, (chrom, start, end) in enumerate(elements[:: max(1, len(elements) // 40)][:40]):
        pos = (start + end) // 2
        ref = letters[genome[chrom][pos]]
        alt = letters[(genome[chrom][pos] + 1 + int(rng.integers(0, 3))) % 4]
        records.append((chrom, pos + 1, f"snv{i}", ref, alt))
    chrom, start, end = elements[0]
    ref = letters[genome[chrom][start + 3]]
    wrong = letters[(genome[chrom][start + 3] + 1) % 4]
    records.append((chrom, start + 4, "ref_mismatch", wrong, ref))
    records.append(("chrUn", 100, "no_such_chromosome", "A", "G"))
    chrom, start, end = elements[1]
    ref = letters[genome[chrom][start + 5]]
    records.append(
        (chrom, start + 6, "multiallelic", ref, ",".join(b for b in letters if b != ref))
    )
    records.sort(key=lambda r: (r[0], r[1]))
    lines += [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t." for c, p, i, r, a in records]
    path.write_text("\n".join(lines) + "\n")
