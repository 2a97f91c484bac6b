"""``deepcons score`` and ``deepcons saliency``: a trained model on your own sequences or variants.

    deepcons score --model results/train --fasta seqs.fa -o scores.tsv
    deepcons score --model results/train --bed regions.bed --genome hg19.fa -o scores.tsv
    deepcons score --model results/train --vcf variants.vcf.gz --genome hg19.fa -o outdir
    deepcons saliency --model results/train --fasta seqs.fa -o outdir

The same code as the workflow's interpret stage. The genome FASTA is plain or bgzip (its
.fai index is made beside it when missing); a VCF is plain, gzip or bgzip. The
model folder holds model.safetensors and model.json.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import sys
from pathlib import Path

from .errors import InputError

log = logging.getLogger("deepcons")

SEQUENCES_PER_CHUNK = 8192


def _int_at_least(smallest: int):
    """An argparse type: an integer of at least ``smallest``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < smallest:
            raise argparse.ArgumentTypeError(f"expected at least {smallest}, got {value}")
        return value

    return parse


def _parser(prog: str, what: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"deepcons {prog}",
        description=what,
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="folder with model.safetensors and model.json (or the .safetensors file)",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--fasta", help="sequences to score (FASTA)")
    source.add_argument("--bed", help="intervals of --genome to score (BED)")
    if prog == "score":
        source.add_argument(
            "--vcf", help="variants to score (VCF: plain, gzip or bgzip); needs --genome"
        )
        parser.add_argument(
            "--window",
            type=_int_at_least(2),
            default=None,
            help="genome window around each variant, in bp (default: 100, or the model's input "
            "if shorter: near the length of the training elements; a longer one dilutes the "
            "variant's effect)",
        )
    scoring = prog == "score"
    parser.add_argument(
        "--genome", help=f"genome FASTA (with --bed{' or --vcf' if scoring else ''})"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file (a folder with --vcf)" if scoring else "output folder",
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--batch-size", type=_int_at_least(1), default=256)
    if prog == "saliency":
        parser.add_argument(
            "--strands",
            default="both",
            choices=["both", "forward"],
            help="a base's score: its forward column plus its mirror in the reverse-complement "
            "half (both, the default), or the forward column alone (as the authors' scripts)",
        )
    return parser


def _load(args):
    from .devices import resolve_device
    from .modelio import load_model
    from .scoring import model_layout

    device = resolve_device(args.device)
    model, info = load_model(args.model, device=device)
    return model, model_layout(info), device


def _sequence_stream(args, layout):
    """(name, codes) of each sequence of --fasta, or of --bed on --genome."""
    from .scoring import bed_sequences, fasta_sequences

    if args.fasta:
        return fasta_sequences(args.fasta, layout.pad_length)
    if not args.genome:
        raise InputError("--bed needs --genome", "command line")
    return bed_sequences(args.bed, args.genome, layout.pad_length)


def _sequences(args, layout):
    from .scoring import names_and_codes

    return names_and_codes(_sequence_stream(args, layout))


def _run(function, argv, parser) -> int:
    from .logs import setup_logging

    args = parser.parse_args(argv)
    setup_logging()
    try:
        _check_files_exist(args)
        function(args)
    except InputError as err:
        print(f"deepcons: {err}", file=sys.stderr)
        return 1
    return 0


def _check_files_exist(args) -> None:
    """Every input named on the command line is there (before the model is loaded)."""
    for option in ("model", "fasta", "bed", "vcf", "genome"):
        path = getattr(args, option, None)
        if path is not None and not Path(path).exists():
            raise InputError(f"no such file or folder (--{option})", path)


def _score(args) -> None:
    from .atomic import atomic_open

    model, layout, device = _load(args)
    if args.vcf:
        if not args.genome:
            raise InputError("--vcf needs --genome", "command line")
        if args.window is not None and args.window > layout.pad_length:
            raise InputError(
                f"--window {args.window} is wider than the model's input ({layout.pad_length} bp)",
                "command line",
            )
        write_variant_outputs(
            model,
            layout,
            device,
            args.vcf,
            args.genome,
            args.window or min(100, layout.pad_length),
            Path(args.output),
            args.batch_size,
        )
        return
    from .evaluation import sigmoid
    from .logs import Progress
    from .scoring import score_sequences

    sequences = _sequence_stream(args, layout)
    progress = Progress("sequences scored")
    with atomic_open(args.output) as out:
        out.write("id\tlength\tlogit\tprob\n")
        # in chunks: a genome's worth of intervals takes no more memory than a few; whole
        # batches, so that each batch holds the rows it would hold unchunked (float32 sums)
        per_chunk = max(1, SEQUENCES_PER_CHUNK // args.batch_size) * args.batch_size
        while chunk := list(itertools.islice(sequences, per_chunk)):
            names, seqs = zip(*chunk, strict=True)
            logits = score_sequences(model, list(seqs), layout, args.batch_size, device, progress)
            for name, seq, z in zip(names, seqs, logits, strict=True):
                out.write(f"{name}\t{len(seq)}\t{z:.6f}\t{sigmoid(z):.6f}\n")
    log.info("scored %d sequences -> %s", progress.done, args.output)


def write_variant_outputs(
    model, layout, device, vcf, genome, width, outdir: Path, batch_size: int
) -> None:
    """variants.tsv, variants_not_scored.tsv and variants.vcf in ``outdir``."""
    from .variants import score_vcf

    with _output_folder(outdir):
        score_vcf(model, vcf, genome, layout, width, outdir, batch_size, device)


@contextlib.contextmanager
def _output_folder(outdir: Path):
    """Make ``outdir``; if it was made here and the writing fails, leave no empty folder."""
    made = not outdir.exists()
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        if made:
            with contextlib.suppress(OSError):  # not empty: its files are complete ones
                outdir.rmdir()
        raise


def write_saliency_outputs(
    model,
    layout,
    device,
    names,
    seqs,
    outdir: Path,
    batch_size: int,
    probabilities=None,
    figure_count: int = 8,
    strands: str = "both",
    of: str = "the sequences scored",
) -> list:
    """saliency.tsv, saliency.png/.pdf and saliency.html in ``outdir`` (``of``: which
    sequences, for the figure's title); returns the scores."""
    from .atomic import atomic_write_text
    from .attribution import compute_saliency
    from .interpret_plots import plot_saliency_logos, saliency_html

    scores = compute_saliency(model, seqs, layout, batch_size, device, strands)
    with _output_folder(outdir):
        write_saliency_table(outdir / "saliency.tsv", names, seqs, scores)
        figures = [outdir / "saliency.png", outdir / "saliency.pdf"]
        plot_saliency_logos(names, seqs, scores, figures, figure_count, of)
        atomic_write_text(
            outdir / "saliency.html", saliency_html(names, seqs, scores, probabilities)
        )
    return scores


def write_saliency_table(path, names, seqs, scores) -> None:
    from .atomic import atomic_open
    from .encoding import sequence_of

    with atomic_open(path) as out:
        out.write("id\tsequence\tscores\n")
        for name, seq, s in zip(names, seqs, scores, strict=True):
            out.write(f"{name}\t{sequence_of(seq)}\t{','.join(f'{v:.5g}' for v in s)}\n")


def _saliency(args) -> None:
    model, layout, device = _load(args)
    names, seqs = _sequences(args, layout)
    write_saliency_outputs(
        model,
        layout,
        device,
        names,
        seqs,
        Path(args.output),
        args.batch_size,
        strands=args.strands,
        of=f"the sequences of {Path(args.fasta or args.bed).name}",
    )
    log.info("saliency of %d sequences -> %s", len(seqs), args.output)


def main_score(argv: list[str]) -> int:
    return _run(
        _score,
        argv,
        _parser("score", "Probability of conservation of sequences, intervals or variants."),
    )


def main_saliency(argv: list[str]) -> int:
    return _run(
        _saliency,
        argv,
        _parser("saliency", "Saliency maps (gradient x input) of sequences or intervals."),
    )
