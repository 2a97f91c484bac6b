"""``deepcons tomtom``: the MEME suite's ``tomtom`` command line, on the built-in Tomtom.

Arguments are MEME's (single-dash long options, GNU ``getopt_long_only`` style: options may
follow the files, ``-opt value`` or ``-opt=value``, unique prefixes accepted); the output is
MEME's tomtom.tsv. See ``USAGE``.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import meme_io
from .errors import InputError
from .meme_io import Motif

PROGRAM = "tomtom"

USAGE = """\
Usage:
  deepcons tomtom [options] <query file> <target file>+

Compares query motifs with target motifs as the MEME suite's tomtom 5.5.6 does (same
p-values, E-values, q-values, offsets and overlaps), and writes MEME's tomtom.tsv.
Motif files are in MEME format (DNA); '-' reads one of them from standard input.

Options:
  -o <output dir>      Name of directory for output files; will not replace an
                        existing directory
  -oc <output dir>     Name of directory for output files; will replace existing
                        files (default: tomtom_out)
  -text                Output in text (TSV) format to stdout; overrides -o and -oc
  -dist ed|pearson|sandelin
                       Distance metric for scoring alignments; default: ed
  -thresh <float>      Significance threshold; default: 0.5
  -evalue              Use E-value threshold; default: q-value
  -min-overlap <int>   Minimum overlap between query and target; default: 1
  -internal            Only allow internal alignments; default: allow overhangs
  -norc                Do not score the reverse complements of targets
  -incomplete-scores   Ignore unaligned columns in computing scores;
                        default: use complete set of columns
  -motif-pseudo <pseudo count>
                       Apply the pseudocount to the query and target motifs;
                        default: 0.1 (weighted by nsites, 20 when absent)
  -m <id>              Use only query motifs with a specified id; may be repeated
  -mi <index>          Use only query motifs with a specified index (from 1);
                        may be repeated
  -verbosity 1|2|3|4|5 1 prints errors only; default: 2 (warnings too)
  -version             Print the MEME version reproduced and exit
  --help               Print this message and exit

