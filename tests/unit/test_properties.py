"""Properties over odd input: settings, Graph payloads, error envelopes and usage headers.

Each test states what the tap promises for *any* input of its kind, and hypothesis looks for
a counter-example:

- a config is accepted, with every numeric setting finite and in its documented range, or
  refused with ConfigValidationError whose errors are one line each, naming a setting and
  never showing a secret (even one pasted into the wrong setting);
- a Graph object or insights row of any shape becomes, through its stream's ``post_process``,
  a record the SDK can serialise and that is valid against the stream's schema (or, for a
  row without its key, is skipped with a warning; for a number or time that does not fit its
  column, ends the account with one line naming the field), and no value reaches the logs;
- an error envelope of any shape becomes an action and one-line messages, never an exception;
- usage headers of any shape give percentages within 0..100 and finite waits >= 0, and never
  upset the pacer.

Regression examples (``@example``) pin the bugs these properties found.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import logging
import math
import os
import re
import string
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from requests.structures import CaseInsensitiveDict
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib.json import serialize_json

from tap_meta_ads.graph.errors import (
    Action,
    GraphFatalError,
    GraphRetriableError,
    GraphThrottleError,
    ShrinkPageError,
    classify,
    parse_error,
    remedy,
)
from tap_meta_ads.graph.pacing import MIN_RATE, Pacer, RateLimitWaitExceededError
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.graph.usage import ADS_INSIGHTS, ADS_MANAGEMENT, read_usage
from tap_meta_ads.settings.schema import ATTRIBUTION_WINDOWS, CONFIG_SCHEMA
from tap_meta_ads.streams.base import MetaAdsStream
from tap_meta_ads.tap import TapMetaAds
from tests.fakes import FakeClock

TAP_BIN = str(Path(sys.executable).parent / "tap-meta-ads")
#: Configured token of the payload tap, and a secret planted in payload values.
TOKEN = "EAABtapTOKENvalue0123456789"
PLANTED = "EAABplantedSECRET9876543210"

# -- strategies: JSON-like junk --------------------------------------------------------------

ODD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1e999999999",
        "-1E+400",
        "1000000000000000000000000000000",
        "9223372036854775808",
        "-0",
        "0.5",
        "0x1A",
        "\uff11\uff12",  # full-width digits
        "²",
        "--5",
        "٣",
        "12abc",
        " 42 ",
        "\x00",
        "line\nbreak",
        "\u2028",
        "null",
        "true",
        "[]",
        "{}",
        "2026-02-30",
        "2026-11-01",
        "2026-11-01T10:00:00-0700",
        "2026-11-01T10:00:00 0000",
        "0001-01-01T00:00:00+0100",
        "9999-12-31T23:59:59-2359",
        "99999999999999999999",
        "act_",
        "act_12x",
        "act_123",
        "v25.0",
        "v12.0",
        "😀",
        "é",
        PLANTED,
    ]
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -(10**300), 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    ODD_STRINGS,
)
JUNK = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "inf", "-inf", "1e999", "-5", "50", "99.5", "1e999999999"]),
)

#: Junk for secret settings: a real token is long, and a wrong one is no string at all (a
#: one-letter "token" would be masked in every message, garbling it).
NOT_TEXT = JUNK.filter(lambda value: not isinstance(value, str))

# -- settings --------------------------------------------------------------------------------

SECRETS = st.text(alphabet=string.ascii_letters + string.digits, min_size=16, max_size=40).map(
    lambda text: f"EAAB{text}"
)


def _setting_names() -> frozenset[str]:
    """The tap's settings and the SDK's built-in ones (added when a tap is first made)."""
    return frozenset(payload_tap().config_jsonschema["properties"])


@functools.cache
def _built_in_streams() -> frozenset[str]:
    return frozenset(TapMetaAds(config={"access_token": "x"}, validate_config=False).streams)


def _configured_secrets(config: dict[str, Any], secrets: list[str]) -> list[str]:
    """The generated secrets the config holds where secrets go (tokens, app secret)."""
    places = [config.get("access_token"), config.get("app_secret")]
    accounts = config.get("accounts")
    if isinstance(accounts, list):
        places += [entry.get("access_token") for entry in accounts if isinstance(entry, dict)]
    text = json.dumps(places)
    return [secret for secret in secrets if secret in text]


def _int_like(low: int, high: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=low - 5, max_value=high + 5),
        st.integers(),
        st.sampled_from([10**400, 1e300, -1e300, 5.0, 2.5, float("nan"), float("inf")]),
        st.integers(min_value=low - 5, max_value=high + 5).map(str),
        st.sampled_from(["nan", "1e3", " 7 ", "ten", ""]),
    )


def _positive_number() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-10, max_value=10**6),
        st.sampled_from(["nan", "inf", "-1", "0.5", "1e999", "2", "", "fast", 10**400]),
    )


@st.composite
def configs(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A random config of the tap's settings, and the secret strings it carries."""
    token, app_secret, account_token = draw(SECRETS), draw(SECRETS), draw(SECRETS)
    secrets = [token, app_secret, account_token]
    anywhere = st.one_of(JUNK, st.sampled_from(secrets))  # a secret pasted anywhere
    account_id = st.one_of(
        st.sampled_from(["act_123", "123", "act_x1", " act_9 ", "act_", "0"]),
        st.integers(min_value=-5, max_value=10**25),
        anywhere,
    )
    account = st.fixed_dictionaries(
        {"account_id": account_id},
        optional={
            "access_token": st.one_of(st.just(account_token), NOT_TEXT),
            "label": st.one_of(st.text(max_size=10), JUNK),
            "client_id": JUNK,
        },
    )
    report = st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(
                st.sampled_from(
                    ["by_country", "campaigns", "businesses", "me", "Bad-Name", "", "x" * 70]
                ),
                anywhere,
            ),
            "level": st.one_of(st.sampled_from(["account", "campaign", "adset", "ad"]), JUNK),
            "fields": st.one_of(
                st.lists(
                    st.one_of(st.sampled_from(["spend", "impressions", "actions"]), anywhere),
                    max_size=4,
                ),
                JUNK,
            ),
            "breakdowns": st.one_of(st.lists(st.sampled_from(["country", "age", "dma"])), JUNK),
            "action_breakdowns": st.one_of(st.lists(st.just("action_type")), JUNK),
            "action_attribution_windows": st.one_of(st.lists(st.just("7d_click")), JUNK),
            "time_increment": st.one_of(st.sampled_from(["1", "monthly", "all_days", 7]), JUNK),
        },
    )
    date = st.one_of(
        st.dates().map(lambda day: day.isoformat()),
        st.sampled_from(["2999-01-01", "2026-13-01", "yesterday", "2026-01-01T00:00:00Z"]),
        anywhere,
    )
    values: dict[str, st.SearchStrategy[Any]] = {
        "access_token": st.one_of(
            st.just(token),
            st.sampled_from([[token], {"t": token}, "", None, 12345678901234]),
            NOT_TEXT,
        ),
        "app_secret": st.one_of(st.just(app_secret), st.just([app_secret]), NOT_TEXT),
        "account_ids": st.one_of(st.lists(account_id, max_size=4), JUNK),
        "accounts": st.one_of(st.lists(st.one_of(account, JUNK), max_size=3), JUNK),
        "api_url": st.one_of(
            st.sampled_from(
                [
                    "https://graph.facebook.com",
                    "http://127.0.0.1:1/",
                    "graph.facebook.com",
                    "https://graph.facebook.com/v25.0",
                ]
            ),
            anywhere,
        ),
        "api_version": st.one_of(
            st.sampled_from(["v25.0", "v12.0", "25", "v99999999999999999999.0", "v23.0"]),
            anywhere,
        ),
        "start_date": date,
        "end_date": date,
        "page_size": _int_like(1, 5000),
        "lookback_days": _int_like(0, 90),
        "max_jobs_in_flight": _int_like(1, 1000),
        "max_retries": _int_like(1, 20),
        "requests_per_second": _positive_number(),
        "request_timeout_seconds": _positive_number(),
        "max_retry_seconds": _positive_number(),
        "max_rate_limit_wait_seconds": _positive_number(),
        "job_poll_seconds": _positive_number(),
        "job_timeout_seconds": _positive_number(),
        "include_deleted": st.one_of(st.booleans(), JUNK),
        "action_attribution_windows": st.one_of(
            st.lists(
                st.one_of(st.sampled_from(["1d_click", "7d_view", "28d_view", "dda"]), anywhere),
                max_size=4,
            ),
            JUNK,
        ),
        "conversion_action_types": st.one_of(st.lists(st.text(max_size=10), max_size=3), JUNK),
        "insights_reports": st.one_of(st.lists(st.one_of(report, JUNK), max_size=3), JUNK),
        "flattening_enabled": st.one_of(st.booleans(), JUNK),
        "flattening_max_depth": st.one_of(st.integers(min_value=-3, max_value=5), JUNK),
    }
    fine = _valid_settings(token, app_secret, account_token)
    # Most settings well-formed and a few odd ones, so that both outcomes are common.
    chosen = draw(st.sets(st.sampled_from(sorted(values)), max_size=len(values)), label="set")
    odd = draw(st.sets(st.sampled_from(sorted(values)), max_size=3), label="odd")
    config = {"access_token": token}
    for name in sorted(chosen | odd):
        config[name] = draw(values[name] if name in odd else fine[name], label=name)
    extra = draw(st.dictionaries(st.text(max_size=8), anywhere, max_size=2), label="extra")
    return {**extra, **config}, secrets


