"""Token-level streams: me, businesses and every ad account a token can see.

They are read once per distinct token of the configuration (the default ``access_token`` and
each account's own), so an agency's portfolio of System Users is covered. The partition
context names a token by its position only: a token never reaches state or records. In a
sharded run only shard 0 reads them (they are not an account's, so no share of them exists).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.graph.answers import Expect
from tap_meta_ads.graph.errors import response_json
from tap_meta_ads.streams.accounts import ACCOUNT_MONEY
from tap_meta_ads.streams.base import MetaAdsStream


class TokenScopedStream(MetaAdsStream):
    """Read once per distinct configured token."""

    primary_keys = ("id",)
    replication_key = None
    # The partition names a token by position; no key of it goes to state or to the records
    # (the SDK adds a partition's state keys to each record, and warns they are not in the
    # schema). Full-table streams: their state holds nothing per token.
    state_partitioning_keys: ClassVar[list[str]] = []

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        if not self.run.shard.reads_tokens:
            return []
        return [{"token_index": index} for index in range(self.run.credentials.count())]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if not self.run.shard.reads_tokens:  # shard 0 reads them; no sync_log row here
            return []
        return super().get_records(context)

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        for row in super().iter_records(context):
            if self.run.seen.first_time(self.name, str(row.get("id"))):  # two tokens, one object
                yield row


class MeStream(TokenScopedStream):
    """``GET /me``: the user or System User behind each token (one request per token)."""

    name = "me"
    what = "reading the token's user"
    path = "/me"
    records_jsonpath = "$"
    expect = Expect.OBJECT
    schema = th.PropertiesList(sp.text("id"), sp.text("name")).to_dict()

    def get_new_paginator(self) -> Any:
        return None

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        return {"fields": ",".join(self.graph_fields())}

    def parse_response(self, response: Any) -> Iterator[dict[str, Any]]:
        body = response_json(response)
        if isinstance(body, dict) and body.get("id"):
            yield body


class BusinessesStream(TokenScopedStream):
    """``GET /me/businesses``: the Business Managers each token's user belongs to."""

    name = "businesses"
    what = "reading businesses"
    path = "/me/businesses"
    schema = th.PropertiesList(
        sp.text("id"),
        sp.text("name"),
        sp.text("verification_status"),
        sp.integer("timezone_id"),
        sp.text("link"),
        sp.text("vertical"),
        sp.json_object("primary_page"),
        sp.json_object("created_by"),
        sp.text("two_factor_type"),
        sp.flag("is_hidden"),
        *sp.object_times(),
    ).to_dict()


class AdAccountsStream(TokenScopedStream):
    """``GET /me/adaccounts``: every ad account each token can see, whatever its status."""

    name = "adaccounts"
    what = "listing ad accounts"
    path = "/me/adaccounts"
    money_fields: ClassVar[tuple[str, ...]] = ACCOUNT_MONEY
    schema = th.PropertiesList(
        sp.text("id", "`act_<account_id>`."),
        sp.text("account_id"),
        sp.text("name"),
        sp.integer("account_status", "1 active, 2 disabled, 3 unsettled, 101 closed..."),
        sp.integer("disable_reason"),
        sp.text("currency"),
        sp.integer("timezone_id"),
        sp.text("timezone_name"),
        sp.decimal("timezone_offset_hours_utc"),
        sp.json_object("business", "Owning Business Manager `{id, name}`."),
        sp.money("amount_spent"),
        sp.money("balance"),
        sp.money("spend_cap"),
        sp.money("min_campaign_group_spend_cap"),
        sp.money("min_daily_budget"),
        sp.timestamp("created_time"),
        sp.integer("is_personal"),
        sp.decimal("age"),
    ).to_dict()
