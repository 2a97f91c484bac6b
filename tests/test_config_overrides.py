"""Nested `snakemake --config` overrides arrive as strings: typed by the schema."""

from __future__ import annotations

from pathlib import Path

import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config

from deepcons.config_overrides import typed_config

SCHEMA = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml").read_text()
)


def overridden(config: dict, *entries: str) -> dict:
    """What Snakemake makes of ``config`` and ``--config ENTRIES``, then typed."""
    update_config(config, parse_config(list(entries)))
    return typed_config(config, SCHEMA)


def test_nested_numbers_booleans_and_nulls_get_their_types():
    config = overridden(
        {"train": {"threads": 2, "device": "cpu"}},
        "train={threads: 16, learning_rate: 0.01, fast_conv: false}",
        "interpret={variant_window: null, fasta: null}",
    )
    assert config["train"] == {
        "threads": 16,
        "device": "cpu",
        "learning_rate": 0.01,
        "fast_conv": False,
    }
    assert config["interpret"] == {"variant_window": None, "fasta": None}


def test_an_override_of_one_kernel_width_replaces_that_width_only():
    config = overridden({"model": {"kernels": {10: 1000, 20: 500}}}, "model={kernels: {10: 8}}")
    assert config["model"]["kernels"] == {10: 8, 20: 500}


def test_strings_stay_strings_where_the_schema_wants_them_and_nonsense_stays_for_validation():
    config = overridden({}, "input={genome: 1234, mode: genome}", "train={threads: many}")
    assert config["input"] == {"genome": "1234", "mode": "genome"}
    assert config["train"]["threads"] == "many"  # the schema check names it


def test_typed_values_from_a_config_file_are_left_alone():
    config = {"model": {"kernels": {10: 4}}, "train": {"threads": 3, "learning_rate": 0.5}}
    assert typed_config(config, SCHEMA) == config
