from decimal import Decimal

import pytest
from singer_sdk import typing as th

from tap_meta_ads.shaping import DoesNotFitError, parse_datetime, shape_record

SCHEMA = th.PropertiesList(
    th.Property("id", th.StringType),
    th.Property("count", th.IntegerType),
    th.Property("spend", th.NumberType),
    th.Property("when", th.DateTimeType),
    th.Property("day", th.DateType),
    th.Property("flag", th.BooleanType),
    th.Property("spec", th.ObjectType(additional_properties=True)),
    th.Property("tags", th.ArrayType(th.StringType)),
).to_dict()


def test_datetimes_become_utc():
    assert parse_datetime("2026-11-01T10:00:00-0700") == "2026-11-01T17:00:00+00:00"
    assert parse_datetime("2026-11-01T10:00:00+0000") == "2026-11-01T10:00:00+00:00"
    assert parse_datetime("2026-11-01T10:00:00 0000") == "2026-11-01T10:00:00+00:00"
    assert parse_datetime(1700000000) == "2023-11-14T22:13:20+00:00"
    assert parse_datetime("1700000000") == "2023-11-14T22:13:20+00:00"


def test_record_is_shaped_to_its_schema():
    row = {
        "id": 123,
        "count": "42",
        "spend": "10.50",
        "when": "2026-01-02T03:04:05+0100",
        "day": "2026-01-02",
        "flag": "true",
        "spec": {"a": 1},
        "tags": ["x"],
        "extra": 1,
    }
    assert shape_record(row, SCHEMA, "s", None) == {
        "id": "123",
        "count": 42,
        "spend": Decimal("10.50"),
        "when": "2026-01-02T02:04:05+00:00",
        "day": "2026-01-02",
        "flag": True,
        "spec": {"a": 1},
        "tags": ["x"],
    }


def test_bad_values_become_null_with_one_warning(caplog):
    import logging

    logger = logging.getLogger("shape-test")
    warned: set[str] = set()
    bad = {"count": "many", "spend": {"x": 1}, "when": "soon", "spec": [1], "tags": "x"}
    for _ in range(3):
        shaped = shape_record(bad, SCHEMA, "s", logger, warned)
        assert shaped == dict.fromkeys(bad)
    assert len([r for r in caplog.records if r.name == "shape-test"]) == len(bad)
    assert "many" not in caplog.text


def test_missing_fields_stay_missing_and_nulls_stay_null():
    assert shape_record({"id": "1", "count": None}, SCHEMA, "s", None) == {"id": "1", "count": None}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("count", "123456789012345678901234", "outside the 64-bit integer range"),
        ("count", "many", "not a number"),
        ("spend", "lots", "not a number"),
        ("when", "yesterday", "not a datetime"),
        ("day", "someday", "not a date"),
    ],
)
def test_strict_numbers_and_times_that_do_not_fit_raise_naming_the_field(field, value, reason):
    with pytest.raises(DoesNotFitError) as caught:
        shape_record({"id": "1", field: value}, SCHEMA, "s", None, strict=True)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert value not in str(caught.value)


def test_strict_keeps_integers_up_to_64_bits_and_nulls_other_misfits():
    row = {"count": str(2**63 - 1), "spec": [1], "tags": "x", "flag": "maybe"}
    shaped = shape_record(row, SCHEMA, "s", None, strict=True)
    assert shaped == {"count": 2**63 - 1, "spec": None, "tags": None, "flag": None}
    assert shape_record({"count": "123456789012"}, SCHEMA, "s", None, strict=True) == {
        "count": 123456789012
    }
