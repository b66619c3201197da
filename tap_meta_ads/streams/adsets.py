"""adsets: ``GET /act_<id>/adsets``, one paged list per account."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.statuses import EFFECTIVE_STATUSES
from tap_meta_ads.streams.mirror import MirroredObjectStream


class AdSetsStream(MirroredObjectStream):
    """Ad sets of each account (all statuses), with ``campaign_id`` and targeting as JSON."""

    name = "adsets"
    what = "reading ad sets"
    edge = "adsets"
    entity = "adset"
    parent_entities = ("campaign",)
    primary_keys = ("id",)
    all_statuses = EFFECTIVE_STATUSES["adset"]
    money_fields = (
        "daily_budget",
        "lifetime_budget",
        "budget_remaining",
        "bid_amount",
        "daily_spend_cap",
        "lifetime_spend_cap",
        "daily_min_spend_target",
        "lifetime_min_spend_target",
    )
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("campaign_id"),
        sp.text("name"),
        *sp.status_triplet(),
        sp.money("daily_budget"),
        sp.money("lifetime_budget"),
        sp.money("budget_remaining"),
        sp.money("daily_spend_cap"),
        sp.money("lifetime_spend_cap"),
        sp.money("daily_min_spend_target"),
        sp.money("lifetime_min_spend_target"),
        sp.money("bid_amount"),
        sp.text("bid_strategy"),
        sp.json_object("bid_constraints"),
        sp.text("billing_event"),
        sp.text("optimization_goal"),
        sp.text("destination_type"),
        sp.json_object("targeting", "Meta's targeting spec, as JSON."),
        sp.json_object("promoted_object"),
        sp.json_list("attribution_spec"),
        sp.json_object("learning_stage_info"),
        sp.flag("is_dynamic_creative"),
        sp.text_list("pacing_type"),
        sp.json_list("issues_info"),
        *sp.object_times(),
        sp.timestamp("start_time"),
        sp.timestamp("end_time"),
    ).to_dict()
