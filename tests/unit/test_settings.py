"""Checks of the settings: one line per problem, naming the setting, never showing a secret."""

from __future__ import annotations

import inspect

import pytest
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import PluginBase

from tap_meta_ads.secrets import redact, secrets_of
from tap_meta_ads.settings.checks import (
    SettingError,
    check_reports,
    check_settings,
    normalise_account_id,
    schema_problems,
)
from tap_meta_ads.settings.model import configured_accounts
from tap_meta_ads.settings.schema import CONFIG_SCHEMA
from tap_meta_ads.streams.insights_custom import InsightsActionsStream
from tap_meta_ads.streams.sync_log import SyncLogStream
from tap_meta_ads.tap import STREAM_TYPES, TapMetaAds

TOKEN = "secret-token-value"
#: The tap's own streams, from the classes themselves.
FIXED = frozenset(t.name for t in (*STREAM_TYPES, InsightsActionsStream, SyncLogStream))
RESERVED = sorted(FIXED)


@pytest.mark.parametrize(
    ("raw", "expected"), [("act_123", "123"), ("123", "123"), (42, "42"), (" act_9 ", "9")]
)
def test_account_ids_are_normalised(raw, expected):
    assert normalise_account_id(raw, "account_ids[0]") == expected


@pytest.mark.parametrize("raw", ["act_", "abc", "act_12x", "", None, True, 1.5, "123/campaigns"])
def test_bad_account_ids_name_the_setting(raw):
    with pytest.raises(SettingError, match=r"^account_ids\[0\]: .* use the number"):
        normalise_account_id(raw, "account_ids[0]")


def test_accounts_and_account_ids_merge_without_duplicates():
    accounts = configured_accounts(
        {
            "accounts": [
                {"account_id": "act_1", "access_token": "t1", "label": "Acme", "client_id": "c-1"}
            ],
            "account_ids": ["1", "act_2"],
        }
    )
    assert [a.account_id for a in accounts] == ["1", "2"]
    assert accounts[0].label == "Acme"
    assert "t1" not in repr(accounts[0])


def _problems(**config):
    return check_settings({"access_token": TOKEN, **config}, reserved=RESERVED)


def test_good_config_has_no_problems():
    assert _problems(account_ids=["act_1"], start_date="2026-01-01") == []


@pytest.mark.parametrize(
    ("config", "starts"),
    [
        ({"api_version": "25"}, "api_version:"),
        ({"api_version": "v19.0"}, "api_version: v19.0 is not one this tap supports"),
        ({"api_url": "graph.facebook.com"}, "api_url:"),
        ({"api_url": "https://graph.facebook.com/v25.0"}, "api_url:"),
        ({"page_size": 0}, "page_size:"),
        ({"page_size": 10000}, "page_size:"),
        ({"requests_per_second": 0}, "requests_per_second:"),
        ({"max_retries": 0}, "max_retries:"),
        ({"start_date": "2999-01-01"}, "start_date:"),
        ({"start_date": "yesterday"}, "start_date:"),
        ({"accounts": ["act_1"]}, "accounts[0]:"),
        ({"action_attribution_windows": ["7d_view"]}, "action_attribution_windows: 7d_view"),
        ({"insights_reports": [{"name": "r", "fields": []}]}, "insights_reports[0].fields:"),
    ],
)
def test_each_problem_is_one_line_naming_the_setting(config, starts):
    problems = _problems(**config)
    assert len(problems) == 1
    assert problems[0].startswith(starts)
    assert "\n" not in problems[0]
    assert TOKEN not in problems[0]


def test_missing_token():
    assert check_settings({"account_ids": ["1"]}, reserved=())[0].startswith(
        "access_token: missing"
    )
    # every account carrying its own token is enough
    accounts = [{"account_id": "1", "access_token": "x"}]
    assert check_settings({"accounts": accounts}, reserved=()) == []


def test_a_secret_pasted_into_another_setting_is_masked():
    assert _problems(api_version=TOKEN) == ["api_version: '***' is not a Graph version; use v27.0"]


def test_redact_masks_values_and_query_tokens():
    text = "GET /me?access_token=EAAB123&fields=id token=tok-1 again tok-1"
    assert redact(text, ["tok-1"]) == "GET /me?access_token=***&fields=id token=*** again ***"


