"""Meta's action stats as numbers: ``[{"action_type", "value", "<window>"...}]`` lists.

Every ad-level insights row carries a few dozen of these values, so the usual ones (numeric
strings, finite Decimals) take a short path; ``_sum_in_context`` is the rule for the rest.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, Overflow, localcontext
from typing import Any

from tap_meta_ads.shaping import INT_MAX, INT_MIN

#: Keys of an action stat that hold numbers (AdsActionStats: the value and its attribution
#: windows); other keys follow the rule: labels are ``action_type`` and ``action_*``.
WINDOWS = frozenset(
    {"value", "1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view", "1d_ev"}
    | {"dda", "inline", "skan_click", "skan_view"}
)


def _number(value: Any) -> Decimal | None:
    """A finite number from Meta's numeric strings; None for anything else (NaN, inf...)."""
    if type(value) is Decimal:
        return value if value.is_finite() else None
    try:
        number = Decimal(value if type(value) is str else str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _as_int(total: Decimal) -> int | Decimal:
    if total.is_finite() and INT_MIN <= total <= INT_MAX:
        return int(total)
    return total


def _sum_in_context(stats: list[Any], types: tuple[str, ...] | None) -> int | Decimal:
    """The sum where a total overflows: Infinity, which shaping then refuses."""
    with localcontext() as context:
        context.traps[Overflow] = context.traps[InvalidOperation] = False
        total = Decimal(0)
        for stat in stats:
            if isinstance(stat, dict) and (types is None or stat.get("action_type") in types):
                total += _number(stat.get("value")) or 0
    return _as_int(total)


def sum_actions(stats: Any, types: tuple[str, ...] | None = None) -> int | Decimal | None:
    """Sum of the stats' ``value``; a sum that is no 64-bit integer is left for shaping to
    refuse (stored as null with a warning)."""
    if not isinstance(stats, list):
        return None
    total = Decimal(0)
    try:
        for stat in stats:
            if isinstance(stat, dict) and (types is None or stat.get("action_type") in types):
                number = _number(stat.get("value"))
                if number is not None:
                    total += number
    except ArithmeticError:  # Overflow, trapped outside _sum_in_context's context
        return _sum_in_context(stats, types)
    return _as_int(total)


def numeric_action_stats(stats: Any) -> Any:
    """``[{"action_type": "lead", "value": "5", "7d_click": "4"}]`` with numbers as numbers."""
    if not isinstance(stats, list):
        return stats
    result = []
    # one Decimal per distinct string: a stat's value and its windows are often the same
    numbers: dict[str, Decimal] = {}
    for stat in stats:
        if not isinstance(stat, dict):
            continue
        converted: dict[str, Any] = {}
        for key, value in stat.items():
            if key in WINDOWS and type(value) is str:
                number = numbers.get(value)
                if number is None:
                    try:
                        parsed = Decimal(value)
                    except ArithmeticError:
                        converted[key] = value
                        continue
                    if not parsed.is_finite():
                        converted[key] = value
                        continue
                    number = numbers[value] = parsed
                converted[key] = number
            elif key == "action_type" or key.startswith("action_"):
                converted[key] = value
            else:
                found = _number(value)
                converted[key] = found if found is not None else value
        result.append(converted)
    return result
