"""campaigns: ``GET /act_<id>/campaigns``, one paged list per account."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.statuses import EFFECTIVE_STATUSES
from tap_meta_ads.streams.mirror import MirroredObjectStream


class CampaignsStream(MirroredObjectStream):
    """Campaigns of each account (all statuses); about one request per page of objects."""

    name = "campaigns"
    what = "reading campaigns"
    edge = "campaigns"
    entity = "campaign"
    primary_keys = ("id",)
    all_statuses = EFFECTIVE_STATUSES["campaign"]
    money_fields = ("daily_budget", "lifetime_budget", "budget_remaining", "spend_cap")
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("name"),
        sp.text("objective"),
        *sp.status_triplet(),
        sp.text("buying_type"),
        sp.text("bid_strategy"),
        sp.money("daily_budget"),
        sp.money("lifetime_budget"),
        sp.money("budget_remaining"),
        sp.money("spend_cap"),
        sp.text_list("special_ad_categories"),
        sp.text("special_ad_category"),
        sp.text_list("pacing_type"),
        sp.json_object("promoted_object"),
        sp.json_list("issues_info"),
        sp.text("smart_promotion_type"),
        sp.text("source_campaign_id"),
        *sp.object_times(),
        sp.timestamp("start_time"),
        sp.timestamp("stop_time"),
    ).to_dict()
