"""Rule fetch_known_motifs: a JASPAR release (from pyjaspar, offline) as one MEME file."""

from deepcons.errors import InputError
from deepcons.jaspar import jaspar_motifs
from deepcons.logs import log, run_rule
from deepcons.meme_io import write_meme


def main(smk):
    p = smk.params
    try:
        motifs = jaspar_motifs(p.release, p.collection, p.tax_group)
    except ValueError as err:
        raise InputError(str(err), "config motifs.database") from None
    if not motifs:
        raise InputError(f"no {p.collection} {p.tax_group} motifs in {p.release}", "config motifs")
    write_meme(smk.output.meme, motifs)
    log.info("%d motifs of %s %s %s", len(motifs), p.release, p.collection, p.tax_group)


run_rule(main, snakemake)
