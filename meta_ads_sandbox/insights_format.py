"""Formatting insights metrics as Meta returns them: counts as strings, money in major units,
ratios recomputed from sums (six decimals, left out when their denominator is 0), and action
lists of AdsActionStats grouped by the action breakdowns asked for."""

from __future__ import annotations

from decimal import Decimal

from meta_ads_sandbox.insights_data import (
    CLICKS,
    IMPRESSIONS,
    LINK_CLICKS,
    REACH,
    SPEND,
    UNIQUE_CLICKS,
    VALUE,
    VIDEO_LISTS,
    WINDOWS,
    Metrics,
)
from meta_ads_sandbox.money import fmt_money, fmt_ratio, major

_BREAKDOWN_SLOT = {
    "action_type": 1,
    "action_device": 2,
    "action_destination": 3,
    "action_target_id": 4,
}


def _ratio(num: Decimal, den: int | Decimal) -> str | None:
    return fmt_ratio(num / Decimal(den)) if den else None


def metric_values(m: Metrics, currency: str) -> dict[str, str]:
    """The scalar metrics of a row as Meta formats them; ratios omitted when undefined."""
    s = m.scalars
    imps, reach, clicks = s[IMPRESSIONS], s[REACH], s[CLICKS]
    spend = major(s[SPEND], currency)
    out: dict[str, str | None] = {
        "impressions": str(imps),
        "reach": str(reach),
        "frequency": _ratio(Decimal(imps), reach),
        "clicks": str(clicks),
        "unique_clicks": str(s[UNIQUE_CLICKS]),
        "inline_link_clicks": str(s[LINK_CLICKS]),
        "spend": fmt_money(s[SPEND], currency),
        "ctr": _ratio(Decimal(clicks) * 100, imps),
        "unique_ctr": _ratio(Decimal(s[UNIQUE_CLICKS]) * 100, reach),
        "inline_link_click_ctr": _ratio(Decimal(s[LINK_CLICKS]) * 100, imps),
        "cpc": _ratio(spend, clicks),
        "cpm": _ratio(spend * 1000, imps),
        "cpp": _ratio(spend * 1000, reach),
        "cost_per_inline_link_click": _ratio(spend, s[LINK_CLICKS]),
        "cost_per_unique_click": _ratio(spend, s[UNIQUE_CLICKS]),
    }
    return {k: v for k, v in out.items() if v is not None}


def action_list(
    m: Metrics, name: str, breakdowns: tuple[str, ...], windows: tuple[str, ...], currency: str
) -> list[dict[str, str]]:
    """A list of AdsActionStats grouped by the action breakdowns asked for."""
    source = "actions" if name == "cost_per_action_type" else name
    slots = [_BREAKDOWN_SLOT[b] for b in breakdowns]
    grouped: dict[tuple[str, ...], list[int]] = {}
    for key, vec in m.actions.items():
        if key[0] != source:
            continue
        gkey = tuple(key[i] for i in slots)
        have = grouped.get(gkey)
        if have is None:
            grouped[gkey] = list(vec)
        else:
            for i, v in enumerate(vec):
                have[i] += v
    plain = name in VIDEO_LISTS
    money = name == "action_values"
    cost = name == "cost_per_action_type"
    spend = major(m.scalars[SPEND], currency)
    out: list[dict[str, str]] = []
    for gkey in sorted(grouped):
        vec = grouped[gkey]
        total = vec[VALUE]
        # Listed when the action happened under any window, whichever windows are asked, so
        # its `value` (the ad set's setting) can be 0; a cost needs a non-zero value.
        if not any(vec) or (cost and not total):
            continue
        entry = dict(zip(breakdowns, gkey, strict=True))
        counts = (
            {"value": total}
            if plain
            else {
                "value": total,
                **{w: vec[WINDOWS.index(w)] for w in windows if vec[WINDOWS.index(w)]},
            }
        )
        for k, n in counts.items():
            if cost:
                entry[k] = fmt_ratio(spend / Decimal(n))
            else:
                entry[k] = fmt_money(n, currency) if money else str(n)
        out.append(entry)
    return out
