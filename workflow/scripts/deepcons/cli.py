"""The ``deepcons`` command: one subcommand per tool, each in the module that implements it.

Subcommands are imported lazily so that ``deepcons tomtom`` never pays for importing torch.
"""

from __future__ import annotations

import importlib
import sys

# subcommand -> (module, function taking argv, one-line help)
SUBCOMMANDS = {
    "tomtom": ("deepcons.tomtom_cli", "main", "compare motifs (MEME suite's tomtom arguments)"),
    "centrimo": (
        "deepcons.centrimo_cli",
        "main",
        "central enrichment (MEME suite's centrimo arguments)",
    ),
    "score": (
        "deepcons.score_cli",
        "main_score",
        "score sequences, intervals or variants with a model",
    ),
    "saliency": ("deepcons.score_cli", "main_saliency", "saliency maps of sequences with a model"),
    "cluster": ("deepcons.clustering_cli", "main", "cluster motifs as RSAT matrix-clustering"),
}


def usage() -> str:
    lines = ["usage: deepcons <command> [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, _, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'deepcons <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"deepcons {__version__}")
        return 0
    if argv[0] not in SUBCOMMANDS:
        print(f"deepcons: unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = SUBCOMMANDS[argv[0]]
    function = getattr(importlib.import_module(module_name), function_name)
    return int(function(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
