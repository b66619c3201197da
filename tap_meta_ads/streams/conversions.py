"""custom_conversions: ``GET /act_<id>/customconversions``, full table.

A custom conversion is a pixel rule counted as its own conversion type: insights report it as
the action type ``offsite_conversion.custom.<id>`` (``insights_actions.action_type``), so
``'offsite_conversion.custom.' || id`` joins the two. ``rule`` arrives as JSON text and is
stored as JSON.
"""

from __future__ import annotations

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.scoped import AccountScopedStream


class CustomConversionsStream(AccountScopedStream):
    """Custom conversions of each account (archived ones included); one small paged list."""

    name = "custom_conversions"
    what = "reading custom conversions"
    edge = "customconversions"
    primary_keys = ("id",)
    replication_key = None
    json_text_fields = ("rule",)
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("name"),
        sp.text("description"),
        sp.json_object("rule", "The matching rule (Meta sends JSON text; stored as JSON)."),
        sp.text("custom_event_type", "PURCHASE, LEAD, COMPLETE_REGISTRATION, OTHER..."),
        sp.integer("default_conversion_value"),
        sp.json_object("pixel", "`{id}` of the pixel the rule reads."),
        sp.json_list("data_sources", "Event sources `[{id, source_type, name}]`."),
        sp.text("event_source_type"),
        sp.text("aggregation_rule"),
        sp.integer("retention_days"),
        sp.flag("is_archived"),
        sp.flag("is_unavailable"),
        sp.timestamp("creation_time"),
        sp.timestamp("first_fired_time"),
        sp.timestamp("last_fired_time"),
    ).to_dict()