def _valid_settings(token: str, app_secret: str, account_token: str) -> dict[str, Any]:
    """A well-formed value for every setting of ``configs``."""
    account_id = st.one_of(
        st.integers(min_value=1, max_value=10**15).map(lambda n: f"act_{n}"),
        st.integers(min_value=1, max_value=10**15).map(str),
    )
    number = st.one_of(
        st.floats(min_value=0.01, max_value=1e6),
        st.integers(min_value=1, max_value=10**6),
        st.sampled_from(["2.5", "10"]),
    )
    past = st.dates(max_value=dt.date(2026, 1, 1)).map(lambda day: day.isoformat())
    windows = st.lists(st.sampled_from(ATTRIBUTION_WINDOWS), max_size=3, unique=True)
    report = st.builds(
        lambda index, level, fields, breakdowns: {
            "name": f"report_{index}",
            "level": level,
            "fields": fields,
            "breakdowns": breakdowns,
        },
        st.integers(min_value=0, max_value=3),
        st.sampled_from(["account", "campaign", "adset", "ad"]),
        st.lists(st.sampled_from(["spend", "impressions", "actions", "ctr"]), min_size=1),
        st.sampled_from([[], ["country"], ["age", "gender"]]),
    )
    return {
        "access_token": st.just(token),
        "app_secret": st.just(app_secret),
        "account_ids": st.lists(account_id, max_size=3),
        "accounts": st.lists(
            st.fixed_dictionaries(
                {"account_id": account_id},
                optional={
                    "access_token": st.just(account_token),
                    "label": st.text(max_size=10),
                    "client_id": st.text(max_size=5),
                },
            ),
            max_size=3,
        ),
        "api_url": st.sampled_from(["https://graph.facebook.com", "http://127.0.0.1:8080/"]),
        "api_version": st.integers(min_value=23, max_value=99).map(lambda n: f"v{n}.0"),
        "start_date": past,
        "end_date": past,
        "page_size": st.one_of(st.integers(min_value=1, max_value=5000), st.just("250")),
        "lookback_days": st.integers(min_value=0, max_value=90),
        "max_jobs_in_flight": st.integers(min_value=1, max_value=1000),
        "max_retries": st.integers(min_value=1, max_value=50),
        "requests_per_second": number,
        "request_timeout_seconds": number,
        "max_retry_seconds": number,
        "max_rate_limit_wait_seconds": number,
        "job_poll_seconds": number,
        "job_timeout_seconds": number,
        "include_deleted": st.booleans(),
        "action_attribution_windows": windows,
        "conversion_action_types": st.lists(st.text(min_size=1, max_size=10), max_size=3),
        "insights_reports": st.lists(report, max_size=2, unique_by=lambda r: r["name"]),
        "flattening_enabled": st.just(False),
        "flattening_max_depth": st.integers(min_value=1, max_value=5),
    }


