"""Insights request parameters -> a validated query (meta-marketing-api.md section 4.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from meta_ads_sandbox import errors, fields, params, versions
from meta_ads_sandbox.insights_data import (
    OPT_IN_BREAKDOWNS,
    SUPPORTED_ACTION_BREAKDOWNS,
    SUPPORTED_BREAKDOWNS,
    VALID_COMBINATIONS,
)
from meta_ads_sandbox.node import INSIGHTS
from meta_ads_sandbox.timeutil import DATE_PRESETS, add_months, parse_day, preset_range

LEVELS = ("account", "campaign", "adset", "ad")
DEFAULT_FIELDS = ("impressions", "spend")
WINDOW_KEYS = ("1d_click", "7d_click", "28d_click", "1d_view", "1d_ev", "dda")
RETIRED_WINDOWS = ("7d_view", "28d_view")  # no longer returned since 2026-01-12
REACH_FIELDS = ("reach", "frequency", "cpp")  # omitted for old breakdowns (13-month rule)
REACH_MONTHS = 13
#: Hourly breakdowns: no reach, frequency or cpp with them (a person is not counted once per
#: hour); their rows split each ad-day exactly into "HH:00:00 - HH:59:59" buckets.
HOURLY_BREAKDOWNS = frozenset(
    {
        "hourly_stats_aggregated_by_advertiser_time_zone",
        "hourly_stats_aggregated_by_audience_time_zone",
    }
)
REACH_RUNS_PER_DAY = 10  # async runs per account and day that may still fetch them
OPT_IN_RUNS_PER_DAY = 10  # async runs per 24 h, at most the number of ads, without opt-in
EFFECTIVE = {
    "campaign": ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"),
    "adset": (
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "CAMPAIGN_PAUSED",
        "ARCHIVED",
        "IN_PROCESS",
        "WITH_ISSUES",
    ),
    "ad": (
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "PENDING_REVIEW",
        "DISAPPROVED",
        "PREAPPROVED",
        "PENDING_BILLING_INFO",
        "CAMPAIGN_PAUSED",
        "ARCHIVED",
        "ADSET_PAUSED",
        "IN_PROCESS",
        "WITH_ISSUES",
    ),
}
METRIC_FILTERS = frozenset(
    {
        "impressions",
        "clicks",
        "spend",
        "reach",
        "unique_clicks",
        "inline_link_clicks",
        "ctr",
        "cpc",
        "cpm",
        "frequency",
    }
)


def _enum(name: str, version: str = versions.DEFAULT) -> tuple[str, ...]:
    return fields.enum(INSIGHTS, name, version)


def status_error() -> errors.GraphError:
    """100/1487561 'Invalid parameter' / 'Run Status not valid'."""
    return errors.invalid_parameter(
        "Invalid parameter", subcode=1487561, user_title="Run Status not valid"
    )


@dataclass(frozen=True)
class InsightsQuery:
    """A validated insights request."""

    level: str
    fields: tuple[str, ...]
    ranges: tuple[tuple[date, date], ...]
    increment: str  # "all_days", "monthly" or a number of days
    breakdowns: tuple[str, ...]
    action_breakdowns: tuple[str, ...]
    windows: tuple[str, ...]  # window keys to add to action entries
    filters: tuple[params.Filter, ...]
    omit_reach: bool = False  # leave reach, frequency and cpp out (13-month rule, hourly)

    @property
    def needs_opt_in(self) -> bool:
        """Whether a breakdown needs the account's opt-in (impression_device, ...)."""
        return bool(OPT_IN_BREAKDOWNS.intersection(self.breakdowns))

    def old_reach_breakdown(self, today: date) -> bool:
        """Reach-related fields with breakdowns starting more than 13 months before today."""
        if not self.breakdowns or not any(f in REACH_FIELDS for f in self.fields):
            return False
        oldest = add_months(today, -REACH_MONTHS)
        return any(since < oldest for since, _ in self.ranges)

    def key(self) -> str:
        """A canonical text of the query (job identity)."""
        return json.dumps(
            [
                self.level,
                self.fields,
                [[a.isoformat(), b.isoformat()] for a, b in self.ranges],
                self.increment,
                self.breakdowns,
                self.action_breakdowns,
                self.windows,
                [[f.entity, f.field, f.operator, f.value] for f in self.filters],
            ],
            sort_keys=True,
            default=str,
        )


def _ranges(
    p: dict[str, str], today: date, history_start: date
) -> tuple[tuple[tuple[date, date], ...], bool]:
    def one(value: object) -> tuple[date, date]:
        if not isinstance(value, dict):
            raise errors.invalid_parameter(
                "param time_range must be an object with since and until."
            )
        since, until = (
            parse_day(str(value.get("since", ""))),
            parse_day(str(value.get("until", ""))),
        )
        if since is None or until is None:
            raise errors.invalid_parameter(
                "param time_range must be {'since':YYYY-MM-DD,'until':YYYY-MM-DD}."
            )
        if since > until:
            raise errors.invalid_parameter(
                "The 'since' date must be on or before the 'until' date."
            )
        return since, until

    if p.get("time_ranges"):
        try:
            raw = params.relaxed_json(p["time_ranges"])
        except ValueError as exc:
            raise errors.invalid_parameter("param time_ranges must be an array.") from exc
        if not isinstance(raw, list) or not raw:
            raise errors.invalid_parameter("param time_ranges must be an array.")
        return tuple(one(v) for v in raw), True
    if p.get("time_range"):
        try:
            raw = params.relaxed_json(p["time_range"])
        except ValueError as exc:
            raise errors.invalid_parameter("param time_range must be an object.") from exc
        return (one(raw),), False
    preset = p.get("date_preset") or "last_30d"
    found = preset_range(preset, today, history_start) if preset in DATE_PRESETS else None
    if found is None:
        raise errors.invalid_parameter(
            "param date_preset must be one of the following values: " + ", ".join(DATE_PRESETS)
        )
    return (found,), False


