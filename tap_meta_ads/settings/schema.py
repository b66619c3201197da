"""The tap's settings: their declaration (for --about and Meltano) and their semantic checks.

JSON Schema validation by the SDK catches wrong types; the checks here catch values that are
well-typed but wrong (an account id that is not a number, a start date in the future...) and
word every problem as one line naming the setting and the fix, without echoing secrets.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from singer_sdk import typing as th

from tap_meta_ads.insights_fields import ACTION_BREAKDOWNS, BREAKDOWNS, LIST_FIELDS, SCALAR_FIELDS

DEFAULT_API_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v25.0"
SECRET_SETTINGS = ("access_token", "app_secret")
_ACCOUNT_ID = re.compile(r"^(?:act_)?([0-9]{1,20})$")
_API_VERSION = re.compile(r"^v[0-9]+\.[0-9]+$")
_OLDEST_SUPPORTED_MAJOR = 23
#: Meta's current attribution windows, and the ones it stopped returning on 2026-01-12.
ATTRIBUTION_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "1d_ev", "dda")
RETIRED_WINDOWS = ("7d_view", "28d_view")
INSIGHTS_FIELDS = LIST_FIELDS | SCALAR_FIELDS

ACCOUNT_OBJECT = th.ObjectType(
    th.Property(
        "account_id", th.StringType, required=True, description="Ad account id, `act_123` or `123`."
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        description="System User token for this account; defaults to `access_token`.",
    ),
    th.Property("label", th.StringType, description="Name the account is reported under."),
    th.Property("client_id", th.StringType, description="Your client id for this account."),
)

REPORT_OBJECT = th.ObjectType(
    th.Property(
        "name",
        th.StringType,
        required=True,
        description="Stream name: lower case letters, digits and _.",
    ),
    th.Property("level", th.StringType, description="account, campaign, adset or ad (default)."),
    th.Property(
        "fields",
        th.ArrayType(th.StringType),
        required=True,
        description="AdsInsights fields, e.g. impressions, spend, actions.",
    ),
    th.Property("breakdowns", th.ArrayType(th.StringType)),
    th.Property("action_breakdowns", th.ArrayType(th.StringType)),
    th.Property("action_attribution_windows", th.ArrayType(th.StringType)),
    th.Property("time_increment", th.StringType, description="1 (default), monthly, all_days."),
)

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        title="Access token",
        description="System User access token with ads_read (sent only as an "
        "`Authorization: Bearer` header). Required unless every entry of `accounts` "
        "has its own token.",
    ),
    th.Property(
        "account_ids",
        th.ArrayType(th.StringType),
        title="Account ids",
        description="Ad account ids to read (`act_123` or `123`). With neither this nor "
        "`accounts`, every active account the token can see is read.",
    ),
    th.Property(
        "accounts",
        th.ArrayType(ACCOUNT_OBJECT),
        title="Accounts",
        description="Ad accounts as objects `{account_id, access_token?, label?, "
        "client_id?}`: each client account can carry its own token, and the label and "
        "client id it is reported under.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API URL",
        description="Graph API host (point it at the local sandbox for offline runs).",
    ),
    th.Property(
        "api_version",
        th.StringType,
        default=DEFAULT_API_VERSION,
        title="API version",
        description="Graph API version, `vNN.N`.",
    ),
    th.Property(
        "start_date",
        th.DateType,
        title="Start date",
        description="First day of insights to read (the object mirror is always "
        "complete). Default: 30 days before today.",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=100,
        title="Page size",
        description="Objects per page on list calls (1-5000); halved automatically "
        "when Meta asks for less data, and restored after successes.",
    ),
    th.Property(
        "requests_per_second",
        th.NumberType,
        default=2.0,
        title="Requests per second",
        description="Ceiling of the request rate per ad account and token; the pacer "
        "slows down below it on Meta's usage headers and throttles.",
    ),
    th.Property(
        "include_deleted",
        th.BooleanType,
        default=True,
        title="Include deleted",
        description="Mirror DELETED and ARCHIVED campaigns, ad sets and ads with their "
        "status, so the warehouse learns of deletions.",
    ),
    th.Property(
        "app_secret",
        th.StringType,
        secret=True,
        title="App secret",
        description="App secret; when set every request carries `appsecret_proof`.",
    ),
    th.Property(
        "end_date",
        th.DateType,
        title="End date",
        description="Last day of insights to read. Default: today in each account's time zone.",
    ),
    th.Property(
        "lookback_days",
        th.IntegerType,
        default=28,
        title="Lookback days",
        description="Insights days re-read before the bookmark on every run, because "
        "Meta restates recent days within its attribution windows (0-90).",
    ),
    th.Property(
        "action_attribution_windows",
        th.ArrayType(th.StringType),
        default=["1d_click", "7d_click", "1d_view"],
        title="Attribution windows",
        description="Windows reported per action (Meta's current ones: 1d_click, "
        "7d_click, 28d_click, 1d_view, 1d_ev, dda; 7d_view and 28d_view are retired).",
    ),
    th.Property(
        "conversion_action_types",
        th.ArrayType(th.StringType),
        default=["lead", "purchase", "complete_registration"],
        title="Conversion action types",
        description="Action types summed into the integer `conversions` column.",
    ),
    th.Property(
        "max_jobs_in_flight",
        th.IntegerType,
        default=10,
        title="Max jobs in flight",
        description="Async insights report runs running at once across all accounts.",
    ),
    th.Property(
        "job_poll_seconds",
        th.NumberType,
        default=5.0,
        title="Job poll interval",
        description="First interval between polls of running report runs (grows to 30 s).",
    ),
    th.Property(
        "job_timeout_seconds",
        th.NumberType,
        default=3600.0,
        title="Job timeout",
        description="A report run not finished after this long is restarted or split.",
    ),
    th.Property(
        "insights_reports",
        th.ArrayType(REPORT_OBJECT),
        title="Custom reports",
        description="Custom insights reports, each its own stream: `{name, level, "
        "fields, breakdowns, action_breakdowns, action_attribution_windows, "
        "time_increment}` (time_increment 1, monthly or all_days).",
    ),
    th.Property(
        "progress_seconds",
        th.NumberType,
        default=10.0,
        title="Progress interval",
        description="At most one progress line per this many seconds at INFO (runs "
        "shorter than that print none).",
    ),
    th.Property(
        "request_timeout_seconds",
        th.NumberType,
        default=120.0,
        title="Request timeout",
        description="Seconds before one HTTP request is abandoned and retried.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=8,
        title="Max retries",
        description="Attempts for one request on transient errors (5xx, timeouts, "
        "dropped connections, truncated bodies), with exponential backoff and jitter.",
    ),
    th.Property(
        "max_retry_seconds",
        th.NumberType,
        default=600.0,
        title="Max retry time",
        description="Total seconds one request may spend retrying transient errors.",
    ),
    th.Property(
        "max_rate_limit_wait_seconds",
        th.NumberType,
        default=3900.0,
        title="Max rate-limit wait",
        description="Total seconds one account may wait "
        "on Meta's throttles (including the ad-account quota block, which can last an "
        "hour) before it is reported as failed.",
    ),
).to_dict()


class SettingError(ValueError):
    """A setting is wrong; the message is one line naming it and the fix."""


@dataclass(frozen=True)
class AccountSetting:
    """One configured ad account (numeric id, no ``act_``) and how it is reported."""

    account_id: str
    access_token: str | None = None
    label: str | None = None
    client_id: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"AccountSetting(account_id={self.account_id!r}, label={self.label!r})"


def _quoted(value: object, limit: int, secrets: list[str] | None = None) -> str:
    """A value for an error line: secrets masked first, then cut to ``limit`` characters."""
    return repr(redact(str(value), secrets or [])[:limit])


def normalise_account_id(raw: object, setting: str, secrets: list[str] | None = None) -> str:
    """``act_123`` or ``123`` -> ``"123"``; anything else is a SettingError."""
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    match = _ACCOUNT_ID.match(text)
    if not match:
        msg = (
            f"{setting}: {_quoted(text, 40, secrets)} is not an ad account id; use the number "
            "shown in Ads Manager, as act_123 or 123"
        )
        raise SettingError(msg)
    return match.group(1)


def configured_accounts(config: Mapping[str, Any]) -> list[AccountSetting]:
    """The accounts named by ``accounts`` and ``account_ids``, deduplicated, in order."""
    secrets = secrets_of(config)
    result: dict[str, AccountSetting] = {}
    for index, entry in enumerate(config.get("accounts") or []):
        if not isinstance(entry, Mapping):
            msg = f"accounts[{index}]: must be an object with at least account_id"
            raise SettingError(msg)
        account_id = normalise_account_id(
            entry.get("account_id"), f"accounts[{index}].account_id", secrets
        )
        token = entry.get("access_token") or None
        result[account_id] = AccountSetting(
            account_id, token, entry.get("label"), entry.get("client_id")
        )
    for index, raw in enumerate(config.get("account_ids") or []):
        account_id = normalise_account_id(raw, f"account_ids[{index}]", secrets)
        result.setdefault(account_id, AccountSetting(account_id))
    return list(result.values())


def _number(value: Any) -> int | float | None:
    """A numeric setting's value (JSON numbers only; booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _show(value: int | float) -> str:
    """A number for an error line, short even when it has thousands of digits."""
    if abs(value) < 10**15:
        return f"{value:g}"
    return f"{Decimal(value):.3e}"