def _one_line(text: str) -> bool:
    return bool(text.strip()) and len(text.splitlines()) == 1


def _names_a_setting(line: str) -> bool:
    """The line names a setting, or a key of the config that is none (a typo)."""
    unknown = r"^.+: not a (setting of tap-meta-ads|field of an account|field of a report);"
    if re.match(unknown, line):
        return True
    match = re.match(r"^([A-Za-z0-9_]+)\b", line)
    return bool(match) and match.group(1) in _setting_names()


#: Documented ranges of numeric settings: (low, high, low exclusive).
RANGES = {
    "page_size": (1, 5000, False),
    "lookback_days": (0, 90, False),
    "recent_lookback_days": (0, 90, False),
    "full_lookback_hours": (0, 8760, False),
    "max_jobs_in_flight": (1, 1000, False),
    "max_jobs_per_account": (1, 20, False),
    "max_accounts_in_flight": (1, 200, False),
    "max_retries": (1, 50, False),
    "requests_per_second": (0.05, 100, False),
    "request_timeout_seconds": (1, 600, False),
    "max_retry_seconds": (1, 86400, False),
    "max_rate_limit_wait_seconds": (1, 86400, False),
    "job_poll_seconds": (0.1, 300, False),
    "job_timeout_seconds": (60, 86400, False),
    "progress_seconds": (0.5, 86400, False),
    "shard_count": (1, 1000, False),
    "shard_index": (0, 999, False),
}


