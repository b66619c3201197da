"""Compiled shapers: ``shaping.shape_record``'s result for usual values, at a fraction of its cost.

``compile_shaper(schema)`` reads a stream's schema once and returns a function of one record.
It shapes the values Meta usually sends (text, counts as digit strings, amounts as decimal
strings, dates, datetimes, flags, JSON objects, lists of them) with one converter per property
chosen up front, where ``shape_record`` works out each property's types again for every value
(about 160 us of an ad-level insights row's CPU, against 10 here). Anything else (a number
where text belongs, an amount that is not finite or beyond a float, a list with a null...)
raises ``Unusual``: the caller then shapes that record with ``shape_record`` and the SDK's
conformance, so their rules (what is nulled, warned about or refused) stay the only rules.
``tests/unit/test_shapers.py`` checks, for generated records of every stream's schema, that a
compiled shaper either gives ``shape_record``'s result or gives way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from tap_meta_ads.shaping import INT_MAX, INT_MIN, UnshapeableError, parse_datetime, shape_value

Converter = Callable[[Any], Any]
Shaper = Callable[[dict[str, Any]], dict[str, Any]]
#: Digits of an integer string that always fits 64 bits.
SAFE_DIGITS = 18
#: Amounts from 1e300 up are left to ``shape_record`` and the SDK's conformance, which nulls
#: a number a float cannot hold (``math.isinf`` of a Decimal goes through float).
SAFE_EXPONENT = 300


class Unusual(Exception):  # noqa: N818 - a signal to the caller, not an error
    """A value the compiled shaper leaves to ``shape_record``."""


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    for option in schema.get("anyOf", []):
        types |= _types(option)
    return types


def _text(value: Any) -> Any:
    if type(value) is str:
        return value
    raise Unusual


def _integer(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        digits = value[1:] if value[:1] == "-" else value
        if len(digits) <= SAFE_DIGITS and digits.isascii() and digits.isdigit():
            return int(value)
    elif kind is int and INT_MIN <= value <= INT_MAX:
        return value
    raise Unusual


def _number(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise Unusual from None
        if number.is_finite() and number.adjusted() < SAFE_EXPONENT:
            return number
    elif kind is Decimal and value.is_finite() and value.adjusted() < SAFE_EXPONENT:
        return value
    raise Unusual


def _date(value: Any) -> Any:
    if type(value) is str:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise Unusual from None
    raise Unusual


def _datetime(value: Any) -> Any:
    if type(value) is str:
        try:
            return parse_datetime(value)
        except UnshapeableError:
            raise Unusual from None
    raise Unusual


def _flag(value: Any) -> Any:
    if type(value) is bool:
        return value
    raise Unusual


def _json_object(value: Any) -> Any:
    if type(value) is dict:
        return value
    raise Unusual


def _generic(schema: dict[str, Any]) -> Converter:
    """``shape_value`` itself, for schemas no converter above is for."""

    def convert(value: Any) -> Any:
        try:
            return shape_value(value, schema)
        except UnshapeableError:
            raise Unusual from None

    return convert


def _object(schema: dict[str, Any]) -> Converter:
    """An object with declared properties; undeclared keys stay unless the schema forbids."""
    declared = _plan(schema)
    closed = schema.get("additionalProperties") is False

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise Unusual
        if closed:
            return _apply(declared, value)
        # {**value, **shaped}, copied only when a declared value changes (an action stat's
        # numbers are Decimals already)
        shaped = value
        for name, convert_one in declared:
            entry = value.get(name)
            if entry is not None:
                converted = convert_one(entry)
                if converted is not entry:
                    if shaped is value:
                        shaped = dict(value)
                    shaped[name] = converted
        return shaped

    return convert


def _list(items: dict[str, Any]) -> Converter:
    item = converter(items)
    nullable = "null" in _types(items)

    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise Unusual
        shaped: list[Any] = []
        for entry in value:
            if entry is None:
                if not nullable:
                    raise Unusual
                shaped.append(None)
            else:
                shaped.append(item(entry))
        return shaped

    return convert


def converter(schema: dict[str, Any]) -> Converter:
    """The converter of non-null values of one property (``shape_value``'s branch for it)."""
    types = _types(schema) - {"null"}
    fmt = schema.get("format")
    if "string" in types and fmt == "date-time":
        return _datetime
    if "string" in types and fmt == "date":
        return _date
    simple: dict[frozenset[str], Converter] = {
        frozenset({"integer"}): _integer,
        frozenset({"number"}): _number,
        frozenset({"number", "integer"}): _number,
        frozenset({"boolean"}): _flag,
        frozenset({"string"}): _text,
    }
    found = simple.get(frozenset(types))
    if found is not None:
        return found
    if types == {"object"}:
        return _object(schema) if schema.get("properties") else _json_object
    if types == {"array"}:
        items = schema.get("items")
        if isinstance(items, dict) and _types(items):
            return _list(items)
    return _generic(schema)


def _plan(schema: dict[str, Any]) -> tuple[tuple[str, Converter], ...]:
    properties: dict[str, Any] = schema.get("properties", {})
    return tuple((name, converter(prop)) for name, prop in properties.items())


def _apply(plan: tuple[tuple[str, Converter], ...], record: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    for name, convert in plan:
        if name in record:
            value = record[name]
            shaped[name] = None if value is None else convert(value)
    return shaped


def compile_shaper(schema: dict[str, Any]) -> Shaper:
    """``shape_record(record, schema, ...)`` for records of usual values; ``Unusual`` else."""
    plan = _plan(schema)

    def shape(record: dict[str, Any]) -> dict[str, Any]:
        return _apply(plan, record)

    return shape
