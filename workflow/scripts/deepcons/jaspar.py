"""Known motifs from JASPAR, through the pyjaspar package (its databases ship inside it)."""

from __future__ import annotations

import numpy as np

from .meme_io import Motif


def jaspar_motifs(
    release: str = "JASPAR2024", collection: str = "CORE", tax_group: str | None = "vertebrates"
) -> list[Motif]:
    """The non-redundant set (latest version of each matrix) of a JASPAR release.

    Raises ValueError for a release pyjaspar does not have.
    """
    from pyjaspar import jaspardb

    releases = jaspardb().get_releases()
    if release not in releases:
        raise ValueError(
            f"JASPAR release {release!r} is not available; pyjaspar has {', '.join(releases)}"
        )
    db = jaspardb(release=release)
    groups = [tax_group] if tax_group else None
    fetched = db.fetch_motifs(collection=collection, tax_group=groups, all_versions=False)
    motifs = []
    for m in sorted(fetched, key=lambda m: m.matrix_id):
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float).T  # (width, 4)
        sums = counts.sum(axis=1, keepdims=True)
        motifs.append(
            Motif(
                m.matrix_id,
                counts / sums,
                alt=m.name,
                nsites=float(sums.max()),
                url=f"https://jaspar.elixir.no/matrix/{m.matrix_id}/",
            )
        )
    return motifs