#: Numeric settings and the range each accepts: (low, high, low is exclusive).
_RANGES: dict[str, tuple[float, float, bool]] = {
    "page_size": (1, 5000, False),
    "lookback_days": (0, 90, False),
    "max_jobs_in_flight": (1, 100, False),
    "max_retries": (1, math.inf, False),
    "requests_per_second": (0, math.inf, True),
    "request_timeout_seconds": (0, math.inf, True),
    "max_retry_seconds": (0, math.inf, True),
    "max_rate_limit_wait_seconds": (0, math.inf, True),
    "job_poll_seconds": (0, math.inf, True),
    "job_timeout_seconds": (0, math.inf, True),
    "progress_seconds": (0, math.inf, False),
}


def _range_problem(key: str, value: int | float) -> str | None:
    low, high, exclusive = _RANGES[key]
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key}: must be a finite number"
    if abs(value) > 1e300:  # the tap reads numbers as floats; this one would overflow
        return f"{key}: {_show(value)} is out of range"
    if exclusive and value <= low:
        return f"{key}: must be greater than {low:g}"
    if not low <= value <= high:
        if high == math.inf:
            return f"{key}: must be at least {low:g}"
        return f"{key}: {_show(value)} is out of range; use {low:g} to {high:g}"
    return None


def check_settings(config: Mapping[str, Any], today: dt.date | None = None) -> list[str]:
    """Every semantic problem in ``config``, one line each (empty when all is well).

    No line contains a secret value, even one pasted into the wrong setting.
    """
    secrets = secrets_of(config)
    problems: list[str] = []
    try:
        accounts = configured_accounts(config)
    except SettingError as exc:
        problems.append(str(exc))
        accounts = []
    if not config.get("access_token") and (
        not accounts or any(not a.access_token for a in accounts)
    ):
        problems.append(
            "access_token: missing; set TAP_META_ADS_ACCESS_TOKEN to a System User "
            "token with ads_read (or give every entry of accounts its own token)"
        )
    version = str(config.get("api_version", DEFAULT_API_VERSION))
    if not _API_VERSION.match(version):
        problems.append(
            f"api_version: {_quoted(version, 20, secrets)} is not a Graph version; use v25.0"
        )
    elif int(version[1:].split(".")[0]) < _OLDEST_SUPPORTED_MAJOR:
        problems.append(f"api_version: {version} is retired for the Ads API; use v25.0")
    url = str(config.get("api_url", DEFAULT_API_URL))
    if not re.match(r"^https?://[^/\s]+(:[0-9]+)?/?$", url):
        problems.append(
            "api_url: must be a scheme and host such as https://graph.facebook.com "
            "(no path; the version goes in api_version)"
        )
    for key in _RANGES:
        value = _number(config.get(key))
        problem = None if value is None else _range_problem(key, value)
        if problem:
            problems.append(problem)
    for window in config.get("action_attribution_windows") or []:
        if window in RETIRED_WINDOWS:
            problems.append(
                f"action_attribution_windows: {window} was retired by Meta on "
                "2026-01-12 and returns no data; remove it"
            )
        elif window not in ATTRIBUTION_WINDOWS:
            problems.append(
                f"action_attribution_windows: {_quoted(window, 30, secrets)} is not a Meta "
                f"window; use some of {', '.join(ATTRIBUTION_WINDOWS)}"
            )
    problems += check_reports(config.get("insights_reports") or [], secrets)
    days = {}
    for key in ("start_date", "end_date"):
        value = config.get(key)
        if isinstance(value, str):
            try:
                days[key] = dt.date.fromisoformat(value[:10])
            except ValueError:
                problems.append(
                    f"{key}: {_quoted(value, 30, secrets)} is not a date; use YYYY-MM-DD"
                )
    if "start_date" in days and days["start_date"] > (today or dt.datetime.now(dt.UTC).date()):
        problems.append(f"start_date: {days['start_date']} is in the future; use a past date")
    if "start_date" in days and "end_date" in days and days["end_date"] < days["start_date"]:
        problems.append("end_date: is before start_date; use a later end_date")
    return [redact(problem, secrets) for problem in problems]


