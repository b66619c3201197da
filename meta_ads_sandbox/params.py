"""Parsing Graph request parameters: lists, relaxed JSON, `filtering`, limits and cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from meta_ads_sandbox import errors

OPERATORS = frozenset(
    {
        "EQUAL",
        "NOT_EQUAL",
        "GREATER_THAN",
        "GREATER_THAN_OR_EQUAL",
        "LESS_THAN",
        "LESS_THAN_OR_EQUAL",
        "IN_RANGE",
        "NOT_IN_RANGE",
        "CONTAIN",
        "NOT_CONTAIN",
        "IN",
        "NOT_IN",
        "STARTS_WITH",
        "ENDS_WITH",
        "ANY",
        "ALL",
        "AFTER",
        "BEFORE",
        "ON_OR_AFTER",
        "ON_OR_BEFORE",
        "NONE",
    }
)
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:")


def relaxed_json(text: str) -> Any:
    """JSON, or the relaxed form Meta's examples use (unquoted keys, single quotes)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    fixed = text
    if "'" in fixed and '"' not in fixed:
        fixed = fixed.replace("'", '"')
    fixed = _BARE_KEY.sub(r'\1"\2":', fixed)
    fixed = fixed.replace("True", "true").replace("False", "false")
    return json.loads(fixed)


def string_list(text: str, name: str) -> list[str]:
    """A list parameter: JSON array, Python-repr list, or comma-separated."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = relaxed_json(text)
        except ValueError as exc:
            raise errors.invalid_parameter(f"param {name} must be an array.") from exc
        if not isinstance(value, list):
            raise errors.invalid_parameter(f"param {name} must be an array.")
        return [str(v) for v in value]
    return [p.strip() for p in text.split(",") if p.strip()]


@dataclass(frozen=True)
class Filter:
    """One `filtering` clause: `<entity>.<field> OPERATOR value`."""

    entity: str
    field: str
    operator: str
    value: Any


def filtering(text: str) -> list[Filter]:
    """Parse the `filtering` parameter (strict or relaxed JSON)."""
    try:
        raw = relaxed_json(text)
    except ValueError as exc:
        raise errors.invalid_parameter("param filtering must be an array.") from exc
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise errors.invalid_parameter("param filtering must be an array.")
    out: list[Filter] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "field" not in item or "operator" not in item:
            raise errors.invalid_parameter(
                f"param filtering[{i}] must be an object with keys field, operator and value."
            )
        full = str(item["field"])
        operator = str(item["operator"]).upper()
        if operator not in OPERATORS:
            raise errors.invalid_parameter(
                f"param filtering[{i}][operator] must be one of the following values: "
                + ", ".join(sorted(OPERATORS))
            )
        entity, _, name = full.rpartition(".")
        out.append(Filter(entity, name, operator, item.get("value")))
    return out


def limit(params: dict[str, str], default: int, cap: int) -> int:
    """The page size asked for, clamped to [1, cap]."""
    raw = params.get("limit")
    if raw is None or raw == "":
        return min(default, cap)
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.invalid_parameter("param limit must be a number.") from exc
    return max(1, min(value, cap))


def truthy(value: str | None) -> bool:
    """A boolean parameter (`true`, `1`, `yes`)."""
    return value is not None and value.strip().lower() in ("1", "true", "yes")


def encode_cursor(key: str) -> str:
    """An opaque cursor (base64, as Meta's look)."""
    return base64.b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The key inside a cursor; raises the #100 cursor error when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise errors.invalid_parameter(
            "The After Cursor specified exceeds the max limit supported by this endpoint"
        ) from exc


def compare(left: Any, operator: str, right: Any) -> bool:
    """Apply a filtering operator (numbers compare as numbers when both sides are numeric)."""
    if operator in ("IN", "NOT_IN", "ANY", "ALL", "NONE"):
        values = right if isinstance(right, list) else [right]
        hit = _norm(left) in {_norm(v) for v in values}
        return bool(hit) if operator in ("IN", "ANY", "ALL") else not hit
    if operator in ("IN_RANGE", "NOT_IN_RANGE"):
        if not isinstance(right, list) or len(right) != 2:
            return False
        inside = _num(right[0]) <= _num(left) <= _num(right[1])
        return inside if operator == "IN_RANGE" else not inside
    if operator in ("CONTAIN", "NOT_CONTAIN"):
        hit = str(right).lower() in str(left).lower()
        return bool(hit) if operator == "CONTAIN" else not hit
    if operator == "STARTS_WITH":
        return str(left).lower().startswith(str(right).lower())
    if operator == "ENDS_WITH":
        return str(left).lower().endswith(str(right).lower())
    if operator == "EQUAL":
        return bool(_norm(left) == _norm(right))
    if operator == "NOT_EQUAL":
        return bool(_norm(left) != _norm(right))
    a, b = _num(left), _num(right)
    return {
        "GREATER_THAN": a > b,
        "AFTER": a > b,
        "GREATER_THAN_OR_EQUAL": a >= b,
        "ON_OR_AFTER": a >= b,
        "LESS_THAN": a < b,
        "BEFORE": a < b,
        "LESS_THAN_OR_EQUAL": a <= b,
        "ON_OR_BEFORE": a <= b,
    }.get(operator, False)


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return text
