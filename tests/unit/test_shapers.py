"""A compiled shaper gives ``shape_record``'s result, or gives way (``Unusual``) to it."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_meta_ads.shapers import Unusual, compile_shaper
from tap_meta_ads.shaping import UnshapeableError, shape_record
from tests.unit.test_properties import STREAM_NAMES, payload_tap, rows_for

USUAL_ROW = {
    "account_id": "1001",
    "ad_id": "123000010001006007",
    "ad_name": "Carousel | Made to last | A7",
    "date_start": "2026-09-07",
    "date_stop": "2026-09-07",
    "impressions": "1247",
    "reach": "-0",
    "spend": "17.67",
    "ctr": "1.283079",
    "conversions": 3,
    "actions": [
        {"action_type": "link_click", "value": Decimal("14"), "7d_click": Decimal("14")},
        {"action_type": "add_to_cart", "value": Decimal("1"), "1d_view": "n/a"},
    ],
    "unknown": "dropped",
}


def _compare(name: str, row: dict[str, Any]) -> bool:
    """True when the compiled shaper answered (and agreed), False when it gave way."""
    schema = payload_tap().streams[name].schema
    try:
        fast = compile_shaper(schema)(copy.deepcopy(row))
    except Unusual:
        return False
    slow = shape_record(copy.deepcopy(row), schema, name, None, strict=True)
    assert fast == slow
    assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()]
    assert list(fast) == list(slow)
    return True


def test_a_usual_insights_row_is_shaped_as_shape_record_does():
    assert _compare("ad_insights", USUAL_ROW)
    shaped = compile_shaper(payload_tap().streams["ad_insights"].schema)(dict(USUAL_ROW))
    assert shaped["impressions"] == 1247
    assert shaped["reach"] == 0
    assert shaped["spend"] == Decimal("17.67")
    assert "unknown" not in shaped
    assert shaped["actions"][1]["1d_view"] == "n/a"  # undeclared keys of an action stat stay


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("impressions", "1e3"),  # a whole number shape_record accepts, not digits
        ("impressions", "9" * 19),  # may not fit 64 bits
        ("impressions", True),
        ("spend", "NaN"),
        ("spend", "Infinity"),
        ("spend", "1e999999999"),  # finite, but the SDK's conformance nulls it (float inf)
        ("spend", 5),
        ("ad_name", 5),
        ("date_start", "2026-02-30"),
        ("actions", [None]),
        ("actions", [{"action_type": "x", "value": "NaN"}]),
        ("actions", "[]"),
    ],
)
def test_unusual_values_are_left_to_shape_record(field, value):
    schema = payload_tap().streams["ad_insights"].schema
    with pytest.raises(Unusual):
        compile_shaper(schema)({**USUAL_ROW, field: value})


def test_an_unusual_value_shape_record_refuses_is_refused_there():
    schema = payload_tap().streams["ad_insights"].schema
    row = {**USUAL_ROW, "spend": "NaN"}
    with pytest.raises(UnshapeableError):
        shape_record(row, schema, "ad_insights", None, strict=True)


@pytest.mark.parametrize("name", STREAM_NAMES)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
@example(data=None)
def test_any_graph_row_is_shaped_as_shape_record_does_or_given_way(name, data):
    if data is None:  # hypothesis' explicit example: the usual row under every schema
        _compare(name, USUAL_ROW)
        return
    _compare(name, data.draw(rows_for(name), label="row"))


@pytest.mark.parametrize("name", STREAM_NAMES)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_sdks_conformance_would_change_no_record_the_compiled_shaper_answers(name, data):
    """Why the streams turn the SDK's conformance off (TYPE_CONFORMANCE_LEVEL NONE): the
    records the shaper gives way on are conformed in post_process."""
    stream = payload_tap().streams[name]
    assert stream.TYPE_CONFORMANCE_LEVEL is TypeConformanceLevel.NONE
    row = data.draw(rows_for(name), label="row")
    try:
        shaped = compile_shaper(stream.schema)(row)
    except Unusual:
        return
    conformed = conform_record_data_types(
        name, copy.deepcopy(shaped), stream.schema, TypeConformanceLevel.RECURSIVE, stream.logger
    )
    assert conformed == shaped
    assert [type(v) for v in conformed.values()] == [type(v) for v in shaped.values()]
