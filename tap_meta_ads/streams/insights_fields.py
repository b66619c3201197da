"""The schema of the daily insights streams, and the Graph lists their computed columns sum."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.insights import level_columns

VIDEO_FIELDS = {
    "video_p25_watched": "video_p25_watched_actions",
    "video_p50_watched": "video_p50_watched_actions",
    "video_p75_watched": "video_p75_watched_actions",
    "video_p100_watched": "video_p100_watched_actions",
    "video_plays": "video_play_actions",
}
ACTION_LISTS = ("actions", "action_values", "cost_per_action_type")

ACTION_STAT = th.ObjectType(
    th.Property("action_type", th.StringType),
    th.Property("value", th.NumberType),
    additional_properties=True,
)


def insights_schema(level: str) -> dict[str, Any]:
    """Schema of a daily insights stream at ``level``: ids and names up the hierarchy."""
    return th.PropertiesList(
        *(sp.text(column) for column in level_columns(level)),
        sp.text("account_currency"),
        th.Property(
            "date_start",
            th.DateType,
            required=True,
            description="Day, in the ad account's time zone.",
        ),
        th.Property("date_stop", th.DateType),
        sp.text("objective"),
        sp.text("optimization_goal"),
        sp.text("buying_type"),
        sp.text("attribution_setting"),
        sp.integer("impressions"),
        sp.integer("clicks"),
        sp.integer("unique_clicks"),
        sp.integer("inline_link_clicks"),
        sp.integer("reach"),
        sp.decimal("spend", "Major units of account_currency (Meta sends insights money so)."),
        sp.decimal("ctr"),
        sp.decimal("cpc"),
        sp.decimal("cpm"),
        sp.decimal("cpp"),
        sp.decimal("frequency"),
        sp.integer("conversions", "Sum of `actions` of the types in `conversion_action_types`."),
        *(sp.integer(name, f"Sum of `{source}`.") for name, source in VIDEO_FIELDS.items()),
        *(
            sp.json_list(
                name,
                "Meta's action stats with numeric values, one entry per action "
                "type with a key per attribution window.",
                items=ACTION_STAT,
            )
            for name in ACTION_LISTS
        ),
    ).to_dict()
