"""ads: ``GET /act_<id>/ads``, one paged list per account, creative expanded inline."""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.statuses import EFFECTIVE_STATUSES
from tap_meta_ads.streams.mirror import MirroredObjectStream

#: Creative fields read with each ad through field expansion (no extra request per ad).
CREATIVE_SUMMARY = (
    "id",
    "name",
    "body",
    "title",
    "link_url",
    "image_url",
    "thumbnail_url",
    "object_type",
    "call_to_action_type",
)


class AdsStream(MirroredObjectStream):
    """Ads of each account (all statuses), with ``adset_id``, ``campaign_id`` and creative."""

    name = "ads"
    what = "reading ads"
    edge = "ads"
    entity = "ad"
    parent_entities = ("campaign", "adset")
    primary_keys = ("id",)
    local_properties: ClassVar[frozenset[str]] = frozenset({"creative_id"})
    all_statuses = EFFECTIVE_STATUSES["ad"]
    money_fields = ("bid_amount",)
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id"),
        sp.text("campaign_id"),
        sp.text("adset_id"),
        sp.text("name"),
        *sp.status_triplet(),
        sp.text("creative_id", "Id of the ad's creative (from `creative.id`)."),
        sp.json_object("creative", "The creative's body, title, link, image and thumbnail."),
        sp.money("bid_amount"),
        sp.text("bid_type"),
        sp.json_list("tracking_specs"),
        sp.json_list("conversion_specs"),
        sp.json_list("issues_info"),
        sp.json_list("recommendations"),
        sp.text("preview_shareable_link"),
        sp.text("source_ad_id"),
        sp.text("last_updated_by_app_id"),
        *sp.object_times(),
    ).to_dict()

    def graph_fields(self) -> list[str]:
        return [
            f"creative{{{','.join(CREATIVE_SUMMARY)}}}" if name == "creative" else name
            for name in super().graph_fields()
        ]

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        creative = row.get("creative")
        row["creative_id"] = creative.get("id") if isinstance(creative, dict) else None
        return super().post_process(row, context)