def _increment(p: dict[str, str]) -> str:
    raw = (p.get("time_increment") or "all_days").strip().strip('"')
    if raw in ("all_days", "monthly"):
        return raw
    if raw.isdigit() and 1 <= int(raw) <= 90:
        return str(int(raw))
    raise errors.invalid_parameter(
        "param time_increment must be 'monthly', 'all_days' or an integer between 1 and 90."
    )


def _choices(
    p: dict[str, str],
    name: str,
    enum: str,
    supported: tuple[str, ...],
    default: list[str],
    version: str,
) -> tuple[str, ...]:
    values = params.string_list(p[name], name) if p.get(name) else default
    allowed = _enum(enum, version)
    for i, v in enumerate(values):
        if v not in allowed:
            raise errors.invalid_parameter(
                f"param {name}[{i}] must be one of the following values: {', '.join(allowed)}"
            )
        if v not in supported:
            raise errors.invalid_parameter(f"{name} value {v} is not simulated by the sandbox")
    return tuple(dict.fromkeys(values))


def _filters(p: dict[str, str]) -> tuple[params.Filter, ...]:
    if not p.get("filtering"):
        return ()
    out = params.filtering(p["filtering"])
    for f in out:
        entity = f.entity
        if entity not in ("account", "campaign", "adset", "ad"):
            raise errors.invalid_parameter(f"Filtering field {f.entity}.{f.field} is invalid.")
        if f.field == "effective_status" and entity != "account":
            values = f.value if isinstance(f.value, list) else [f.value]
            if f.operator not in ("IN", "NOT_IN") or any(
                v not in EFFECTIVE[entity] for v in values
            ):
                raise status_error()
        elif f.field in ("id", "name") or f.field in METRIC_FILTERS:
            continue
        elif f.field != "effective_status":
            raise errors.invalid_parameter(f"Filtering field {f.entity}.{f.field} is invalid.")
    return tuple(out)


def action_breakdowns_of(p: dict[str, str]) -> list[str]:
    """The action breakdowns named in the request (for error messages)."""
    if not p.get("action_breakdowns"):
        return ["action_type"]
    return params.string_list(p["action_breakdowns"], "action_breakdowns")


def parse_query(
    p: dict[str, str],
    scope_level: str,
    today: date,
    history_start: date,
    version: str = versions.DEFAULT,
) -> InsightsQuery:
    """Validate the insights parameters of a request on a node of level `scope_level`.

    `use_unified_attribution_setting`, `use_account_attribution_setting` and
    `action_report_time` are accepted and ignored (Meta disregards them since 2025-06-10).
    """
    level = p.get("level") or scope_level
    if level not in LEVELS:
        raise errors.invalid_parameter(
            "param level must be one of the following values: " + ", ".join(LEVELS)
        )
    if LEVELS.index(level) < LEVELS.index(scope_level):
        level = scope_level  # a level above the node's own answers at the node's level
    if p.get("fields"):
        sels = fields.parse_fields(p["fields"])
        for sel in sels:
            if fields.field_type(INSIGHTS, sel.name, version) is None:
                raise errors.nonexisting_field(sel.name, INSIGHTS)
        wanted = tuple(fields.names(sels))
    else:
        wanted = DEFAULT_FIELDS
    ranges, per_range = _ranges(p, today, history_start)
    oldest = add_months(today, -37)
    if any(since < oldest for since, _ in ranges):
        raise errors.start_date_too_old()
    increment = "all_days" if per_range else _increment(p)
    breakdowns = _choices(p, "breakdowns", "Breakdowns", SUPPORTED_BREAKDOWNS, [], version)
    if breakdowns and frozenset(breakdowns) not in VALID_COMBINATIONS:
        raise errors.invalid_breakdowns(",".join((*action_breakdowns_of(p), *breakdowns)))
    action_breakdowns = _choices(
        p,
        "action_breakdowns",
        "ActionBreakdowns",
        SUPPORTED_ACTION_BREAKDOWNS,
        ["action_type"],
        version,
    )
    windows: list[str] = []
    if p.get("action_attribution_windows"):
        asked = params.string_list(p["action_attribution_windows"], "action_attribution_windows")
        allowed = _enum("ActionAttributionWindows", version)
        for i, w in enumerate(asked):
            if w not in allowed:
                raise errors.invalid_parameter(
                    f"param action_attribution_windows[{i}] must be one of the following values: "
                    + ", ".join(allowed)
                )
            for key in ("7d_click", "1d_view") if w == "default" else (w,):
                if key in WINDOW_KEYS and key not in windows:
                    windows.append(key)
    return InsightsQuery(
        level=level,
        fields=wanted,
        ranges=ranges,
        increment=increment,
        breakdowns=breakdowns,
        action_breakdowns=action_breakdowns,
        windows=tuple(windows),
        filters=_filters(p),
        omit_reach=bool(HOURLY_BREAKDOWNS.intersection(breakdowns)),
    )