#: The tap's own streams: a custom report cannot take one of these names (a test keeps the
#: list equal to the streams of a tap without reports).
BUILT_IN_STREAMS = (
    "me",
    "businesses",
    "adaccounts",
    "ad_account",
    "campaigns",
    "adsets",
    "ads",
    "adcreatives",
    "adimages",
    "advideos",
    "custom_audiences",
    "account_insights",
    "campaign_insights",
    "adset_insights",
    "ad_insights",
    "insights_actions",
    "sync_log",
)


def check_reports(reports: list[Any], secrets: list[str] | None = None) -> list[str]:
    """One line per problem in ``insights_reports`` (values quoted with ``secrets`` masked)."""
    problems: list[str] = []
    names: set[str] = set()
    for index, report in enumerate(reports):
        where = f"insights_reports[{index}]"
        if not isinstance(report, Mapping):
            problems.append(f"{where}: must be an object with name and fields")
            continue
        name = str(report.get("name") or "")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            problems.append(
                f"{where}.name: {_quoted(name, 40, secrets)} must be lower case letters, digits "
                "and _, starting with a letter"
            )
        elif name in BUILT_IN_STREAMS or name in names:
            problems.append(f"{where}.name: {name} is already a stream; choose another name")
        names.add(name)
        if str(report.get("level") or "ad") not in ("account", "campaign", "adset", "ad"):
            problems.append(f"{where}.level: use account, campaign, adset or ad")
        if str(report.get("time_increment") or "1") not in ("1", "monthly", "all_days"):
            problems.append(f"{where}.time_increment: use 1, monthly or all_days")
        checks = (
            ("fields", INSIGHTS_FIELDS),
            ("breakdowns", BREAKDOWNS),
            ("action_breakdowns", ACTION_BREAKDOWNS),
            ("action_attribution_windows", ATTRIBUTION_WINDOWS),
        )
        for key, allowed in checks:
            for value in report.get(key) or []:
                if value not in allowed:
                    problems.append(
                        f"{where}.{key}: {_quoted(value, 40, secrets)} is not a v25.0 "
                        f"{key.rstrip('s').replace('_', ' ')}; remove or correct it"
                    )
        if not report.get("fields"):
            problems.append(f"{where}.fields: list at least one insights field")
    return problems


