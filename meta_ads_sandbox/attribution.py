"""Ad set attribution settings: the ad set's `attribution_spec`, the insights
`attribution_setting` it gives, and which window counts make an action's `value`.

Since 2025-06-10 insights follow each ad set's attribution setting, as Ads Manager shows
(`use_unified_attribution_setting` and `action_report_time` are ignored); a campaign or account
row whose ad sets have different settings reports `mixed`.
"""

from __future__ import annotations

from typing import Any

from meta_ads_sandbox.rng import h64

# setting -> (attribution_spec, windows whose counts add up to `value`)
SETTINGS: dict[str, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]] = {
    "7d_click_1d_view": ((("CLICK_THROUGH", 7), ("VIEW_THROUGH", 1)), ("7d_click", "1d_view")),
    "1d_click": ((("CLICK_THROUGH", 1),), ("1d_click",)),
    "7d_click": ((("CLICK_THROUGH", 7),), ("7d_click",)),
    "1d_click_1d_view": ((("CLICK_THROUGH", 1), ("VIEW_THROUGH", 1)), ("1d_click", "1d_view")),
}
MIXED = "mixed"
CONVERSION_GOALS = ("OFFSITE_CONVERSIONS", "LEAD_GENERATION", "APP_INSTALLS")
# Chances (per thousand) of each setting, for conversion goals and for the others.
_CONVERSION_ODDS = (
    ("7d_click_1d_view", 600),
    ("7d_click", 200),
    ("1d_click_1d_view", 100),
    ("1d_click", 100),
)
_OTHER_ODDS = (
    ("1d_click", 500),
    ("7d_click_1d_view", 200),
    ("7d_click", 200),
    ("1d_click_1d_view", 100),
)


def pick(seed: int, key: tuple[int, int, int], goal: str) -> str:
    """The attribution setting of an ad set (a hash of seed and position, weighted by goal)."""
    odds = _CONVERSION_ODDS if goal in CONVERSION_GOALS else _OTHER_ODDS
    draw = h64(seed, "attribution", *key) % 1000
    for setting, chance in odds:
        if draw < chance:
            return setting
        draw -= chance
    return odds[-1][0]


def spec(setting: str) -> list[dict[str, Any]]:
    """The ad set's `attribution_spec` for a setting."""
    return [{"event_type": e, "window_days": d} for e, d in SETTINGS[setting][0]]


def setting_of(attribution_spec: list[dict[str, Any]]) -> str:
    """`[{CLICK_THROUGH, 7}, {VIEW_THROUGH, 1}]` -> `7d_click_1d_view`."""
    parts = {
        str(s.get("event_type")): int(s.get("window_days", 0))
        for s in attribution_spec
        if isinstance(s, dict)
    }
    out = []
    if parts.get("CLICK_THROUGH"):
        out.append(f"{parts['CLICK_THROUGH']}d_click")
    if parts.get("ENGAGED_VIDEO_VIEW"):
        out.append(f"{parts['ENGAGED_VIDEO_VIEW']}d_ev")
    if parts.get("VIEW_THROUGH"):
        out.append(f"{parts['VIEW_THROUGH']}d_view")
    return "_".join(out)


def combined(settings: set[str]) -> str:
    """The setting of a row over ad sets with these settings (`mixed` when they differ)."""
    return next(iter(settings)) if len(settings) == 1 else MIXED


def value_windows(setting: str) -> tuple[str, ...]:
    """The windows whose counts make an action's `value` under a setting."""
    return SETTINGS[setting][1]
