"""adimages and advideos: an account's media library, full table.

Meta offers no usable timestamp filter on these edges (the video edge ignores
``filtering``), so each run lists them whole; they are small next to ads and insights.
"""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.scoped import AccountScopedStream


class AdImagesStream(AccountScopedStream):
    """``GET /act_<id>/adimages``: images by hash (id is ``<account_id>:<hash>``)."""

    name = "adimages"
    what = "reading ad images"
    edge = "adimages"
    primary_keys = ("id",)
    replication_key = None
    schema = th.PropertiesList(
        sp.text("id", "`<account_id>:<hash>`."),
        sp.text("hash"),
        sp.text("account_id"),
        sp.text("name"),
        sp.text("status", "ACTIVE, DELETED or INTERNAL."),
        sp.text("url"),
        sp.text("url_128"),
        sp.text("permalink_url"),
        sp.integer("width"),
        sp.integer("height"),
        sp.integer("original_width"),
        sp.integer("original_height"),
        sp.text_list("creatives"),
        sp.flag("is_associated_creatives_in_adgroups"),
        *sp.object_times(),
    ).to_dict()


class AdVideosStream(AccountScopedStream):
    """``GET /act_<id>/advideos``: the account's videos."""

    name = "advideos"
    what = "reading ad videos"
    edge = "advideos"
    primary_keys = ("id",)
    replication_key = None
    local_properties: ClassVar[frozenset[str]] = frozenset({"account_id"})
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("account_id", "The ad account the video was listed under."),
        sp.text("title"),
        sp.text("description"),
        sp.decimal("length", "Seconds."),
        sp.text("source"),
        sp.text("picture"),
        sp.text("permalink_url"),
        sp.flag("published"),
        sp.flag("embeddable"),
        sp.integer("views"),
        sp.text("content_category"),
        sp.json_object("status", "`{video_status, processing_progress}`."),
        sp.json_list("format"),
        *sp.object_times(),
    ).to_dict()

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        row["account_id"] = self.account_id_of(context)
        return super().post_process(row, context)