def coerce_numbers(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric settings given as strings (env vars, some orchestrators) become numbers.

    A setting given as null is unset: it takes its default, as if it were absent.
    """
    result = dict(config)
    for name, prop in schema.get("properties", {}).items():
        value = result.get(name)
        types = prop.get("type", [])
        if value is None and name in result and "default" in prop:
            result[name] = copy.deepcopy(prop["default"])
            continue
        if not isinstance(value, str):
            continue
        try:
            if "integer" in types and re.fullmatch(r"-?[0-9]+", value.strip()):
                result[name] = int(value)
            elif "number" in types:
                result[name] = float(value)
        except ValueError:
            continue  # left as it is: schema validation names the setting
    return result


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(access_token|appsecret_proof|client_secret)=[^&\s\"']+", r"\1=***", text)


def secrets_of(config: Mapping[str, Any]) -> list[str]:
    """All secret values in a config (tokens and the app secret).

    A secret of the wrong type (a list, an object) contributes its text and every string of 8
    characters or more inside it, so an error line quoting one of those cannot show it either
    (shorter fragments are no secret, and masking them would garble every message).
    """
    values: list[str] = []

    def add(value: Any, nested: bool = False) -> None:
        text = value if isinstance(value, str) else str(value)
        if value and (not nested or len(text) >= 8):
            values.append(text)
        if isinstance(value, Mapping):
            for item in value.values():
                add(item, nested=True)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item, nested=True)

    for key in SECRET_SETTINGS:
        add(config.get(key))
    accounts = config.get("accounts")  # read before validation: any type at all
    for entry in accounts if isinstance(accounts, list) else []:
        if isinstance(entry, Mapping):
            add(entry.get("access_token"))
    return values
