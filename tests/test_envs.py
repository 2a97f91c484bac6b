"""Every rule has a conda env, and each env lists the packages its script needs.

A script's needs are the third-party modules it imports, and those of every deepcons module
it imports, followed transitively (imports inside functions count: the rule may call them).
Imports guarded by ``except ImportError`` are optional and do not count.
"""

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"

# import name -> conda package(s) that provide it
CONDA_NAME = {
    "numpy": ["numpy"],
    "scipy": ["scipy"],
    "pandas": ["pandas"],
    "matplotlib": ["matplotlib-base", "matplotlib"],
    "logomaker": ["logomaker"],
    "torch": ["pytorch"],
    "sklearn": ["scikit-learn"],
    "safetensors": ["safetensors"],
    "pyfaidx": ["pyfaidx"],
    "pybedtools": ["pybedtools"],
    "pysam": ["pysam"],
    "pyjaspar": ["pyjaspar"],
    "yaml": ["pyyaml"],
    "tqdm": ["tqdm"],
    "Bio": ["biopython"],
    "threadpoolctl": ["threadpoolctl"],
    "numba": ["numba"],
}
# besides Python packages, the programs a module runs
PROGRAMS = {"pybedtools": ["bedtools"]}


def rule_blocks():
    """(file, rule name, conda env paths, script path or None) of every rule in rules/*.smk."""
    for path in sorted((REPO / "rules").glob("*.smk")):
        text = path.read_text()
        starts = [m for m in re.finditer(r"^(\s*)rule(?: (\w+))?:", text, re.M)]
        for i, m in enumerate(starts):
            block = text[m.start() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
            name = m.group(2) or re.search(r"name:\s*\n\s*f?\"([^\"]+)\"", block).group(1)
            conda = re.search(r"\bconda:\s*\n(.*)\n", block)
            script = re.search(r"\bscript:\s*\n\s*\"([^\"]+)\"", block)
            envs = re.findall(r"\"([^\"]+\.yaml)\"", conda.group(1)) if conda else []
            yield (
                path,
                name,
                [(path.parent / e).resolve() for e in envs],
                (path.parent / script.group(1)).resolve() if script else None,
            )


def _optional(node, parents) -> bool:
    for parent in parents:
        if isinstance(parent, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            for h in parent.handlers
        ):
            return True
    return False


def imports_of(path: Path) -> set[str]:
    """Top-level names of the modules ``path`` imports (relative imports as deepcons.*)."""
    tree = ast.parse(path.read_text())
    found = set()

    def visit(node, parents):
        if isinstance(node, ast.Import | ast.ImportFrom) and not _optional(node, parents):
            if isinstance(node, ast.ImportFrom) and node.level:
                found.update(
                    f"deepcons.{a.name}" if node.module is None else f"deepcons.{node.module}"
                    for a in node.names
                )
            elif isinstance(node, ast.ImportFrom):
                found.add(
                    node.module if node.module.startswith("deepcons") else node.module.split(".")[0]
                )
                if node.module == "deepcons":
                    found.update(f"deepcons.{a.name}" for a in node.names)
            else:
                found.update(
                    a.name if a.name.startswith("deepcons") else a.name.split(".")[0]
                    for a in node.names
                )
        for child in ast.iter_child_nodes(node):
            visit(child, [*parents, node])

    visit(tree, [])
    return found


def third_party_needs(script: Path) -> set[str]:
    needs, seen, todo = set(), set(), [script]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for name in imports_of(path):
            if name.startswith("deepcons"):
                todo.append(SCRIPTS / (name.replace(".", "/") + ".py"))
            elif name in CONDA_NAME:
                needs.add(name)
    return needs


def env_packages(env: Path) -> set[str]:
    deps = yaml.safe_load(env.read_text())["dependencies"]
    return {re.split(r"[=<> ]", d)[0] for d in deps if isinstance(d, str)}


RULES = list(rule_blocks())


def test_rules_found():
    names = {name for _, name, _, _ in RULES}
    assert {
        "prepare_genome",
        "train_cnn",
        "tomtom_known_motifs",
        "centrimo_{anchor}",
        "cluster_kernels",
    } <= names


@pytest.mark.parametrize("path, name, envs, script", RULES, ids=[r[1] for r in RULES])
def test_rule_has_an_env_with_its_packages(path, name, envs, script):
    assert envs, f"rule {name} in {path.name} has no conda: directive"
    assert script is not None and script.exists(), f"rule {name}: script missing"
    needs = third_party_needs(script)
    for env in envs:
        assert env.exists(), f"rule {name}: {env} missing"
        packages = env_packages(env)
        for module in sorted(needs):
            assert set(CONDA_NAME[module]) & packages, (
                f"rule {name}: {env.name} lacks {CONDA_NAME[module][0]} (imported as {module})"
            )
            for program in PROGRAMS.get(module, []):
                assert program in packages, f"rule {name}: {env.name} lacks {program}"


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_envs_are_pinned_and_use_conda_forge_and_bioconda(env):
    spec = yaml.safe_load(env.read_text())
    assert spec["channels"][:2] == ["conda-forge", "bioconda"]
    for dep in spec["dependencies"]:
        assert isinstance(dep, str) and re.fullmatch(r"[\w.-]+=[\w.]+", dep), (
            f"{env.name}: {dep} is not pinned"
        )


def test_the_dependency_walk_sees_lazy_imports():
    # deepcons.genome imports pyfaidx inside a function; its scripts need it
    assert "pyfaidx" in third_party_needs(SCRIPTS / "prepare_genome.py")
    assert "torch" in third_party_needs(SCRIPTS / "train_cnn.py")
