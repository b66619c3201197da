"""custom_audiences: ``GET /act_<id>/customaudiences``, full table.

Counted against Meta's ``custom_audience`` rate-limit family. ``time_created``,
``time_updated`` and ``time_content_updated`` arrive as Unix seconds and are stored as UTC
timestamps.
"""

from __future__ import annotations

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.scoped import AccountScopedStream


class CustomAudiencesStream(AccountScopedStream):
    """Custom and lookalike audiences of each account."""

    name = "custom_audiences"
    what = "reading custom audiences"
    edge = "customaudiences"
    primary_keys = ("id",)
    replication_key = None
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("name"),
        sp.text("description"),
        sp.text("subtype", "CUSTOM, WEBSITE, LOOKALIKE, ENGAGEMENT..."),
        sp.integer("approximate_count_lower_bound"),
        sp.integer("approximate_count_upper_bound"),
        sp.integer("retention_days"),
        sp.json_object("delivery_status", "`{code, description}`."),
        sp.json_object("operation_status", "`{code, description}`."),
        sp.text("rule", "Website audience rule (a JSON string, as Meta sends it)."),
        sp.json_object("data_source"),
        sp.json_object("lookalike_spec"),
        sp.text("customer_file_source"),
        sp.flag("is_value_based"),
        sp.text("pixel_id"),
        sp.timestamp("time_created"),
        sp.timestamp("time_updated"),
        sp.timestamp("time_content_updated"),
    ).to_dict()