# -- JSON Schema errors, named from the error's path --------------------------------------------


@pytest.mark.parametrize(
    ("config", "line"),
    [
        (
            {"page_size": "ten"},
            "page_size: 'ten' is not an integer; fix it in the config or TAP_META_ADS_PAGE_SIZE",
        ),
        (
            {"accounts": [{"account_id": 5}]},
            # accounts may hold tokens: its values are never shown
            "accounts[0][account_id]: the value (not shown) is not text; fix it in the config "
            "or TAP_META_ADS_ACCOUNTS",
        ),
        (
            {"account_ids": ["1", 2]},
            "account_ids[1]: 2 is not text; fix it in the config or TAP_META_ADS_ACCOUNT_IDS",
        ),
        (
            {"app_secret": ["secret-app-value"]},
            "app_secret: the value (not shown) is not text; fix it in the config or "
            "TAP_META_ADS_APP_SECRET",
        ),
    ],
)
def test_schema_errors_name_the_setting_from_the_path(config, line):
    config = {"access_token": TOKEN, **config}
    assert schema_problems(dict(config), CONFIG_SCHEMA, secrets_of(config)) == [line]
    with pytest.raises(ConfigValidationError) as raised:
        TapMetaAds(config=config)
    assert raised.value.errors == [line]


def test_a_schema_error_without_a_setting_is_its_message():
    assert schema_problems({}, {"required": ["x"]}, []) == ["'x' is a required property"]


def test_schema_validation_fills_declared_defaults_in():
    config: dict = {}
    assert schema_problems(config, CONFIG_SCHEMA, []) == []
    assert config["page_size"] == 100


# -- custom reports cannot take a built-in stream's name ----------------------------------------


def test_reserved_names_are_the_streams_of_a_tap_without_reports():
    tap = TapMetaAds(config={"access_token": TOKEN})
    assert set(tap.streams) == FIXED
    assert "adcreatives" in FIXED
    assert "sync_log" in FIXED


@pytest.mark.parametrize("name", RESERVED)
def test_a_report_named_after_any_built_in_stream_is_refused(name):
    reports = [{"name": name, "fields": ["spend"]}]
    assert check_reports(reports, reserved=FIXED) == [
        f"insights_reports[0].name: {name} is already a stream; choose another name"
    ]


@pytest.mark.parametrize("name", ["adcreatives", "sync_log"])
def test_the_tap_refuses_a_report_named_after_a_built_in_stream(name):
    config = {"access_token": TOKEN, "insights_reports": [{"name": name, "fields": ["spend"]}]}
    with pytest.raises(ConfigValidationError) as raised:
        TapMetaAds(config=config)
    assert raised.value.errors == [
        f"insights_reports[0].name: {name} is already a stream; choose another name"
    ]


def test_a_report_with_its_own_name_adds_one_stream_and_replaces_none():
    config = {"access_token": TOKEN, "insights_reports": [{"name": "spend", "fields": ["spend"]}]}
    tap = TapMetaAds(config=config)
    assert set(tap.streams) == {*FIXED, "spend"}
    assert type(tap.streams["adcreatives"]).__name__ == "AdCreativesStream"


def test_two_reports_cannot_share_a_name():
    reports = [{"name": "r", "fields": ["spend"]}, {"name": "r", "fields": ["spend"]}]
    assert check_reports(reports, reserved=()) == [
        "insights_reports[1].name: r is already a stream; choose another name"
    ]


# -- the SDK behaviour the tap's validation relies on -------------------------------------------


def test_the_sdk_still_validates_through_the_private_hook_the_tap_overrides():
    """singer-sdk calls ``_validate_config(raise_errors=...)`` from ``__init__``."""
    hook = inspect.signature(PluginBase._validate_config)
    assert hook.parameters["raise_errors"].kind is inspect.Parameter.KEYWORD_ONLY
    calls = []

    class Probe(TapMetaAds):
        def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
            calls.append(raise_errors)
            return super()._validate_config(raise_errors=raise_errors)

    Probe(config={"access_token": TOKEN})
    Probe(config={}, validate_config=False)
    assert calls == [True, False]
    with pytest.raises(ConfigValidationError):
        Probe(config={})
