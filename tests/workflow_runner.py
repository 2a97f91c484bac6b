"""Run the workflow with Snakemake in a separate process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo"


def demo_config(**overrides) -> dict:
    """The embedded demo's config with absolute paths, updated section by section."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for key, value in config["input"].items():
        if isinstance(value, str) and value.startswith("resources/"):
            config["input"][key] = str(REPO / value)
    for section, values in overrides.items():
        if isinstance(values, dict):
            config.setdefault(section, {}).update(values)
        else:
            config[section] = values
    return config


def run_snakemake(
    workdir: Path,
    *targets: str,
    config: dict | None = None,
    extra=(),
    check=True,
    timeout=900,
    path_first: Path | None = None,
):
    """``snakemake -s REPO/Snakefile -d workdir [--configfile workdir/config.yaml] targets``.

    ``path_first``: a folder put first on PATH (stand-in programs)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
    ]
    cmd += ["--cores", "2"]
    if config is not None:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        cmd += ["--configfile", str(workdir / "config.yaml")]
    cmd += list(extra)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-8000:]}"
        )
    return result
