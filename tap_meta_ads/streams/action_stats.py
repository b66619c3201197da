"""Meta's action stats as numbers: ``[{"action_type", "value", "<window>"...}]`` lists."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, Overflow, localcontext
from typing import Any

from tap_meta_ads.shaping import INT_MAX, INT_MIN


def _number(value: Any) -> Decimal | None:
    """A finite number from Meta's numeric strings; None for anything else (NaN, inf...)."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def sum_actions(stats: Any, types: tuple[str, ...] | None = None) -> int | Decimal | None:
    """Sum of the stats' ``value``; a sum that is no 64-bit integer is left for shaping to
    refuse (stored as null with a warning)."""
    if not isinstance(stats, list):
        return None
    with localcontext() as context:
        context.traps[Overflow] = context.traps[InvalidOperation] = False
        total = Decimal(0)
        for stat in stats:
            if isinstance(stat, dict) and (types is None or stat.get("action_type") in types):
                total += _number(stat.get("value")) or 0
    if total.is_finite() and INT_MIN <= total <= INT_MAX:
        return int(total)
    return total


def numeric_action_stats(stats: Any) -> Any:
    """``[{"action_type": "lead", "value": "5", "7d_click": "4"}]`` with numbers as numbers."""
    if not isinstance(stats, list):
        return stats
    result = []
    for stat in stats:
        if not isinstance(stat, dict):
            continue
        converted = {}
        for key, value in stat.items():
            is_label = key == "action_type" or key.startswith("action_")
            number = None if is_label else _number(value)
            converted[key] = number if number is not None else value
        result.append(converted)
    return result
