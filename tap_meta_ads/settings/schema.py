"""The tap's settings as declared to the SDK, ``--about`` and Meltano: names, types, defaults."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from singer_sdk import typing as th

from tap_meta_ads.graph.versions import NEWEST, SUPPORTED

DEFAULT_API_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = NEWEST
#: Meta's current attribution windows, and the ones it stopped returning on 2026-01-12.
ATTRIBUTION_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "1d_ev", "dda")
RETIRED_WINDOWS = ("7d_view", "28d_view")

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

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
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
        description=f"Graph API version: one of {', '.join(sorted(SUPPORTED))}. An app "
        "created after a version's release can call only that version or newer ones.",
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
        description="Ceiling of the request rate per ad account and token (0.05-100); the "
        "pacer slows down below it on Meta's usage headers and throttles.",
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
        "app_id",
        th.StringType,
        title="App id",
        description="Meta app id. With `app_secret`, the connection test and every run ask "
        "Meta (`debug_token`) for each token's type, expiry and scopes, and warn a week "
        "before a token expires.",
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
        description="The full attribution window: insights days re-read before the "
        "bookmark once every `full_lookback_hours`, because Meta restates recent days "
        "within its attribution windows (0-90).",
    ),
    th.Property(
        "recent_lookback_days",
        th.IntegerType,
        default=2,
        title="Recent lookback days",
        description="Insights days re-read before the bookmark on the other runs (0-90, at "
        "most lookback_days): a 15-minute cycle re-reads a few days, not the whole window.",
    ),
    th.Property(
        "full_lookback_hours",
        th.NumberType,
        default=24.0,
        title="Full lookback every (hours)",
        description="How often each account re-reads its whole `lookback_days` window "
        "(0-8760; 0: every run). Kept per account in state.",
    ),
    th.Property(
        "action_attribution_windows",
        th.ArrayType(th.StringType),
        default=["1d_click", "7d_click", "1d_view"],
        title="Attribution windows",
        description=f"Windows reported per action (Meta's current ones: "
        f"{', '.join(ATTRIBUTION_WINDOWS)}; {' and '.join(RETIRED_WINDOWS)} are retired).",
    ),
    th.Property(
        "conversion_action_types",
        th.ArrayType(th.StringType),
        default=["lead", "purchase", "complete_registration"],
        title="Conversion action types",
        description="Action types summed into the integer `conversions` column.",
    ),
    th.Property(
        "max_accounts_in_flight",
        th.IntegerType,
        default=32,
        title="Max accounts in flight",
        description="Accounts whose objects are read at once (1-200), each within its own "
        "pacer and all within the app's usage; the insights engine runs every account's "
        "report runs at once anyway.",
    ),
    th.Property(
        "max_jobs_in_flight",
        th.IntegerType,
        default=250,
        title="Max jobs in flight",
        description="Async insights report runs running at once across all accounts (1-1000); "
        "an account whose X-FB-Ads-Insights-Throttle is high is held back meanwhile.",
    ),
    th.Property(
        "max_jobs_per_account",
        th.IntegerType,
        default=2,
        title="Max jobs per account",
        description="Async insights report runs of one ad account running at once (1-20).",
    ),
    th.Property(
        "job_poll_seconds",
        th.NumberType,
        default=2.0,
        title="Job poll interval",
        description="First interval between polls of running report runs, in seconds "
        "(0.1-300; grows to 30 s).",
    ),
    th.Property(
        "job_timeout_seconds",
        th.NumberType,
        default=3600.0,
        title="Job timeout",
        description="Seconds after which a report run not finished is restarted or split "
        "(60-86400); a query's runs, restart and splits get at most 3 times this.",
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
        description="At most one progress line per stream per this many seconds at INFO "
        "(0.5-86400), and one when each stream finishes.",
    ),
    th.Property(
        "log_metrics",
        th.BooleanType,
        default=False,
        title="Log metrics",
        description="Write the SDK's METRIC lines (request timings and counts, records per "
        "stream and account) at INFO; off, the log has only what a person reads.",
    ),
    th.Property(
        "request_timeout_seconds",
        th.NumberType,
        default=120.0,
        title="Request timeout",
        description="Seconds to wait for an answer before one HTTP request is abandoned and "
        "retried (1-600); connecting has 5 s of its own.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=8,
        title="Max retries",
        description="Attempts for one request on transient errors (5xx, timeouts, "
        "dropped connections, truncated bodies), with exponential backoff and jitter (1-50).",
    ),
    th.Property(
        "max_retry_seconds",
        th.NumberType,
        default=600.0,
        title="Max retry time",
        description="Total seconds one request may spend retrying transient errors (1-86400).",
    ),
    th.Property(
        "max_rate_limit_wait_seconds",
        th.NumberType,
        default=3900.0,
        title="Max rate-limit wait",
        description="Total seconds one account may wait "
        "on Meta's throttles (including the ad-account quota block, which can last an "
        "hour) or be slowed by its usage headers before it is reported as failed (1-86400).",
    ),
    th.Property(
        "shard_count",
        th.IntegerType,
        default=1,
        title="Shard count",
        description="Processes the accounts are shared among (1-1000): each reads the "
        "accounts whose id hashes to its `shard_index` (a stable sha256 share), under its "
        "own state id; see README, Sharded runs.",
    ),
    th.Property(
        "shard_index",
        th.IntegerType,
        default=0,
        title="Shard index",
        description="This process's shard (0 to shard_count - 1); shard 0 also reads me, "
        "businesses and adaccounts.",
    ),
).to_dict()

#: Every setting's declared default (read-only): the one place defaults are written.
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        name: prop["default"]
        for name, prop in CONFIG_SCHEMA["properties"].items()
        if "default" in prop
    }
)
#: Settings whose values are secrets (declared ``secret=True``).
SECRET_SETTINGS: tuple[str, ...] = tuple(
    name for name, prop in CONFIG_SCHEMA["properties"].items() if prop.get("secret")
)

#: Numeric settings and the range each accepts, as their descriptions document it:
#: (low, high, low is exclusive).
RANGES: Mapping[str, tuple[float, float, bool]] = MappingProxyType(
    {
        "page_size": (1, 5000, False),
        "lookback_days": (0, 90, False),
        "recent_lookback_days": (0, 90, False),
        "full_lookback_hours": (0, 8760, False),
        "max_jobs_in_flight": (1, 1000, False),
        "max_jobs_per_account": (1, 20, False),
        "max_accounts_in_flight": (1, 200, False),
        "max_retries": (1, 50, False),
        # 0.05: the pacer's floor (graph.pacing.MIN_RATE); Meta's budgets are far below 100/s.
        "requests_per_second": (0.05, 100, False),
        "request_timeout_seconds": (1, 600, False),
        "max_retry_seconds": (1, 86400, False),
        # Meta's ad-account quota block lasts up to an hour; a day is the most a run can wait.
        "max_rate_limit_wait_seconds": (1, 86400, False),
        "job_poll_seconds": (0.1, 300, False),
        # Report runs take seconds to minutes; one restarted sooner than a minute never ends.
        "job_timeout_seconds": (60, 86400, False),
        # Below half a second the progress thread would flood the log.
        "progress_seconds": (0.5, 86400, False),
        "shard_count": (1, 1000, False),
        "shard_index": (0, 999, False),
    }
)