Differences from MEME's tomtom: only tomtom.tsv is written (no tomtom.html or
tomtom.xml); -png, -eps and -no-ssc are accepted but no logos are drawn; -xalph and
-time are accepted and have no effect; only DNA motifs and the distances ed, pearson and
sandelin are supported. As in MEME, -bfile is refused with these distances (the
pseudocount uses the query file's background, made strand-symmetric).
"""

# option name -> whether it takes a value
_OPTIONS = {
    "o": True,
    "oc": True,
    "text": False,
    "dist": True,
    "thresh": True,
    "q-thresh": True,
    "evalue": False,
    "min-overlap": True,
    "internal": False,
    "norc": False,
    "incomplete-scores": False,
    "motif-pseudo": True,
    "m": True,
    "mi": True,
    "bfile": True,
    "xalph": False,
    "png": False,
    "eps": False,
    "no-ssc": False,
    "time": True,
    "verbosity": True,
    "version": False,
    "help": False,
    "h": False,
}


class UsageError(Exception):
    """A command line MEME's tomtom would reject."""


@dataclass
class Options:
    query_file: str = ""
    target_files: list[str] = field(default_factory=list)
    outdir: str = "tomtom_out"
    clobber: bool = True
    text: bool = False
    dist: str = "ed"
    thresh: float = 0.5
    evalue: bool = False
    min_overlap: int = 1
    internal: bool = False
    norc: bool = False
    incomplete_scores: bool = False
    motif_pseudo: float = 0.1
    motif_ids: list[str] = field(default_factory=list)
    motif_indices: list[int] = field(default_factory=list)
    verbosity: int = 2
    show_version: bool = False
    show_help: bool = False
    bfile: str | None = None  # refused with every supported distance (see _check)
    ignored: list[str] = field(default_factory=list)


# flag option -> the Options field it sets
_FLAGS = {
    "text": "text",
    "evalue": "evalue",
    "internal": "internal",
    "norc": "norc",
    "incomplete-scores": "incomplete_scores",
    "version": "show_version",
    "help": "show_help",
    "h": "show_help",
}


def _match_option(name: str) -> str:
    """MEME's getopt_long_only: an exact name, or a unique prefix of one."""
    if name in _OPTIONS:
        return name
    matches = [option for option in _OPTIONS if option.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"unrecognized option '-{name}'")
    raise UsageError(f"option '-{name}' is ambiguous ({', '.join('-' + m for m in matches)})")


def _number(option: str, value: str, kind: type):
    try:
        return kind(value)
    except ValueError:
        raise UsageError(f'Option -{option} "{value}" was not a number') from None


def _getopt(argv: list[str]) -> Iterator[tuple[str | None, str]]:
    """MEME's getopt_long_only: ``(option, value)`` for each option (value ``""`` for a flag),
    ``(None, argument)`` for each file, in order."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            yield from ((None, rest) for rest in argv[i:])
            return
        if not arg.startswith("-") or arg == "-":
            yield None, arg
            continue
        name, has_value, value = arg.lstrip("-").partition("=")
        option = _match_option(name)
        if _OPTIONS[option]:
            if not has_value:
                if i >= len(argv):
                    raise UsageError(f"option '-{option}' requires an argument")
                value = argv[i]
                i += 1
        elif has_value:
            raise UsageError(f"option '-{option}' doesn't allow an argument")
        yield option, value


def _at_least(option: str, value: str, kind: type, minimum, refusal: str):
    number = _number(option, value, kind)
    if number < minimum:
        raise UsageError(f'Option -{option} "{value}" {refusal}')
    return number


def _apply(opts: Options, option: str, value: str) -> None:
    """Set what one option says on ``opts``."""
    if option in ("o", "oc"):
        opts.outdir, opts.clobber = value, option == "oc"
    elif option == "dist":
        opts.dist = value
    elif option in ("thresh", "q-thresh"):
        opts.thresh = _number(option, value, float)
        if opts.thresh < 0:  # both spellings are refused as -thresh
            raise UsageError(f'Option -thresh "{value}" cannot be negative')
    elif option == "min-overlap":
        opts.min_overlap = _at_least(option, value, int, 0, "cannot be negative")
    elif option == "motif-pseudo":
        opts.motif_pseudo = _at_least(option, value, float, 0, "cannot be negative")
    elif option == "m":
        opts.motif_ids.append(value)
    elif option == "mi":
        opts.motif_indices.append(_at_least(option, value, int, 1, "cannot be zero or negative"))
    elif option == "bfile":
        opts.bfile = value
    elif option == "verbosity":
        opts.verbosity = _number(option, value, int)
        if not 1 <= opts.verbosity <= 5:
            raise UsageError(f'Option -verbosity "{value}" was not an allowed value')
    elif option in _FLAGS:
        setattr(opts, _FLAGS[option], True)
    else:  # accepted for compatibility, no effect here
        opts.ignored.append("-" + option)


def _check(opts: Options, positional: list[str]) -> None:
    """The refusals MEME's tomtom makes once all arguments are read."""
    if opts.dist not in ("ed", "pearson", "sandelin"):
        raise UsageError(
            f'Option -dist "{opts.dist}" was not an allowed value (supported: ed, pearson, sandelin)'
        )
    if opts.bfile is not None:
        raise UsageError(f"Option '-bfile' is not allowed with '-dist {opts.dist}'.")
    if not opts.evalue and opts.thresh > 1:
        raise UsageError(
            f"Option -thresh ({opts.thresh:g}) must be less than 1 unless -evalue is specified"
        )
    if not positional:
        raise UsageError("No query motif database supplied")
    if len(positional) < 2:
        raise UsageError("No target motif database supplied")


def parse_args(argv: list[str]) -> Options:
    """Parse MEME tomtom's arguments; raise :class:`UsageError` as MEME would refuse them."""
    opts = Options()
    positional: list[str] = []
    for option, value in _getopt(argv):
        if option is None:
            positional.append(value)
        else:
            _apply(opts, option, value)
    if opts.show_help or opts.show_version:
        return opts
    _check(opts, positional)
    opts.query_file, opts.target_files = positional[0], positional[1:]
    return opts


def _read_motifs(path: str) -> meme_io.MotifFile:
    if path == "-":
        return meme_io.parse_meme(sys.stdin.read().splitlines(), "<stdin>")
    if not Path(path).is_file():
        raise InputError("motif file does not exist", path)
    return meme_io.read_meme(path)


def _unique_ids(motifs: list[Motif], path: str, verbosity: int) -> list[Motif]:
    """Drop motifs whose ID repeats an earlier one in the same file, as MEME does."""
    warn = (lambda message: print(message, file=sys.stderr)) if verbosity >= 2 else None
    return meme_io.unique_ids(motifs, path, warn)


def _select_queries(motifs: list[Motif], opts: Options) -> list[Motif]:
    """MEME's -m / -mi: keep motifs named, or at a listed 1-based position in the file."""
    if not opts.motif_ids and not opts.motif_indices:
        return motifs
    names, indices = set(opts.motif_ids), set(opts.motif_indices)
    return [m for i, m in enumerate(motifs, start=1) if m.id in names or i in indices]


def run(opts: Options, command_line: str) -> int:
    """Compare, threshold and write, as MEME's tomtom main does."""
    from .tomtom import (
        MIN_TARGETS,
        apply_threshold,
        compare_motifs,
        format_tsv,
        symmetric_background,
        write_tsv,
    )

    outdir = Path(opts.outdir)
    if not opts.text:  # refuse before the work, as MEME does
        if outdir.exists() and not opts.clobber:
            raise InputError("output directory exists; use -oc to replace its files", outdir)
        if outdir.exists() and not outdir.is_dir():
            raise InputError("output path exists and is not a directory", outdir)
    if opts.ignored and opts.verbosity >= 2:
        print(
            f"{PROGRAM}: note: {' '.join(opts.ignored)} ignored (no logos, HTML or XML here)",
            file=sys.stderr,
        )
    query_file = _read_motifs(opts.query_file)
    queries = _select_queries(_unique_ids(query_file.motifs, opts.query_file, opts.verbosity), opts)
    if not queries:
        raise InputError("the query motif(s) you specified were not found", opts.query_file)
    targets, target_dbs = [], []
    for db, path in enumerate(opts.target_files):
        motifs = _unique_ids(_read_motifs(path).motifs, path, opts.verbosity)
        if not motifs and opts.verbosity >= 2:
            print(f"Warning: Motif file '{path}' contains no motifs.", file=sys.stderr)
        targets += motifs
        target_dbs += [db] * len(motifs)
    if not targets:
        raise InputError("no motifs were found in the target motif file(s)", opts.target_files[0])
    if len(targets) < MIN_TARGETS and opts.verbosity >= 2:
        print(
            f"Warning: Target database size too small ({len(targets)}) for accurate p-value "
            f"computation.\nProvide at least {MIN_TARGETS} motifs for accurate p-value computation.",
            file=sys.stderr,
        )
    table = compare_motifs(
        queries,
        targets,
        dist=opts.dist,
        min_overlap=opts.min_overlap,
        incomplete_scores=opts.incomplete_scores,
        norc=opts.norc,
        motif_pseudo=opts.motif_pseudo,
        background=symmetric_background(query_file.background),
        internal=opts.internal,
        target_dbs=target_dbs,
    )
    table = apply_threshold(table, opts.thresh, opts.evalue)
    if opts.text:
        sys.stdout.write(format_tsv(table, command_line))
        return 0
    outdir.mkdir(parents=True, exist_ok=True)
    write_tsv(outdir / "tomtom.tsv", table, command_line)
    return 0


def main(argv: list[str]) -> int:
    """Entry point of ``deepcons tomtom``; returns the exit status."""
    try:
        opts = parse_args(list(argv))
    except UsageError as error:
        print(f"{PROGRAM}: {error}\n\n{USAGE}", file=sys.stderr)
        return 1
    if opts.show_help:
        print(USAGE, end="")
        return 0
    if opts.show_version:
        from .tomtom import MEME_VERSION

        print(MEME_VERSION)
        return 0
    command_line = " ".join([PROGRAM, *(shlex.quote(arg) for arg in argv)])
    try:
        return run(opts, command_line)
    except (InputError, ValueError, OSError) as error:  # bad input: one line, no traceback
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
