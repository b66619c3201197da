"""Typed schema fragments shared by the streams, written once.

Property names are Graph field names from Meta's v25.0 field catalogue (a test checks every
one against it); properties the tap adds itself are declared by each stream in
``local_properties``.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th


def text(name: str, description: str | None = None) -> th.Property[Any]:
    return th.Property(name, th.StringType, description=description)


def integer(name: str, description: str | None = None) -> th.Property[Any]:
    return th.Property(name, th.IntegerType, description=description)


def decimal(name: str, description: str | None = None) -> th.Property[Any]:
    return th.Property(name, th.NumberType, description=description)


def money(name: str) -> th.Property[Any]:
    """Object money: Meta sends minor units, the tap stores major units."""
    return th.Property(
        name,
        th.NumberType,
        description="Major units of the account currency (converted from Meta's minor units).",
    )


def timestamp(name: str) -> th.Property[Any]:
    return th.Property(name, th.DateTimeType, description="UTC.")


def flag(name: str) -> th.Property[Any]:
    return th.Property(name, th.BooleanType)


def json_object(name: str, description: str | None = None) -> th.Property[Any]:
    return th.Property(name, th.ObjectType(additional_properties=True), description=description)


class _JsonbList(th.JSONTypeHelper[list[Any]]):
    """A list of JSON values that a SQL target stores as one JSON document (``jsonb``).

    Written ``{"anyOf": [{"type": "array"}, {"type": "null"}], "items": ...}``: the items stay
    described (validators, the SDK and the tap's shaping read ``items``), but the branch a SQL
    target maps has no ``items``. target-postgres 0.8.1 maps an array with ``items`` to a
    PostgreSQL array (``jsonb[]`` for objects) and an array without them to ``jsonb``; it
    honours no ``x-sql-datatype`` for ``jsonb`` (only smallint, integer, bigint, pgvector).
    """

    def __init__(self, items: th.JSONTypeHelper[Any]) -> None:
        super().__init__()
        self.items = items

    @property
    def type_dict(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "array"}], "items": self.items.type_dict}


class _JsonbListProperty(th.Property[list[Any]]):
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = super().to_dict()
        schema = result[self.name]
        # The SDK's append_type adds "null" to an anyOf as a bare string: a schema it is not.
        schema["anyOf"] = [o if isinstance(o, dict) else {"type": o} for o in schema["anyOf"]]
        return result


def json_list(
    name: str, description: str | None = None, items: th.JSONTypeHelper[Any] | None = None
) -> th.Property[Any]:
    """A list of JSON objects (``items``: any object by default), landing as ``jsonb``."""
    return _JsonbListProperty(
        name,
        _JsonbList(items or th.ObjectType(additional_properties=True)),
        description=description,
    )


def text_list(name: str) -> th.Property[Any]:
    return th.Property(name, th.ArrayType(th.StringType))


def status_triplet() -> list[th.Property[Any]]:
    return [
        text("status", "Status set by the advertiser (ACTIVE, PAUSED, DELETED, ARCHIVED)."),
        text("configured_status"),
        text("effective_status", "Delivery status including inherited ones (CAMPAIGN_PAUSED...)."),
    ]


def object_times() -> list[th.Property[Any]]:
    return [timestamp("created_time"), timestamp("updated_time")]
