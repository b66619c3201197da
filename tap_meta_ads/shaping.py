"""Shape Graph JSON into warehouse types, driven by the stream's JSON schema.

Meta sends counts and money as strings, datetimes as ``2026-11-01T10:00:00-0700`` (or Unix
seconds on custom audiences). Records leave the tap with integers as ints, decimals as
``Decimal``, datetimes as UTC ISO-8601 and dates as ``YYYY-MM-DD``. Integers must fit 64 bits
(warehouse BIGINT); a list with one item that does not fit its item type does not fit.

A count, an amount, a date or a time that does not fit its column (``strict``: the streams'
records) raises ``DoesNotFitError`` naming the field: nulling it would store a wrong number or
lose an incremental bookmark without a word. Other values that do not fit (a string where an
object belongs, a list that is not one) become null with one warning per stream and field.
Neither message ever contains the value itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

_UNSET = object()
#: Integers are warehouse BIGINTs: values outside 64 bits do not fit their type.
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)


class UnshapeableError(ValueError):
    """A value does not fit its declared type."""


class DoesNotFitError(UnshapeableError):
    """A number or time that does not fit its column: the record cannot be written."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_strict(schema: dict[str, Any]) -> bool:
    """Columns whose values are never nulled: integers, numbers, dates and times."""
    types = _types(schema) - {"null"}
    return bool(types) and (
        types <= {"integer", "number"} or schema.get("format") in ("date", "date-time")
    )


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    for option in schema.get("anyOf", []):
        types |= _types(option)
    return types


def parse_datetime(value: Any) -> str:
    """Meta datetime (ISO with ``+HHMM`` offset, or Unix seconds) -> UTC ISO-8601."""
    if isinstance(value, bool):
        raise UnshapeableError("boolean")
    try:
        if isinstance(value, (int, float)):
            moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
        elif isinstance(value, str):
            text = value.strip()
            if text.isascii() and text.isdigit():
                moment = dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
            else:
                # Meta writes +0000; some proxies turn "+" into a space passing through forms.
                if len(text) > 19 and text[-5] == " " and text[-4:].isdigit():
                    text = f"{text[:-5]}+{text[-4:]}"
                moment = dt.datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=dt.UTC)
        else:
            raise UnshapeableError(type(value).__name__)
        return moment.astimezone(dt.UTC).isoformat()
    except (ValueError, OverflowError, OSError) as exc:  # not a date, or outside years 1-9999
        if isinstance(exc, UnshapeableError):
            raise
        raise UnshapeableError("not a datetime") from exc


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise UnshapeableError("boolean")
    if isinstance(value, int):
        number = Decimal(value)
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise UnshapeableError("not a number") from exc
    if not number.is_finite() or number != number.to_integral_value():
        raise UnshapeableError("not a whole number")
    if not INT_MIN <= number <= INT_MAX:  # checked before int(): 1e999999999 stays cheap
        raise UnshapeableError("outside the 64-bit integer range")
    return int(number)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise UnshapeableError("boolean")
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise UnshapeableError("not a number") from exc
    if not number.is_finite():
        raise UnshapeableError("not finite")
    return number


def shape_value(value: Any, schema: dict[str, Any]) -> Any:
    """One value to the type its schema declares (raises UnshapeableError when it cannot)."""
    if value is None:
        return None
    types = _types(schema) - {"null"}
    fmt = schema.get("format")
    if "string" in types and fmt == "date-time":
        return parse_datetime(value)
    if "string" in types and fmt == "date":
        text = str(value)[:10]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise UnshapeableError("not a date") from exc
    if types == {"integer"}:
        return _to_int(value)
    if types == {"number"} or types == {"number", "integer"}:
        return _to_decimal(value)
    if types == {"boolean"}:
        if isinstance(value, bool):
            return value
        if value in ("true", "1", 1):
            return True
        if value in ("false", "0", 0):
            return False
        raise UnshapeableError("not a boolean")
    if types == {"string"}:
        if isinstance(value, (dict, list)):
            raise UnshapeableError(type(value).__name__)
        return value if isinstance(value, str) else str(value)
    if types == {"object"}:
        if not isinstance(value, dict):
            raise UnshapeableError(type(value).__name__)
        if not schema.get("properties"):
            return value
        shaped = shape_record(value, schema, "", None)
        # Keys the schema does not declare stay when it allows them (action stats keep
        # one key per attribution window).
        return shaped if schema.get("additionalProperties") is False else {**value, **shaped}
    if types == {"array"}:
        if not isinstance(value, list):
            raise UnshapeableError(type(value).__name__)
        items = schema.get("items")
        if isinstance(items, dict) and _types(items):
            # One item that does not fit makes the whole list not fit (stored as null).
            return [_shape_item(item, items) for item in value]
    return value


def _shape_item(item: Any, items: dict[str, Any]) -> Any:
    if item is None and "null" not in _types(items):
        raise UnshapeableError("null in a list")
    return shape_value(item, items)


def shape_record(
    record: dict[str, Any],
    schema: dict[str, Any],
    stream: str,
    logger: logging.Logger | None,
    warned: set[str] | None = None,
    *,
    strict: bool = False,
) -> dict[str, Any]:
    """Shape every declared property of ``record``; undeclared keys are dropped.

    ``strict``: a number or time that does not fit raises ``DoesNotFitError``.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    shaped: dict[str, Any] = {}
    for name, prop in properties.items():
        value = record.get(name, _UNSET)
        if value is _UNSET:
            continue
        try:
            shaped[name] = shape_value(value, prop)
        except UnshapeableError as exc:
            if strict and is_strict(prop):
                raise DoesNotFitError(name, str(exc)) from None
            shaped[name] = None
            if logger is not None and (warned is None or name not in warned):
                if warned is not None:
                    warned.add(name)
                logger.warning(
                    "%s: field %s had an unexpected value (%s); stored as null", stream, name, exc
                )
    return shaped
