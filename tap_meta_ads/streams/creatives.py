"""adcreatives: ``GET /act_<id>/adcreatives``, full table (Meta gives creatives no timestamps)."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.scoped import AccountScopedStream


class AdCreativesStream(AccountScopedStream):
    """Creatives of each account; specs are heavy, so pages shrink when Meta asks."""

    name = "adcreatives"
    what = "reading ad creatives"
    edge = "adcreatives"
    primary_keys = ("id",)
    replication_key = None
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("name"),
        sp.text("status", "ACTIVE, DELETED, IN_PROCESS or WITH_ISSUES."),
        sp.text("object_type"),
        sp.text("body"),
        sp.text("title"),
        sp.text("link_url"),
        sp.text("image_url"),
        sp.text("image_hash"),
        sp.text("thumbnail_url"),
        sp.text("video_id"),
        sp.text("call_to_action_type"),
        sp.text("url_tags"),
        sp.text("object_story_id"),
        sp.text("effective_object_story_id"),
        sp.text("instagram_permalink_url"),
        sp.json_object("object_story_spec", "The creative's story spec, as JSON."),
        sp.json_object("asset_feed_spec", "Dynamic creative assets, as JSON."),
    ).to_dict()