def _assert_usable(tap: TapMetaAds) -> None:
    """An accepted config is one the tap can run with: numbers finite and in range."""
    for name, (low, high, exclusive) in RANGES.items():
        value = tap.config.get(name)
        assert isinstance(value, (int, float)), (name, value)
        assert not isinstance(value, bool), name
        assert not isinstance(value, float) or math.isfinite(value), (name, value)
        assert value > low if exclusive else value >= low, (name, value)
        assert value <= high, (name, value)
    assert isinstance(tap.config.get("api_url"), str)
    assert isinstance(tap.config.get("api_version"), str)
    reports = tap.config.get("insights_reports") or []
    for report in reports:  # each report is a stream of its own...
        assert type(tap.streams[report["name"]]).__name__ == f"Report_{report['name']}"
    for name in _built_in_streams():  # ...replacing none of the tap's own
        assert not type(tap.streams[name]).__name__.startswith("Report_"), name
    stream = tap.streams["campaigns"]
    assert stream.timeout >= 1
    assert 1 <= stream.page_size(None) <= 5000
    assert stream.url_base.startswith("http")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=configs())
@example(case=({"access_token": "EAABsecretsecretsecret", "page_size": None}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "requests_per_second": None}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "page_size": 1e300}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "requests_per_second": "nan"}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "job_poll_seconds": -1}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "request_timeout_seconds": 0.5}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "requests_per_second": 10**400}, []))
@example(case=({"access_token": "EAABsecretsecretsecret", "accounts": 1}, []))
@example(
    case=(
        {
            "access_token": "EAABsecretsecretsecret",
            "insights_reports": [{"name": "businesses", "fields": ["spend"]}],
        },
        [],
    )
)
@example(
    case=(
        {"access_token": "EAABsecretsecretsecret", "account_ids": ["EAABsecretsecretsecret"]},
        ["EAABsecretsecretsecret"],
    )
)
@example(
    case=(
        {"access_token": ["EAABsecretsecretsecret"], "start_date": "EAABsecretsecretsecret"},
        ["EAABsecretsecretsecret"],
    )
)
@example(
    case=(
        {
            "access_token": "EAAB" + "s" * 60,
            "insights_reports": [{"name": "r", "fields": ["EAAB" + "s" * 60]}],
        },
        ["EAAB" + "s" * 60, "EAAB" + "s" * 36],  # not even the first 40 characters
    )
)
def test_any_config_is_accepted_or_refused_in_lines_naming_a_setting(case):
    config, secrets = case
    secrets = _configured_secrets(config, secrets)
    refused: ConfigValidationError | None = None
    try:
        tap = TapMetaAds(config=copy.deepcopy(config), validate_config=True)
    except ConfigValidationError as exc:  # any other exception fails the test
        refused = exc
    event("accepted" if refused is None else "refused")
    if refused is None:
        _assert_usable(tap)
        return
    assert refused.errors, "refused without saying why"
    for line in refused.errors:
        assert isinstance(line, str)
        assert _one_line(line), line
        assert _names_a_setting(line), line
    shown = " ".join([str(refused), *refused.errors])
    for secret in secrets:
        assert secret not in shown


BAD_SETTINGS = st.sampled_from(
    [
        {"page_size": 0},
        {"api_version": "v12.0"},
        {"requests_per_second": "nan"},
        {"lookback_days": "many"},
        {"account_ids": ["act_x1"]},
        {"accounts": [{"account_id": "1", "access_token": ["x"]}]},
    ]
)


