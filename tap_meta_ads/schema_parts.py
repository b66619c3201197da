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


def json_list(name: str, description: str | None = None) -> th.Property[Any]:
    return th.Property(
        name, th.ArrayType(th.ObjectType(additional_properties=True)), description=description
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
