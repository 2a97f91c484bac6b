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

from conda_pins import conda_pins, env_pins, pip_requirements, pip_spec

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


def _module_name(path: Path) -> list[str]:
    """The dotted name of a file under workflow/scripts, as parts (a package: its own)."""
    parts = list(path.relative_to(SCRIPTS).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imports_of(path: Path) -> set[tuple[str, bool]]:
    """(module, required) for every import of ``path``: top-level names of third-party
    modules, full names of deepcons modules (relative imports resolved); ``from pkg import
    name`` also gives ``pkg.name``, not required (a submodule, or just a name)."""
    tree = ast.parse(path.read_text())
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own[:-1]
    found = set()

    def add_from(module: str, names) -> None:
        found.add((module, True))
        found.update((f"{module}.{a.name}", False) for a in names)

    def visit(node, parents):
        if isinstance(node, ast.Import | ast.ImportFrom) and not _optional(node, parents):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)]
                add_from(".".join(base + ([node.module] if node.module else [])), node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.module.startswith("deepcons"):
                    add_from(node.module, node.names)
                else:
                    found.add((node.module.split(".")[0], True))
            else:
                found.update(
                    (a.name if a.name.startswith("deepcons") else a.name.split(".")[0], True)
                    for a in node.names
                )
        for child in ast.iter_child_nodes(node):
            visit(child, [*parents, node])

    visit(tree, [])
    return found


def module_file(name: str) -> Path | None:
    """deepcons.x.y -> workflow/scripts/deepcons/x/y.py or .../y/__init__.py."""
    stem = SCRIPTS / name.replace(".", "/")
    for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def third_party_needs(script: Path) -> set[str]:
    """What the script imports outside the standard library and deepcons, following deepcons'
    own imports (and the packages each module's import runs) all the way down."""
    needs, seen, todo = set(), set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name, required in imports_of(path):
            if not name.startswith("deepcons"):
                if name in CONDA_NAME:
                    needs.add(name)
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b too
                found = module_file(".".join(parts[:depth]))
                if found is None and (required or depth < len(parts)):
                    raise AssertionError(f"{path}: no module {'.'.join(parts[:depth])}")
                if found is not None:
                    todo.append(found)
    return needs


def test_the_import_walk_follows_packages():
    # tomtom is a package whose modules import scipy and pandas; centrimo reaches numba
    # only through deepcons.motif_scan's compiled loops
    assert {"numpy", "pandas", "scipy"} <= third_party_needs(SCRIPTS / "tomtom_known_motifs.py")
    assert {"scipy", "numba"} <= third_party_needs(SCRIPTS / "centrimo_anchor.py")
    assert "scipy" in third_party_needs(SCRIPTS / "cluster_kernels.py")


def env_packages(env: Path) -> set[str]:
    return set(env_pins(env))


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


def test_the_envs_pin_each_package_to_one_version():
    pins = conda_pins()  # raises where two envs disagree
    assert pins["numpy"].startswith("=") and pins["pandas"]
    assert f"numpy={pins['numpy']}.*" in pip_requirements()


def test_conda_version_specs_read_as_pip_specs():
    # conda's single = matches a version prefix; == is exact
    assert pip_spec("=2.2") == "==2.2.*"
    assert pip_spec("=2.2.6") == pip_spec("=2.2.6.*") == "==2.2.6.*"
    assert pip_spec("==2.2.6") == "==2.2.6"
    assert pip_spec(">=1.2,<2") == ">=1.2,<2"
    for unsupported in ("2.2.6", "=2.2.6=h123_0", "=2.2 | =2.3"):
        with pytest.raises(ValueError, match="no pip equivalent"):
            pip_spec(unsupported)
