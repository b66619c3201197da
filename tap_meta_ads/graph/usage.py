"""Meta's usage headers, read into what pacing needs (Graph API "Rate Limiting").

``X-Business-Use-Case-Usage`` (per account and usage type, with the regain estimate),
``X-Ad-Account-Usage`` (``reset_time_duration``), ``X-App-Usage`` (the app's share) and
``X-FB-Ads-Insights-Throttle`` (report-run admission).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Header waits are capped at a day (longer than any max_rate_limit_wait_seconds in use).
LONGEST_WAIT = 86400.0
#: Meta's Business-Use-Case types the tap's calls are charged to.
ADS_MANAGEMENT = "ads_management"
ADS_INSIGHTS = "ads_insights"
CUSTOM_AUDIENCE = "custom_audience"


@dataclass(frozen=True)
class TypeUsage:
    """One Business-Use-Case entry of the account: its type, usage and regain estimate."""

    usage_type: str
    pct: float
    regain_seconds: float = 0.0


@dataclass(frozen=True)
class Usage:
    """What the usage headers of one response say, reduced to what pacing needs."""

    pct: float = 0.0  # highest usage percentage across the headers for this account
    regain_seconds: float = 0.0  # Meta's estimate of when access returns, 0 if not blocked
    reset_seconds: float = 0.0  # X-Ad-Account-Usage reset_time_duration
    insights_pct: float | None = None  # X-FB-Ads-Insights-Throttle, for async job admission
    types: tuple[TypeUsage, ...] = ()  # X-Business-Use-Case-Usage, one entry per usage type
    reported: bool = True  # False when the response carried none of the usage headers
    app_pct: float | None = None  # X-App-Usage: the app's share, for every account (AppGate)
    #: x-fb-ads-insights-reach-throttle: the share of the account's daily report runs for
    #: reach with breakdowns older than 13 months (insights best practices, 2025-06-10).
    reach_pct: float | None = None


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _num(value: Any) -> float:
    """A header figure as a finite number >= 0; anything else (NaN, "inf", junk) is 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 0.0
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def read_usage(headers: Mapping[str, str], account_id: str | None = None) -> Usage:
    """Parse the usage headers of a response (or of a batch item)."""
    pct = 0.0
    regain_minutes = 0.0
    reset = 0.0
    reported = False
    by_type: dict[str, TypeUsage] = {}
    buc = _json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        reported = True
        keys = [account_id] if account_id and account_id in buc else list(buc)
        for key in keys:
            entries = buc.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                used = min(
                    100.0,
                    max(_num(entry.get(k)) for k in ("call_count", "total_cputime", "total_time")),
                )
                regain = min(_num(entry.get("estimated_time_to_regain_access")), LONGEST_WAIT)
                pct = max(pct, used)
                regain_minutes = max(regain_minutes, regain)
                kind = entry.get("type")
                if isinstance(kind, str) and kind:
                    seen = by_type.get(kind)
                    by_type[kind] = TypeUsage(
                        kind,
                        max(used, seen.pct if seen else 0.0),
                        max(regain * 60.0, seen.regain_seconds if seen else 0.0),
                    )
    account = _json_header(headers, "X-Ad-Account-Usage")
    if isinstance(account, dict):
        reported = True
        pct = max(pct, _num(account.get("acc_id_util_pct")))
        reset = _num(account.get("reset_time_duration"))
    app = _json_header(headers, "X-App-Usage")
    app_pct = None
    if isinstance(app, dict):
        reported = True
        app_pct = min(
            100.0, max(_num(app.get(k)) for k in ("call_count", "total_cputime", "total_time"))
        )
        pct = max(pct, app_pct)
    insights = _json_header(headers, "X-FB-Ads-Insights-Throttle")
    insights_pct = None
    if isinstance(insights, dict):
        insights_pct = min(
            100.0,
            max(_num(insights.get("app_id_util_pct")), _num(insights.get("acc_id_util_pct"))),
        )
    reach = _json_header(headers, "x-fb-ads-insights-reach-throttle")
    reach_pct = None
    if isinstance(reach, dict):
        reach_pct = min(
            100.0,
            max(_num(reach.get("acc_id_util_pct")), _num(reach.get("app_id_util_pct"))),
        )
    return Usage(
        reach_pct=reach_pct,
        pct=min(pct, 100.0),
        regain_seconds=min(regain_minutes * 60.0, LONGEST_WAIT),
        reset_seconds=min(reset, LONGEST_WAIT),
        insights_pct=insights_pct,
        types=tuple(by_type.values()),
        reported=reported,
        app_pct=app_pct,
    )
