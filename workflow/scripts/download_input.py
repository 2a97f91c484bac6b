"""Rule download_input: fetch a configured URL once into resources/downloads/."""

from deepcons.errors import InputError
from deepcons.fetch import DownloadError, download
from deepcons.logs import run_rule


def main(smk):
    try:
        download(smk.params.url, smk.output[0])
    except DownloadError as err:
        raise InputError(str(err), f"config {smk.params.label}") from None


run_rule(main, snakemake)