def _strict_json(value: Any) -> Any:
    """The same config as strict JSON (NaN and Infinity become strings: a config file is JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict_json(item) for item in value]
    return value


def _run_cli(config_text: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TAP_META_ADS_")}
    clean.update({"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_text(config_text)
        return subprocess.run(
            [TAP_BIN, "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean,
            check=False,
        )


# A few examples only: each starts the tap in a subprocess (about a second).
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=configs(), bad=BAD_SETTINGS)
def test_cli_refuses_a_bad_config_in_lines_without_traceback_or_secret(case, bad):
    config, secrets = case
    config = {**config, **bad}
    result = _run_cli(json.dumps(_strict_json(config), allow_nan=False))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    for secret in _configured_secrets(config, secrets):
        assert secret not in result.stderr + result.stdout


# -- Graph payloads through post_process ------------------------------------------------------

REPORT = {
    "name": "by_country",
    "level": "campaign",
    "fields": ["impressions", "spend", "ctr", "actions", "cost_per_action_type", "reach"],
    "breakdowns": ["country"],
    "time_increment": "monthly",
}


@functools.cache
def payload_tap() -> TapMetaAds:
    return TapMetaAds(
        config={"access_token": TOKEN, "insights_reports": [REPORT]}, validate_config=False
    )


#: Every stream that reads Graph (sync_log, written by the tap itself, reads nothing).
STREAM_NAMES = sorted(
    name for name, stream in payload_tap().streams.items() if isinstance(stream, MetaAdsStream)
)

DATETIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(
        lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    ),
    st.integers(min_value=-(10**12), max_value=10**20),
    st.integers(min_value=0, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True),
)


def value_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a Graph field of this schema might arrive as: right, wrong, null or junk."""
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    options: list[st.SearchStrategy[Any]] = [JUNK, st.none(), ODD_STRINGS]
    if "integer" in types or "number" in types:
        options += [NUMBERS, NUMBERS.map(str)]
    if schema.get("format") == "date-time":
        options.append(DATETIMES)
    elif schema.get("format") == "date":
        options.append(st.dates().map(lambda day: day.isoformat()))
    elif "string" in types:
        options.append(st.text(max_size=12))
    if "boolean" in types:
        options += [st.booleans(), st.sampled_from(["true", "0", 1, 2])]
    if "object" in types:
        properties = schema.get("properties") or {}
        options.append(
            st.fixed_dictionaries(
                {}, optional={name: value_for(prop) for name, prop in properties.items()}
            ).flatmap(
                lambda known: st.dictionaries(st.text(max_size=6), JUNK, max_size=2).map(
                    lambda extra: {**extra, **known}
                )
            )
        )
    if "array" in types and isinstance(schema.get("items"), dict):
        options.append(st.lists(st.one_of(value_for(schema["items"]), JUNK), max_size=4))
    return st.one_of(*options)


ACTION_STAT = st.fixed_dictionaries(
    {"action_type": st.one_of(st.sampled_from(["lead", "purchase", "video_view"]), JUNK)},
    optional={
        "value": st.one_of(NUMBERS, NUMBERS.map(str), JUNK),
        "7d_click": st.one_of(NUMBERS.map(str), JUNK),
        "1d_view": st.one_of(NUMBERS.map(str), JUNK),
        "action_destination": JUNK,
    },
)
ACTION_LIST = st.one_of(st.lists(st.one_of(ACTION_STAT, JUNK), max_size=4), JUNK)
#: Raw Graph fields some streams read that are not schema properties.
RAW_EXTRAS = {
    name: ACTION_LIST
    for name in (
        "actions",
        "action_values",
        "cost_per_action_type",
        "video_p25_watched_actions",
        "video_p50_watched_actions",
        "video_p75_watched_actions",
        "video_p100_watched_actions",
        "video_play_actions",
    )
}


@functools.cache
def rows_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    properties = payload_tap().streams[name].schema["properties"]
    fields = {**RAW_EXTRAS, **{key: value_for(prop) for key, prop in properties.items()}}
    fields["creative"] = st.one_of(
        st.fixed_dictionaries({}, optional={"id": JUNK, "body": JUNK}), JUNK
    )
    fields["currency"] = st.one_of(st.sampled_from(["USD", "JPY", "usd", ""]), JUNK)
    known = st.fixed_dictionaries({}, optional=fields)
    extra = st.dictionaries(st.text(max_size=8), JUNK, max_size=2)
    return st.tuples(extra, known).map(lambda parts: {**parts[0], **parts[1]})


CONTEXTS = st.fixed_dictionaries(
    {"account_id": st.sampled_from(["1", "1001"])},
    optional={
        "currency": st.one_of(st.none(), st.sampled_from(["USD", "JPY", "KRW", "EUR", "xx"]))
    },
)


