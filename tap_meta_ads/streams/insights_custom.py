"""Custom insights reports (setting ``insights_reports``) and the flat ``insights_actions``.

A custom report is its own stream: the level's ids and names, ``date_start``/``date_stop``,
one column per breakdown and per requested field, keyed on the account, the level id, the
dates and every breakdown so upserts never collapse rows. Schemas come from the settings
alone, so ``--discover`` shows them offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.insights import level_columns, level_of
from tap_meta_ads.insights.fields import TEXT_FIELDS
from tap_meta_ads.insights.versions import ALL_INTEGER_FIELDS as INTEGER_FIELDS
from tap_meta_ads.insights.versions import ALL_LIST_FIELDS as LIST_FIELDS
from tap_meta_ads.streams.action_stats import numeric_action_stats
from tap_meta_ads.streams.insights import InsightsStream
from tap_meta_ads.streams.insights_fields import ACTION_STAT


def _field_property(name: str) -> th.Property[Any]:
    if name in LIST_FIELDS:
        return sp.json_list(name, items=ACTION_STAT)
    if name in TEXT_FIELDS:
        return sp.text(name)
    if name in INTEGER_FIELDS:
        return sp.integer(name)
    return sp.decimal(name)


def _key(level: str, *, with_stop: bool, breakdowns: tuple[str, ...]) -> tuple[str, ...]:
    level_id = level_of(level).id_field
    ids = ("account_id",) if level_id == "account_id" else ("account_id", level_id)
    return (*ids, "date_start", *(("date_stop",) if with_stop else ()), *breakdowns)


class CustomReportStream(InsightsStream):
    """A user-defined insights report from ``insights_reports``."""

    local_properties: ClassVar[frozenset[str]] = frozenset()
    report_fields: ClassVar[tuple[str, ...]] = ()
    report_windows: ClassVar[tuple[str, ...]] = ()

    def graph_fields(self) -> list[str]:
        ids = [
            name
            for name in self.schema["properties"]
            if name.endswith(("_id", "_name")) and name not in self.breakdowns
        ]
        wanted = [f for f in self.report_fields if self.mask[("properties", f)]]
        return list(dict.fromkeys([*ids, *wanted]))

    def attribution_windows(self) -> list[str]:
        return list(self.report_windows) or super().attribution_windows()

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        for name in self.report_fields:
            if name in LIST_FIELDS and name in row:
                row[name] = numeric_action_stats(row[name])
        row.setdefault("account_id", self.account_id_of(context))
        return super(InsightsStream, self).post_process(row, context)


def custom_report_type(report: Mapping[str, Any]) -> type[CustomReportStream]:
    """A stream class for one validated ``insights_reports`` entry."""
    level = str(report.get("level") or "ad")
    breakdowns = tuple(report.get("breakdowns") or ())
    increment = str(report.get("time_increment") or "1")
    fields = tuple(f for f in report.get("fields") or () if f not in ("date_start", "date_stop"))
    schema = th.PropertiesList(
        *(sp.text(column) for column in level_columns(level)),
        sp.text("account_currency"),
        th.Property("date_start", th.DateType, required=True),
        th.Property("date_stop", th.DateType),
        *(sp.text(b, f"Breakdown value ({b}).") for b in breakdowns),
        *(
            _field_property(f)
            for f in fields
            if f not in {p for p in ("account_currency",)} and not f.endswith(("_id", "_name"))
        ),
    ).to_dict()
    attributes = {
        "name": str(report["name"]),
        "level": level,
        "what": f"reading report {report['name']}",
        "schema": schema,
        "primary_keys": _key(level, with_stop=increment != "1", breakdowns=breakdowns),
        "time_increment": increment,
        "breakdowns": breakdowns,
        "action_breakdowns": tuple(report.get("action_breakdowns") or ()),
        "report_fields": fields,
        "report_windows": tuple(report.get("action_attribution_windows") or ()),
        "__doc__": f"Custom insights report {report['name']} ({level} level).",
    }
    return type(f"Report_{report['name']}", (CustomReportStream,), attributes)


class InsightsActionsStream(InsightsStream):
    """One row per ad, day, action type and attribution window (deselect it if unused).

    Reconciling conversions with Ads Manager becomes a plain SQL query instead of digging in
    JSON arrays. It runs its own report runs (fields ``actions`` and ``action_values``).
    """

    name = "insights_actions"
    level = "ad"
    what = "reading action stats"
    primary_keys = ("account_id", "ad_id", "date_start", "action_type", "attribution_window")
    local_properties: ClassVar[frozenset[str]] = frozenset(
        {"action_type", "attribution_window", "value", "conversion_value"}
    )
    schema = th.PropertiesList(
        sp.text("account_id"),
        sp.text("campaign_id"),
        sp.text("adset_id"),
        sp.text("ad_id"),
        th.Property("date_start", th.DateType, required=True),
        sp.text("action_type"),
        sp.text("attribution_window", "`total` for Meta's `value`, else the window (7d_click...)."),
        sp.decimal("value", "The action count in this window (from `actions`)."),
        sp.decimal("conversion_value", "The action value in this window (from `action_values`)."),
    ).to_dict()

    def engine_key(self) -> tuple[str, ...]:
        return ("account_id", "ad_id", "date_start")

    def graph_fields(self) -> list[str]:
        # The schema is the flattened shape; these are the Graph fields it is made from.
        return ["account_id", "campaign_id", "adset_id", "ad_id", "actions", "action_values"]

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        for row in super().iter_records(context):
            cells: dict[tuple[str, str], dict[str, Any]] = {}
            for source, column in (("actions", "value"), ("action_values", "conversion_value")):
                for stat in row.get(source) or []:
                    if not isinstance(stat, dict) or not stat.get("action_type"):
                        continue
                    for key, amount in stat.items():
                        if key == "action_type" or key.startswith("action_"):
                            continue
                        window = "total" if key == "value" else key
                        cell = cells.setdefault((stat["action_type"], window), {})
                        cell[column] = amount
            for (action_type, window), values in sorted(cells.items()):
                yield {
                    "account_id": row.get("account_id"),
                    "campaign_id": row.get("campaign_id"),
                    "adset_id": row.get("adset_id"),
                    "ad_id": row.get("ad_id"),
                    "date_start": row.get("date_start"),
                    "action_type": action_type,
                    "attribution_window": window,
                    **values,
                }

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        return super(InsightsStream, self).post_process(row, context)
