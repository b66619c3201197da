"""How an error line names a JSON value it did not expect: "null", "a list", "an object"..."""

from __future__ import annotations

from typing import Any


def json_kind(value: Any) -> str:
    """The kind of a decoded JSON value, as an error line names it (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