def _typed_numbers(value: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """Numbers at places the schema types (free-form JSON objects pass through as sent)."""
    if isinstance(value, dict):
        for name, prop in (schema.get("properties") or {}).items():
            yield from _typed_numbers(value.get(name), prop)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            yield from _typed_numbers(item, schema["items"])
    elif isinstance(value, (float, Decimal)):
        yield value


@pytest.mark.parametrize("name", STREAM_NAMES)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_any_graph_row_becomes_a_valid_record_or_is_skipped(name, data, caplog):
    row = data.draw(rows_for(name), label="row")
    context = data.draw(CONTEXTS, label="context")
    _check_row(name, row, context, caplog)


def _check_row(
    name: str, row: dict[str, Any], context: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    stream = payload_tap().streams[name]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        record = stream.post_process(copy.deepcopy(row), context)
    for secret in (TOKEN, PLANTED):
        assert secret not in caplog.text
    unfit = stream.unfit.pop(stream.scope(context).subject, None)
    if unfit is not None:  # a number or time that does not fit: the account ends in one line
        assert record is None
        assert "\n" not in unfit.line
        assert " does not fit its column (" in unfit.line
        assert unfit.line.startswith(f"account {context['account_id']}: {name}: field ")
        for secret in (TOKEN, PLANTED):
            assert secret not in unfit.line
        return
    if record is None:  # only a row without its key is skipped
        assert stream.schema.get("required"), "a record was dropped"
        return
    # What the target receives: the SDK's encoder must take it, and it must fit the schema.
    text = serialize_json(record)
    parsed = json.loads(text, parse_float=Decimal)
    problems = [error.message for error in Draft7Validator(stream.schema).iter_errors(parsed)]
    assert not problems, problems
    for number in _typed_numbers(record, stream.schema):
        assert number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)


ANY_STREAM_ROW = st.sampled_from(STREAM_NAMES).flatmap(
    lambda name: st.tuples(st.just(name), rows_for(name), CONTEXTS)
)


# Every stream at once, fewer examples: the home of the regression examples.
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(case=ANY_STREAM_ROW)
# money beyond Decimal's exponent: decimal.Overflow escaped post_process
@example(
    case=(
        "campaigns",
        {"id": "1", "daily_budget": "1e999999999"},
        {"account_id": "1", "currency": "USD"},
    )
)
# money beyond Decimal's precision once quantized: InvalidOperation escaped
@example(
    case=(
        "campaigns",
        {"id": "1", "daily_budget": "1" + "0" * 30},
        {"account_id": "1", "currency": "USD"},
    )
)
# a currency that is not a string: AttributeError on .upper()
@example(case=("ad_account", {"id": "act_1", "currency": 5, "balance": "100"}, {"account_id": "1"}))
# timestamps outside years 1-9999: OSError, OverflowError and ValueError from datetime
@example(
    case=(
        "ads",
        {"id": "1", "updated_time": 1e20, "created_time": "9999999999999"},
        {"account_id": "1"},
    )
)
@example(case=("ads", {"id": "1", "updated_time": "0001-01-01T00:00:00+0100"}, {"account_id": "1"}))
# integers beyond 64 bits, one of them too long for the SDK's JSON encoder to print
@example(
    case=("ad_insights", {"date_start": "2026-01-01", "impressions": "1e5000"}, {"account_id": "1"})
)
@example(
    case=(
        "ad_insights",
        {"date_start": "2026-01-01", "actions": [{"value": "1e999999999"}]},
        {"account_id": "1"},
    )
)
# NaN action values: int(NaN) raised ValueError while summing conversions
@example(
    case=(
        "ad_insights",
        {"date_start": "2026-01-01", "actions": [{"action_type": "lead", "value": "NaN"}]},
        {"account_id": "1"},
    )
)
# a string list holding an object, a list of objects holding a number
@example(case=("ad_account", {"id": "act_1", "capabilities": ["x", {"a": 1}]}, {"account_id": "1"}))
@example(case=("adsets", {"id": "1", "attribution_spec": [1]}, {"account_id": "1"}))
# an insights row without a date cannot be keyed: skipped with a warning
@example(case=("ad_insights", {"date_start": None, "impressions": "5"}, {"account_id": "1"}))
def test_any_row_of_any_stream_becomes_a_valid_record_or_is_skipped(case, caplog):
    name, row, context = case
    _check_row(name, row, context, caplog)


def test_action_stats_keep_their_attribution_windows():
    """Each action stat keeps one key per window (the schema allows extra keys)."""
    stream = payload_tap().streams["ad_insights"]
    record = stream.post_process(
        {
            "date_start": "2026-01-01",
            "actions": [{"action_type": "lead", "value": "5", "7d_click": "4", "1d_view": "1"}],
        },
        {"account_id": "1"},
    )
    assert record is not None
    assert record["actions"] == [
        {"action_type": "lead", "value": Decimal(5), "7d_click": Decimal(4), "1d_view": Decimal(1)}
    ]
    assert record["conversions"] == 5


# -- error envelopes -------------------------------------------------------------------------

CODES = st.one_of(
    st.sampled_from(
        [1, 2, 4, 10, 17, 32, 100, 102, 190, 200, 463, 613, 2500, 2635, 3018, 80004, 1487534]
    ),
    st.integers(),
    st.sampled_from(["190", "-3", "²", "--5", "٣", "1" * 5000, " 17 ", "1e3"]),
    JUNK,
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "Please reduce the amount of data you're asking for, then retry your request",
            "first line\nsecond line",
            "a\r\nb\u2028c\x85d\x1ce",
            "ends with dots. . .",
            "",
        ]
    ),
    JUNK,
)
ERROR_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "code": CODES,
        "error_subcode": CODES,
        "message": TEXTS,
        "type": TEXTS,
        "error_user_title": TEXTS,
        "error_user_msg": TEXTS,
        "is_transient": st.one_of(st.booleans(), JUNK),
        "fbtrace_id": TEXTS,
    },
)
ENVELOPES = st.one_of(JUNK, st.fixed_dictionaries({"error": st.one_of(ERROR_OBJECT, JUNK)}))


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=-1, max_value=1000), body=ENVELOPES)
@example(status=400, body={"error": {"code": "²"}})
@example(status=400, body={"error": {"code": "--5", "error_subcode": "1" * 5000}})
@example(status=500, body={"error": {"code": 1, "message": "a\nb", "error_user_msg": "c\u2028d"}})
def test_any_error_envelope_becomes_an_action_and_one_line(status, body):
    info = parse_error(status, body)
    if info is None:
        assert not (isinstance(body, dict) and isinstance(body.get("error"), dict))
        return
    assert isinstance(classify(info), Action)
    fatal = GraphFatalError(info, "1", "reading campaigns")
    for text in (info.describe(), remedy(info), str(fatal), fatal.line):
        assert _one_line(text), text


