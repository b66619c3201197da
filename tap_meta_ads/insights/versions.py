"""What AdsInsights declares in each supported API version, as changes from v25.0 (fields.py).

From Meta's v26.0 object classes (facebook-business 26.0.3); v27.0 announced no read-side
changes for insights. A custom report is checked against its ``api_version``'s lists.
"""

from __future__ import annotations

from tap_meta_ads.insights.fields import (
    ACTION_BREAKDOWNS,
    BREAKDOWNS,
    INTEGER_FIELDS,
    LIST_FIELDS,
    SCALAR_FIELDS,
)

#: Fields v26.0 added: lists of action stats (or objects), an integer, numeric strings.
V26_LIST_FIELDS = frozenset(
    {
        "aggregated_play_time_per_reach",
        "cost_per_mmp_credited_install",
        "creative_fatigue_summary",
        "creative_fatigued_ads",
        "mmp_credited_install",
    }
)
V26_INTEGER_FIELDS = frozenset({"msa_seller_budget"})
V26_NUMBER_FIELDS = frozenset(
    {
        "configurable_audience_overlap_with_conv_action",
        "configurable_audience_overlap_with_conv_converters",
        "configurable_audience_overlap_with_conv_exposure_cost",
        "configurable_audience_overlap_with_conv_exposure_impressions",
        "configurable_audience_overlap_with_conv_exposure_reach",
        "configurable_creative_format_performance_adset_count",
        "configurable_creative_format_performance_clicks",
        "configurable_creative_format_performance_conversions",
        "configurable_creative_format_performance_converters",
        "configurable_creative_format_performance_impressions",
        "configurable_creative_format_performance_spend",
        "configurable_placement_ptc_conversions",
        "configurable_placement_ptc_converters",
        "configurable_placement_ptc_reach",
        "instagram_profile_follow",
        "playable_average_game_length",
        "playable_game_start_rate",
    }
)
#: Fields v26.0 no longer declares (asking for them is Meta's ``(#100)``).
V26_REMOVED_FIELDS = frozenset(
    {
        "marketing_messages_website_add_to_cart",
        "marketing_messages_website_initiate_checkout",
        "marketing_messages_website_purchase",
        "marketing_messages_website_purchase_values",
    }
)
V26_BREAKDOWNS = frozenset(
    {
        "affiliate_click_region",
        "affiliate_link_url",
        "creative_fingerprint_details",
        "creative_format_classification",
        "creative_media_type_breakdown",
        "media_id",
        "msa_seller_name",
        "placement_path",
        "signal_source",
    }
)

#: Every field the tap knows in any version, typed: lists, integers (the rest are numbers or
#: text as fields.py says).
ALL_LIST_FIELDS = LIST_FIELDS | V26_LIST_FIELDS
ALL_INTEGER_FIELDS = INTEGER_FIELDS | V26_INTEGER_FIELDS


def _v26_or_later(version: str) -> bool:
    try:
        return int(version.lstrip("v").split(".")[0]) >= 26
    except ValueError:
        return False


def insights_fields(version: str) -> frozenset[str]:
    """The AdsInsights fields ``version`` declares."""
    v25 = LIST_FIELDS | SCALAR_FIELDS
    if not _v26_or_later(version):
        return v25
    return (v25 - V26_REMOVED_FIELDS) | V26_LIST_FIELDS | V26_INTEGER_FIELDS | V26_NUMBER_FIELDS


def breakdowns(version: str) -> frozenset[str]:
    """The breakdowns ``version`` declares."""
    known = frozenset(BREAKDOWNS)
    return known | V26_BREAKDOWNS if _v26_or_later(version) else known


def action_breakdowns(version: str) -> frozenset[str]:
    """The action breakdowns ``version`` declares (unchanged since v25.0)."""
    return frozenset(ACTION_BREAKDOWNS)
