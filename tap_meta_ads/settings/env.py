"""Settings from ``TAP_META_ADS_<NAME>`` environment variables (``--config ENV``).

The SDK's parser raises on a value it cannot read (``int('abc')``: a traceback naming no
setting) and reads any word but true, 1, yes or on as false (``flase``: silently false). Here
such a value is kept as the text it is, so the settings' validation names the setting and its
variable in one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from singer_sdk.configuration._dict_config import TRUTHY, parse_environment_config

#: Words read as false for a boolean setting (TRUTHY are the SDK's words for true).
FALSY = ("false", "0", "no", "off")


def environment_config(schema: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Settings given as environment variables; values of the wrong kind stay text."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    try:
        result = parse_environment_config(dict(schema), prefix)
    except Exception:  # one value the SDK cannot read: read the others one by one
        result = {}
        for name, prop in properties.items():
            try:
                result |= parse_environment_config({"properties": {name: prop}}, prefix)
            except Exception:  # kept as text: validation names the setting
                result[name] = os.environ[_variable(prefix, name)]
    for name, prop in properties.items():
        raw = os.environ.get(_variable(prefix, name))
        if raw is not None and _is_boolean(prop):
            word = raw.strip().lower()
            result[name] = True if word in TRUTHY else False if word in FALSY else raw
    return result


def _variable(prefix: str, name: str) -> str:
    return prefix + name.upper().replace("-", "_")


def _is_boolean(prop: Mapping[str, Any]) -> bool:
    kind = prop.get("type")
    return kind == "boolean" or (isinstance(kind, list) and "boolean" in kind)
