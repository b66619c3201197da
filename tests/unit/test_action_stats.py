"""The action-stat sums and conversions give what their first, plainer version gave."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, Overflow, localcontext
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tap_meta_ads.shaping import INT_MAX, INT_MIN
from tap_meta_ads.streams.action_stats import numeric_action_stats, sum_actions


def _reference_number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def reference_sum(stats: Any, types: tuple[str, ...] | None = None) -> Any:
    if not isinstance(stats, list):
        return None
    with localcontext() as context:
        context.traps[Overflow] = context.traps[InvalidOperation] = False
        total = Decimal(0)
        for stat in stats:
            if isinstance(stat, dict) and (types is None or stat.get("action_type") in types):
                total += _reference_number(stat.get("value")) or 0
    if total.is_finite() and INT_MIN <= total <= INT_MAX:
        return int(total)
    return total


def reference_stats(stats: Any) -> Any:
    if not isinstance(stats, list):
        return stats
    result = []
    for stat in stats:
        if not isinstance(stat, dict):
            continue
        converted = {}
        for key, value in stat.items():
            is_label = key == "action_type" or key.startswith("action_")
            number = None if is_label else _reference_number(value)
            converted[key] = number if number is not None else value
        result.append(converted)
    return result


NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e999999", "-1e999999", "NaN", "abc", "", " 5", "1_000", "9" * 30]),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
)
STATS = st.lists(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["action_type", "value", "7d_click", "1d_view", "action_device"]),
            st.one_of(NUMBERS, st.sampled_from(["lead", "purchase"])),
        ),
        st.none(),
        st.integers(),
    ),
    max_size=6,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN included, and of the same types."""
    return repr(a) == repr(b)


@given(stats=st.one_of(STATS, NUMBERS), types=st.sampled_from([None, ("lead",), ()]))
@example(stats=[{"value": "1e999999"}, {"value": "1e999999"}], types=None)
def test_sums_are_as_before(stats, types):
    assert _same(sum_actions(stats, types), reference_sum(stats, types))


@given(stats=st.one_of(STATS, NUMBERS))
def test_conversions_are_as_before(stats):
    assert _same(numeric_action_stats(stats), reference_stats(stats))
