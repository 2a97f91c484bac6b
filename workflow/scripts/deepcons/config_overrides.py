"""Command-line config overrides with the types the schema asks for.

``snakemake --config train='{threads: 16}'`` gives ``{"threads": "16"}``: Snakemake reads a
nested value as YAML without types, so every number in it is a string, and the keys of
``model.kernels`` too. Without this, validation would refuse every nested override.
"""

from __future__ import annotations

from typing import Any

_TRUE, _FALSE, _NULL = ("true", "yes", "on"), ("false", "no", "off"), ("null", "~", "")


def typed_config(value: Any, schema: dict) -> Any:
    """``value`` with each string the schema does not allow as a string turned into the
    integer, number, boolean or null it spells ("null" wherever null is allowed) (left as is when it spells none of them, for
    validation to report); digit keys of free-form mappings become integers, the later of a
    key's two spellings winning (a --config override comes after the config file's)."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, dict):
        fields = schema.get("properties", {})
        free = schema.get("additionalProperties")
        typed = {}
        for key, item in value.items():
            if isinstance(free, dict) and isinstance(key, str) and key.isdigit():
                key = int(key)
                typed.pop(key, None)
            item_schema = fields.get(key, free if isinstance(free, dict) else {})
            typed[key] = typed_config(item, item_schema)
        return typed
    if isinstance(value, list):
        return [typed_config(item, schema.get("items", {})) for item in value]
    if isinstance(value, str) and "null" in types and value in ("null", "~"):
        return None  # even where a string would do: no file is called "null"
    if isinstance(value, str) and "string" not in types:
        return _scalar(value, types)
    return value


def _scalar(text: str, types: list[str]) -> Any:
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in types and text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    if "null" in types and text.lower() in _NULL:
        return None
    return text
