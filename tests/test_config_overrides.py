"""Nested `snakemake --config` overrides arrive as strings: typed by the schema."""

from __future__ import annotations

from pathlib import Path

import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config

from deepcons.config_overrides import apply_overrides

SCHEMA = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml").read_text()
)


def overridden(config: dict, *entries: str) -> dict:
    """What Snakemake makes of a config file's ``config`` and ``--config ENTRIES``, typed."""
    overrides = parse_config(list(entries))
    update_config(config, overrides)
    apply_overrides(config, overrides, SCHEMA)
    return config


def test_nested_numbers_booleans_and_nulls_get_their_types():
    config = overridden(
        {"train": {"threads": 2, "device": "cpu"}},
        "train={threads: 16, learning_rate: 0.01, fast_conv: false}",
        "interpret={variant_window: null, vcf: Null, fasta: ~}",
        "positional={evalue: 1e-4, score: 5}",
    )
    assert config["train"] == {
        "threads": 16,
        "device": "cpu",
        "learning_rate": 0.01,
        "fast_conv": False,
    }
    assert config["interpret"] == {"variant_window": None, "vcf": None, "fasta": None}
    # a whole number stays an integer, as in a config file: 5.0 would change rule params
    assert config["positional"] == {"evalue": 1e-4, "score": 5}
    assert type(config["positional"]["score"]) is int


def test_an_override_of_one_kernel_width_replaces_that_width_only():
    config = overridden({"model": {"kernels": {10: 1000, 20: 500}}}, "model={kernels: {10: 8}}")
    assert config["model"]["kernels"] == {10: 8, 20: 500}


def test_strings_stay_where_the_schema_wants_them_and_nonsense_is_left_for_validation():
    config = overridden(
        {}, "input={genome: 1234, mode: genome}", "train={threads: many, learning_rate: nan}"
    )
    assert config["input"] == {"genome": "1234", "mode": "genome"}
    assert config["train"] == {"threads": "many", "learning_rate": "nan"}


def test_a_config_file_is_not_typed():
    # a quoted number in a file is the file's mistake, reported by validation, even where an
    # override of the same section is typed
    config = {"model": {"kernels": {10: 4}}, "train": {"batch_size": "32"}}
    assert overridden(config, "train={threads: 4}") == {
        "model": {"kernels": {10: 4}},
        "train": {"batch_size": "32", "threads": 4},
    }
