"""activities: ``GET /act_<id>/activities``, the account's change history, incremental.

Meta's activity objects have no id: the key is ``account_id``, ``event_time``, ``object_id``
and ``event_type`` (one object cannot have the same change twice in one second). The edge
filters on ``event_time`` with ``since``/``until`` (Unix seconds): later runs read from the
account's bookmark, inclusive, so the boundary second is upserted again rather than missed.
The first run reads the whole history Meta keeps. ``extra_data`` (old and new values) arrives
as JSON text and is stored as JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.scoped import AccountScopedStream


class ActivitiesStream(AccountScopedStream):
    """Who created, paused or changed what and when, per account; newest first from Meta."""

    name = "activities"
    what = "reading account activities"
    edge = "activities"
    primary_keys = ("account_id", "event_time", "object_id", "event_type")
    replication_key = "event_time"
    local_properties: ClassVar[frozenset[str]] = frozenset({"account_id"})
    json_text_fields = ("extra_data",)
    schema = th.PropertiesList(
        th.Property("account_id", th.StringType, required=True, description="Numeric id."),
        th.Property("event_time", th.DateTimeType, required=True, description="UTC."),
        th.Property("object_id", th.StringType, required=True),
        th.Property("event_type", th.StringType, required=True),
        sp.text("translated_event_type", "Ads Manager's wording (`Campaign status updated`)."),
        sp.text("object_name"),
        sp.text("object_type", "CAMPAIGN_GROUP (campaign), CAMPAIGN (ad set), ADGROUP (ad)..."),
        sp.text("actor_id"),
        sp.text("actor_name"),
        sp.text("application_id"),
        sp.text("application_name"),
        sp.text("date_time_in_timezone", "The event's time as Ads Manager shows it."),
        sp.json_object("extra_data", "Old and new values (Meta sends JSON text)."),
    ).to_dict()

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        params = super().get_url_params(context, next_page_token)
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark:
            moment = dt.datetime.fromisoformat(str(bookmark))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            params["since"] = int(moment.timestamp())
        return params

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        row["account_id"] = self.account_id_of(context)
        return super().post_process(row, context)
