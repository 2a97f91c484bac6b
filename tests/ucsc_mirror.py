"""The embedded demo rewritten in the formats UCSC and miRBase serve for hg19, and the
embedded sample of the DeepCons release split as it is released, laid out under the same URL
paths, so that config/hg19.yaml and config/published.yaml can run against a local server."""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urlparse

from workflow_runner import DEMO, REPO


def _bed(name):
    return [line.split("\t") for line in (DEMO / name).read_text().splitlines() if line.strip()]


def _gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write(text)


def phastcons_table() -> str:
    return "".join(f"585\t{c}\t{s}\t{e}\t{n}\t{sc}\n" for c, s, e, n, sc in _bed("conserved.bed"))


def rmsk_table() -> str:
    return "".join(
        f"585\t100\t10\t0\t0\t{c}\t{s}\t{e}\t-1\t+\tRep{i}\tLINE\tL2\t1\t100\t0\t{i}\n"
        for i, (c, s, e) in enumerate(_bed("repeats.bed"))
    )


def refgene_table() -> str:
    """genePred rows: a gene's coding exons become its exons and its CDS spans them."""
    exons = _bed("coding_exons.bed")
    rows = []
    for i, (chrom, start, end, name, _, strand) in enumerate(_bed("genes.bed")):
        start, end = int(start), int(end)
        inside = sorted(
            {
                (int(s), int(e))
                for c, s, e, *_ in exons
                if c == chrom and int(s) >= start and int(e) <= end
            }
        )
        merged = []
        for s, e in inside:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        if merged:
            cds_start, cds_end = merged[0][0], merged[-1][1]
        else:
            merged, cds_start, cds_end = [[start, end]], end, end
        starts = ",".join(str(s) for s, _ in merged) + ","
        ends = ",".join(str(e) for _, e in merged) + ","
        rows.append(
            f"585\tNM_{i}\t{chrom}\t{strand}\t{start}\t{end}\t{cds_start}\t{cds_end}\t{len(merged)}\t"
            f"{starts}\t{ends}\t0\t{name}\tcmpl\tcmpl\t{'0,' * len(merged)}\n"
        )
    return "".join(rows)


def _release_splits() -> dict[str, str]:
    """resources/samples/sample_tr.seq cut into train, valid and test (4,000, 500, 500 rows)."""
    rows = (REPO / "resources/samples/sample_tr.seq").read_text().splitlines(keepends=True)
    return {
        "train": "".join(rows[:4000]),
        "valid": "".join(rows[4000:4500]),
        "test": "".join(rows[4500:]),
    }


def _configured_urls(config: dict) -> dict[str, str]:
    """Input key (sequences.train, genome...) -> its URL, for the inputs given as URLs."""
    inputs = dict(config["input"])
    inputs.update({f"sequences.{k}": v for k, v in inputs.pop("sequences", {}).items()})
    return {k: v for k, v in inputs.items() if isinstance(v, str) and "://" in v}


def build_mirror(root: Path, config: dict) -> None:
    """Write the files that the config's input URLs name, under their URL paths in ``root``."""
    contents = {
        "genome": gzip.compress((DEMO / "genome.fa").read_bytes()),
        "conserved": phastcons_table(),
        "repeats": rmsk_table(),
        "genes": refgene_table(),
        "mirna": (DEMO / "mirna.gff3").read_text(),
    }
    contents.update({f"sequences.{k}": v for k, v in _release_splits().items()})
    for key, url in _configured_urls(config).items():
        content = contents[key]
        path = root / urlparse(url).path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif path.suffix == ".gz":
            _gz(path, content)
        else:
            path.write_text(content)


def point_to(config: dict, base_url: str) -> dict:
    """The same config with every input URL's scheme and host replaced by ``base_url``."""
    for key, url in _configured_urls(config).items():
        section, _, name = key.rpartition(".")
        inputs = config["input"][section] if section else config["input"]
        inputs[name] = base_url + urlparse(url).path
    return config