HEADER_NAMES = (
    "X-Business-Use-Case-Usage",
    "X-Ad-Account-Usage",
    "X-App-Usage",
    "X-FB-Ads-Insights-Throttle",
)
USAGE_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["ads_management", "ads_insights"]),
        "call_count": st.one_of(NUMBERS, JUNK),
        "total_cputime": st.one_of(NUMBERS, JUNK),
        "total_time": st.one_of(NUMBERS, JUNK),
        "estimated_time_to_regain_access": st.one_of(NUMBERS, JUNK),
    },
)
HEADER_VALUES = st.one_of(
    st.text(max_size=30),
    JUNK.map(json.dumps),
    st.dictionaries(
        st.one_of(st.sampled_from(["1", "act_1"]), st.text(max_size=4)),
        st.one_of(st.lists(st.one_of(USAGE_ENTRY, JUNK), max_size=3), JUNK),
        max_size=3,
    ).map(json.dumps),
    st.fixed_dictionaries(
        {},
        optional={
            "acc_id_util_pct": st.one_of(NUMBERS, JUNK),
            "reset_time_duration": st.one_of(NUMBERS, JUNK),
            "app_id_util_pct": st.one_of(NUMBERS, JUNK),
            "call_count": st.one_of(NUMBERS, JUNK),
        },
    ).map(json.dumps),
)
HEADERS = st.dictionaries(st.sampled_from([*HEADER_NAMES, "X-Other"]), HEADER_VALUES, max_size=5)


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([200, 400, 403, 429, 500, 502, 503]) | st.integers(100, 599),
    content=st.one_of(
        st.binary(max_size=60), ENVELOPES.map(lambda body: json.dumps(body).encode())
    ),
    headers=HEADERS,
)
@example(status=200, content=b'{"error": {"code": "\\u00b2"}}', headers={})
def test_any_response_has_a_documented_outcome_in_one_line(status, content, headers):
    response = requests.Response()
    response.status_code = status
    response._content = content
    response.headers = CaseInsensitiveDict(headers)
    response.reason = "Reason"
    documented = (GraphThrottleError, ShrinkPageError, GraphRetriableError, GraphFatalError)
    scope = CallScope(account_id="1", stream="campaigns", what="reading campaigns")
    line = None
    try:
        payload_tap().run.graph.check_response(response, scope)
    except documented as exc:  # any other exception fails the test
        line = str(exc)
    try:
        body, decoded = json.loads(content), True
    except ValueError:
        body, decoded = None, False
    enveloped = isinstance(body, dict) and isinstance(body.get("error"), dict)
    failed = status >= 400 or not decoded or enveloped
    # A failure always raises a documented exception; a good answer never does.
    assert (line is not None) == failed, (status, content, line)
    assert line is None or _one_line(line), line


