"""Command-line config overrides with the types the schema asks for.

``snakemake --config train='{threads: 16}'`` gives ``{"threads": "16"}``: Snakemake reads a
nested value as YAML without types, so every number in it is a string, and the keys of
``model.kernels`` too. Only the overrides are typed: a quoted number in a config file stays
an error for validation to report.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")
_NULL = ("null", "Null", "NULL", "~")  # YAML's spellings of null
_DIGITS = re.compile(r"[0-9]+")


def apply_overrides(config: dict, overrides: dict, schema: dict) -> None:
    """Replace in ``config`` (already merged with ``overrides``, Snakemake's parse of
    ``--config``) every overridden value by its typed value, and a digit key spelled as a
    string (``model.kernels``) by the integer key it overrides."""
    for key, value in overrides.items():
        field = _key(key, schema)
        field_schema = _field_schema(field, schema)
        if field != key:
            config.pop(key, None)
        if isinstance(value, dict):
            if not isinstance(config.get(field), dict):
                config[field] = {}
            apply_overrides(config[field], value, field_schema)
        else:
            config[field] = typed_value(value, field_schema)


def typed_value(value: Any, schema: dict) -> Any:
    """A scalar or list ``value`` with each string that the schema does not allow as a string
    turned into the integer, number, boolean or null it spells (left as is when it spells
    none of them, for validation to report); "null" is null wherever null is allowed."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, list):
        return [typed_value(item, schema.get("items", {})) for item in value]
    if isinstance(value, str) and "null" in types and value in _NULL:
        return None  # even where a string would do: no input file is called "null"
    if isinstance(value, str) and "string" not in types:
        return _scalar(value, types)
    return value


def _key(key: Any, schema: dict) -> Any:
    """A digit key of a free-form mapping (kernel width: count) as the integer it spells."""
    free = schema.get("additionalProperties")
    if isinstance(free, dict) and isinstance(key, str) and _DIGITS.fullmatch(key):
        return int(key)
    return key


def _field_schema(key: Any, schema: dict) -> dict:
    free = schema.get("additionalProperties")
    return schema.get("properties", {}).get(key, free if isinstance(free, dict) else {})


def _scalar(text: str, types: list[str]) -> Any:
    if "integer" in types or "number" in types:
        try:
            return int(text)  # "5" is 5 as in a config file (5.0 would change params)
        except ValueError:
            pass
    if "number" in types:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if "boolean" in types and text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    return text
