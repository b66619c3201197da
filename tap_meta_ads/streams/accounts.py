"""ad_account: one row per configured ad account, parent of every account-scoped stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.streams.base import MetaAdsStream

ACCOUNT_MONEY = (
    "amount_spent",
    "balance",
    "spend_cap",
    "min_campaign_group_spend_cap",
    "min_daily_budget",
)


class AdAccountStream(MetaAdsStream):
    """``GET /act_<id>``: one call per configured account (or per active account the token sees)."""

    name = "ad_account"
    what = "reading the ad account"
    primary_keys = ("id",)
    replication_key = None
    local_properties: ClassVar[frozenset[str]] = frozenset({"label", "client_id"})
    read_ahead = True
    money_fields = ACCOUNT_MONEY
    schema = th.PropertiesList(
        sp.text("id", "`act_<account_id>`."),
        sp.text("account_id", "Numeric id, no `act_`."),
        sp.text("name"),
        sp.integer("account_status", "1 active, 2 disabled, 3 unsettled, 101 closed..."),
        sp.integer("disable_reason"),
        sp.text("currency", "ISO 4217 code; object money of this account is in it."),
        sp.integer("timezone_id"),
        sp.text("timezone_name"),
        sp.decimal("timezone_offset_hours_utc"),
        sp.money("amount_spent"),
        sp.money("balance"),
        sp.money("spend_cap"),
        sp.money("min_campaign_group_spend_cap"),
        sp.money("min_daily_budget"),
        sp.timestamp("created_time"),
        sp.json_object("business", "Owning Business Manager `{id, name}`."),
        sp.text("owner"),
        sp.integer("is_personal"),
        sp.decimal("age", "Days since the account was opened."),
        sp.text_list("capabilities"),
        sp.text_list("user_tasks"),
        sp.json_list(
            "attribution_spec",
            "The account's default attribution for new ad sets `[{event_type, window_days}]`.",
        ),
        sp.flag("is_attribution_spec_system_default"),
        sp.text("label", "The configured label of this account (`accounts[].label`)."),
        sp.text("client_id", "The configured client id of this account (`accounts[].client_id`)."),
    ).to_dict()

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"account_id": account} for account in self.run.account_ids()]

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        account = self.account_id_of(context)
        if not account:  # no accounts to read (none visible, or listing them failed)
            return
        row = self.node(f"/act_{account}", {"fields": ",".join(self.graph_fields())}, context)
        if isinstance(row, dict):
            yield row

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        self.run.accounts.note_account(str(row.get("account_id") or ""), row)
        setting = self.run.accounts.setting(str(row.get("account_id") or ""))
        row["label"] = setting.label if setting else None
        row["client_id"] = setting.client_id if setting else None
        return super().post_process(row, context)