# -- usage headers ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    headers=HEADERS,
    account=st.one_of(st.none(), st.sampled_from(["1", "act_1"]), st.text(max_size=4)),
)
@example(
    headers={
        "X-Business-Use-Case-Usage": '{"1": [{"call_count": NaN, '
        '"estimated_time_to_regain_access": 1e308}]}',
        "X-Ad-Account-Usage": '{"reset_time_duration": -Infinity}',
        "X-FB-Ads-Insights-Throttle": '{"acc_id_util_pct": 250}',
    },
    account="1",
)
@example(
    headers={"X-Business-Use-Case-Usage": '{"1": [{"estimated_time_to_regain_access": 70}]}'},
    account="1",
)
def test_any_usage_headers_give_bounded_figures_and_never_upset_the_pacer(headers, account):
    usage = read_usage(headers, account)
    assert 0.0 <= usage.pct <= 100.0
    for wait in (usage.regain_seconds, usage.reset_seconds):
        assert math.isfinite(wait)
        assert wait >= 0
    assert usage.insights_pct is None or 0.0 <= usage.insights_pct <= 100.0
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    pacer.observe(usage)  # a wait beyond max_rate_limit_wait_seconds must not raise here
    try:
        pacer.acquire()
        pacer.acquire()
    except RateLimitWaitExceededError:  # it fails the next call instead, without waiting
        assert pacer.exhausted
        assert usage.regain_seconds > pacer.max_wait_seconds
        assert clock.slept == 0
    assert MIN_RATE <= pacer.rate <= 2.0
    assert pacer.waited_seconds <= pacer.max_wait_seconds


PACER_STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("acquire"),
            st.sampled_from([None, ADS_MANAGEMENT, ADS_INSIGHTS]),
            st.integers(min_value=0, max_value=60),
        ),
        st.tuples(
            st.just("observe"),
            st.sampled_from([None, ADS_MANAGEMENT, ADS_INSIGHTS]),
            st.integers(min_value=0, max_value=60),
            HEADERS,
            st.one_of(st.none(), st.integers(min_value=0, max_value=50)),
        ),
        st.tuples(st.just("release"), st.sampled_from([None, ADS_MANAGEMENT, ADS_INSIGHTS])),
        st.tuples(st.just("throttle"), st.one_of(st.none(), st.floats(0, 120))),
        st.tuples(st.just("time"), st.floats(min_value=0, max_value=100)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(steps=PACER_STEPS)
def test_any_sequence_of_calls_and_answers_keeps_the_pacer_sane(steps):
    clock = FakeClock()
    pacer = Pacer(5.0, max_wait_seconds=1e9, clock=clock, sleep=clock.sleep)
    for step in steps:
        before = clock.now
        if step[0] == "acquire":
            pacer.acquire(step[1], step[2])
        elif step[0] == "observe":
            pacer.observe(read_usage(step[3], "1"), step[1], step[2], later=step[4])
        elif step[0] == "release":
            pacer.release(step[1])
        elif step[0] == "throttle":
            pacer.on_throttle(step[1], ADS_MANAGEMENT)
        else:
            clock.now += step[1]
        assert clock.now >= before
        assert MIN_RATE <= pacer.rate <= 5.0
        for kind in (ADS_MANAGEMENT, ADS_INSIGHTS):
            learnt = pacer.budget(kind)
            assert learnt is None or (learnt[0] >= 1 and learnt[1] >= 0)


def _refusal(name: str, value: float) -> list[str] | None:
    """The tap's error lines for ``name = value`` in an otherwise valid config (None: taken)."""
    try:
        # shard_index is bounded by shard_count too: give it the most shards allowed
        others = {"shard_count": 1000} if name == "shard_index" else {}
        TapMetaAds(
            config={"access_token": "EAABtoken", **others, name: value}, validate_config=True
        )
    except ConfigValidationError as exc:
        return [str(line) for line in exc.errors]
    return None


def test_config_schema_ranges_cover_every_numeric_setting():
    """The ranges above are the tap's: every numeric setting has one, and the tap takes each
    bound of it and refuses just past it (tried on the tap, not on a copy of its table)."""
    numeric = {
        name
        for name, prop in CONFIG_SCHEMA["properties"].items()
        if {"integer", "number"} & set(prop.get("type", []))
    }
    assert numeric == set(RANGES)
    for name, (low, high, exclusive) in RANGES.items():
        step = 1 if "integer" in CONFIG_SCHEMA["properties"][name]["type"] else 0.5
        taken = [low + step if exclusive else low, high if math.isfinite(high) else 10**6]
        refused = [low if exclusive else low - step]
        if math.isfinite(high):
            refused.append(high + step)
        for value in taken:
            assert _refusal(name, value) is None, (name, value)
        for value in refused:
            lines = _refusal(name, value)
            assert lines, f"{name} = {value} was taken"
            assert any(line.startswith(name) for line in lines), (name, value, lines)
