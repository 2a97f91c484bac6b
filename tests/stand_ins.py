"""Stand-ins for the MEME suite's tomtom and centrimo and for RSAT's matrix-clustering, put on
PATH to run the workflow's ``motif_tools: [meme, rsat]`` paths where the real programs are not
installed. tomtom and centrimo are ``deepcons tomtom`` and ``deepcons centrimo``, which take
the MEME suite's arguments and write its files byte for byte (tests/test_tomtom.py,
tests/test_centrimo.py); matrix-clustering writes RSAT's tables in RSAT's layout."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def _program(path: Path, body: str) -> None:
    header = f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(SCRIPTS)!r})\n"
    path.write_text(header + textwrap.dedent(body))
    path.chmod(0o755)


def write_stand_ins(bin_dir: Path) -> Path:
    """Write the three programs into ``bin_dir``; each logs its arguments to ``calls.txt``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "calls.txt"
    for name in ("tomtom", "centrimo"):
        _program(
            bin_dir / name,
            f"""\
            with open({str(log)!r}, "a") as calls:
                calls.write(" ".join([{name!r}, *sys.argv[1:]]) + "\\n")
            from deepcons.cli import main
            sys.exit(main([{name!r}, *sys.argv[1:]]))
            """,
        )
    _program(
        bin_dir / "matrix-clustering",
        f"""\
        # RSAT's layout: PREFIX_tables/clusters.tab (cluster_k TAB title_m<i>_<id>,...),
        # PREFIX_cluster_root_motifs.tf (TRANSFAC counts), PREFIX_trees/tree.newick.
        # Clusters: the kernels two by two, in input order; a root is its first member.
        from pathlib import Path
        from deepcons.meme_io import read_meme
        with open({str(log)!r}, "a") as calls:
            calls.write(" ".join(["matrix-clustering", *sys.argv[1:]]) + "\\n")
        args = sys.argv[1:]
        title, meme = args[args.index("-matrix") + 1 : args.index("-matrix") + 3]
        prefix = args[args.index("-o") + 1]
        motifs = read_meme(meme).motifs
        labels = [f"{{title}}_m{{i + 1}}_{{m.id}}" for i, m in enumerate(motifs)]
        pairs = [list(range(i, min(i + 2, len(motifs)))) for i in range(0, len(motifs), 2)]
        tables = Path(prefix + "_tables")
        tables.mkdir(parents=True, exist_ok=True)
        with open(tables / "clusters.tab", "w") as out:
            for k, members in enumerate(pairs, 1):
                out.write(f"cluster_{{k}}\\t" + ",".join(labels[i] for i in members) + "\\n")
        with open(prefix + "_cluster_root_motifs.tf", "w") as out:
            for k, members in enumerate(pairs, 1):
                out.write(f"AC  cluster_{{k}}\\nXX\\nID  cluster_{{k}}\\nXX\\nP0  A C G T\\n")
                for j, row in enumerate(motifs[members[0]].probs, 1):
                    out.write(f"{{j:02d}}  " + "  ".join(f"{{100 * p:.2f}}" for p in row) + "\\n")
                out.write("XX\\n//\\n")
        trees = Path(prefix + "_trees")
        trees.mkdir(exist_ok=True)
        leaves = ["(" + ",".join(f"{{labels[i]}}:0.1" for i in members) + "):0.2" for members in pairs]
        (trees / "tree.newick").write_text("(" + ",".join(leaves) + ");\\n")
        """,
    )
    return log
