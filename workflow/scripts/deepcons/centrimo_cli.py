"""``deepcons centrimo``: the MEME suite's ``centrimo`` command line, same output files.

Usage: ``deepcons centrimo [options] <sequence file> <motif file>+``. Options are spelled
as MEME's (one or two leading dashes). Writes ``centrimo.tsv`` and ``site_counts.txt``
into the output directory (MEME's HTML report is not produced), or with ``--text`` the TSV
to standard output.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .centrimo import (
    DEFAULT_EVALUE_THRESH,
    DEFAULT_PSEUDOCOUNT,
    format_centrimo_tsv,
    read_background_file,
    read_fasta,
    run_centrimo,
    write_centrimo,
)
from .errors import InputError
from .logs import setup_logging
from .meme_io import read_meme


def _option(parser: argparse.ArgumentParser, name: str, **kwargs) -> None:
    # MEME parses with getopt_long_only: "-oc" and "--oc" are the same option.
    parser.add_argument(f"--{name}", f"-{name}", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepcons centrimo",
        description="Central motif enrichment analysis (the MEME suite's CentriMo 5.5.6).",
    )
    parser.add_argument("sequences", help="FASTA file of sequences (all of one length)")
    parser.add_argument("motifs", nargs="+", help="MEME motif file(s)")
    _option(parser, "o", metavar="DIR", help="output directory; must not exist")
    _option(parser, "oc", metavar="DIR", help="output directory; overwritten if it exists")
    _option(parser, "text", action="store_true", help="write the TSV to stdout, no directory")
    _option(parser, "neg", metavar="FILE", help="FASTA file of control sequences")
    _option(
        parser,
        "bfile",
        metavar="FILE",
        help="background: a MEME background file, --uniform-- or --motif--; "
        "default: letter frequencies of the sequences",
    )
    _option(
        parser,
        "motif-pseudo",
        type=float,
        default=DEFAULT_PSEUDOCOUNT,
        metavar="X",
        help=f"pseudocount added to the motifs (default {DEFAULT_PSEUDOCOUNT})",
    )
    _option(
        parser,
        "score",
        type=float,
        metavar="S",
        help="site score threshold (default 5 bits; 0.25 with --use-lo-fraction; "
        "0.05 with --use-pvalues)",
    )
    _option(
        parser,
        "use-lo-fraction",
        action="store_true",
        help="--score is a fraction of the motif's maximum score",
    )
    _option(
        parser,
        "use-pvalues",
        action="store_true",
        help="--score is a maximum site p-value (adjusted for the sites per sequence)",
    )
    _option(
        parser,
        "ethresh",
        type=float,
        default=DEFAULT_EVALUE_THRESH,
        metavar="E",
        help=f"report motifs with E-value <= E (default {DEFAULT_EVALUE_THRESH:g})",
    )
    _option(parser, "local", action="store_true", help="test all windows, not only central")
    _option(
        parser,
        "flip",
        action="store_true",
        help="reflect - strand sites around the sequence centre",
    )
    _option(parser, "norc", action="store_true", help="do not scan the reverse strand")
    _option(parser, "minreg", type=int, metavar="N", help="smallest window (bins)")
    _option(parser, "maxreg", type=int, metavar="N", help="largest window (bins)")
    _option(
        parser,
        "seqlen",
        type=int,
        metavar="N",
        help="analyse sequences of this length (default: the first sequence's)",
    )
    _option(parser, "verbosity", type=int, default=2, metavar="N", help="1 (quiet) to 4")
    _option(parser, "device", default="cpu", help="torch device for scanning (cpu, cuda)")
    _option(parser, "batch-size", type=int, metavar="N", help="sequences per scanning batch")
    _option(parser, "version", action="version", version="5.5.6")
    return parser


def _read_motif_files(paths: list[str], verbose: bool):
    """Motifs of all files with their file index; duplicate IDs in a file are dropped."""
    motifs, db_index, files = [], [], []
    for i, path in enumerate(paths):
        if not os.path.exists(path):
            raise InputError("motif file does not exist", path)
        motif_file = read_meme(path)
        files.append(motif_file)
        seen: set[str] = set()
        for motif in motif_file.motifs:
            if motif.id in seen:
                if verbose:
                    print(
                        f"Discarding motif '{motif.id}' in file '{path}' (non-unique ID).",
                        file=sys.stderr,
                    )
                continue
            seen.add(motif.id)
            motifs.append(motif)
            db_index.append(i)
        if not motif_file.motifs:
            print(f"Warning: Motif file '{path}' contains no valid motifs.", file=sys.stderr)
    if not motifs:
        raise InputError("no motifs in the motif file(s)", paths[0])
    return motifs, db_index, files


def _background(bfile: str | None, motif_files):
    if bfile is None:
        return None
    if bfile == "--uniform--":
        return "uniform"
    if bfile in ("--motif--", "motif-file", "--query--"):
        return motif_files[0].background
    if bfile == "--nrdb--":
        raise InputError("--bfile --nrdb-- is not supported; give a background file", bfile)
    if not os.path.exists(bfile):
        raise InputError("background file does not exist", bfile)
    return read_background_file(bfile)


def _read_sequences(path: str) -> list[str]:
    if not os.path.exists(path):
        raise InputError("sequence file does not exist", path)
    return read_fasta(path)


def _skip_message(name: str, length: int, expected: int) -> str:
    return (
        f"Skipping sequence {name} as its length ({length}) does not match the expected "
        f"length ({expected})."
    )


def _join_dashed_values(argv: list[str]) -> list[str]:
    """``--bfile --uniform--`` -> ``--bfile=--uniform--`` (argparse would see an option)."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in ("--bfile", "-bfile") and i + 1 < len(argv):
            out.append(f"--bfile={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str]) -> int:
    """Run ``centrimo`` with MEME's arguments; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(_join_dashed_values(list(argv)))
    if args.use_pvalues and args.use_lo_fraction:
        parser.error("you cannot specify both --use-pvalues and --use-lo-fraction")
    if args.maxreg and args.minreg and args.minreg >= args.maxreg:
        parser.error("you must specify --minreg smaller than --maxreg")
    if args.use_lo_fraction and args.score is not None and not 0 < args.score <= 1:
        parser.error("the score threshold must be in the range (0,1] with --use-lo-fraction")
    outdir = args.oc or args.o or "centrimo_out"
    verbose = args.verbosity >= 2
    # progress of a long run (every 10 s; --local on long sequences takes minutes)
    setup_logging(level=logging.INFO if verbose else logging.WARNING)
    try:
        motifs, db_index, motif_files = _read_motif_files(args.motifs, verbose)
        background = _background(args.bfile, motif_files)
        names, seqs = _read_sequences(args.sequences)
        neg_names, neg = _read_sequences(args.neg) if args.neg else ([], None)
        if args.o and not args.oc and not args.text and os.path.exists(args.o):
            raise InputError("the output directory already exists; use --oc to overwrite", args.o)
        result = run_centrimo(
            seqs,
            motifs,
            neg_sequences=neg,
            background=background,
            motif_pseudo=args.motif_pseudo,
            score_threshold=args.score,
            use_pvalues=args.use_pvalues,
            use_lo_fraction=args.use_lo_fraction,
            local=args.local,
            flip=args.flip,
            norc=args.norc,
            min_region=args.minreg,
            max_region=args.maxreg,
            ethresh=args.ethresh,
            seqlen=args.seqlen,
            db_index=db_index,
            device=args.device,
            batch_size=args.batch_size,
        )
    except InputError as err:
        print(f"deepcons centrimo: error: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"deepcons centrimo: error: {err}", file=sys.stderr)
        return 1
    if args.verbosity >= 1:
        for i in result.skipped:
            print(_skip_message(names[i], len(seqs[i]), result.sequence_length), file=sys.stderr)
        for i in result.neg_skipped:
            print(_skip_message(neg_names[i], len(neg[i]), result.sequence_length), file=sys.stderr)
        for warning in result.warnings:
            print(warning, file=sys.stderr)
    command_line = " ".join(["centrimo", *argv])
    if args.text:
        sys.stdout.write(format_centrimo_tsv(result, command_line))
    else:
        write_centrimo(result, outdir, command_line)
        if verbose:
            print(f"Writing results to output directory '{outdir}'.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
