"""The conda envs' pins (envs/*.yaml) as pip requirements, for `make test-conda-pins`: the
library's tests run with the versions the conda route installs, without conda (and with the
tools the tests use).

Conda-only packages (python, the MEME suite, RSAT, bedtools) are left out, and PyTorch stays
at the pip pin: PyPI's Linux wheels of other versions are CUDA builds of several GB.

    python tests/conda_pins.py      # one requirement a line
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "envs"
# what the tests themselves use, at the pip pins of pyproject.toml
TEST_TOOLS = {
    "triton",
    "pytest",
    "pytest-xdist",
    "memelite",
    "pymemesuite",
    "snakemake",
    "pyyaml",
    "jsonschema",
}
PIP_NAME = {"matplotlib-base": "matplotlib"}
NOT_FROM_PIP = {"python", "meme", "rsat-core", "bedtools", "pytorch"}


def env_pins(env: Path) -> dict[str, str]:
    """Package -> conda version spec ('=2.2.6', '>=1.2'; '' when unpinned) of one env file's
    conda dependencies."""
    pins = {}
    for dep in yaml.safe_load(env.read_text())["dependencies"]:
        if isinstance(dep, str):  # not a pip: section
            name = re.split(r"[=<>! ]", dep)[0]
            pins[name] = dep[len(name) :].replace(" ", "")
    return pins


def pip_spec(conda_spec: str) -> str:
    """A conda version spec in pip's words: conda's ``=2.2`` is a prefix (2.2.*), ``==2.2``
    exact; comparisons read the same. Other forms (a build string, a bare version) are
    refused rather than guessed."""
    if not re.fullmatch(r"(==?|[<>]=?|!=)[\w.*]+(,([<>]=?|!=|==)[\w.*]+)*", conda_spec):
        raise ValueError(f"conda version spec {conda_spec!r} has no pip equivalent here")
    if conda_spec.startswith("=") and not conda_spec.startswith("=="):
        return f"=={conda_spec[1:].removesuffix('.*')}.*"
    return conda_spec


def conda_pins() -> dict[str, str]:
    """Package -> conda version spec over all envs; two specs for a package are an error."""
    pins: dict[str, str] = {}
    for env in sorted(ENVS.glob("*.yaml")):
        for name, version in env_pins(env).items():
            if pins.setdefault(name, version) != version:
                raise ValueError(f"{env.name}: {name}{version}, another env pins {pins[name]}")
    return pins


def pip_requirements() -> list[str]:
    """The conda pins, then the test tools as pyproject.toml pins them."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    tools = [spec for spec in pinned if re.split(r"[=<>]", spec)[0] in TEST_TOOLS]
    return [
        f"{PIP_NAME.get(name, name)}{pip_spec(version)}"
        for name, version in sorted(conda_pins().items())
        if name not in NOT_FROM_PIP and version
    ] + tools


if __name__ == "__main__":
    print("\n".join(pip_requirements()))
