"""Settings.from_config: typed values, defaults from the schema, tokens, and no secret in repr."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tap_meta_ads.settings.checks import SettingError
from tap_meta_ads.settings.model import AccountSetting, Settings
from tap_meta_ads.settings.schema import CONFIG_SCHEMA, DEFAULTS

TOKEN = "EAABdefaultTOKEN0123456789"
OWN = "EAABaccountTOKEN0123456789"
APP_SECRET = "app-secret-value-0123"


def test_every_setting_with_a_schema_default_is_carried_with_it():
    settings = Settings.from_config({})
    declared = {n: p["default"] for n, p in CONFIG_SCHEMA["properties"].items() if "default" in p}
    assert declared
    for name, default in declared.items():
        value = getattr(settings, name)
        expected = tuple(default) if isinstance(default, list) else default
        assert value == expected, name
        assert type(value) is type(expected), name


def test_settings_has_one_attribute_per_setting():
    fields = {f.name for f in dataclasses.fields(Settings)}
    # account_ids and accounts are one list of accounts
    assert fields == set(CONFIG_SCHEMA["properties"]) - {"account_ids"}


def test_null_or_empty_takes_the_default():
    settings = Settings.from_config(
        {"page_size": None, "action_attribution_windows": [], "conversion_action_types": None}
    )
    assert settings.page_size == DEFAULTS["page_size"]
    assert settings.action_attribution_windows == tuple(DEFAULTS["action_attribution_windows"])
    assert settings.conversion_action_types == tuple(DEFAULTS["conversion_action_types"])


def test_values_are_typed():
    settings = Settings.from_config(
        {
            "access_token": TOKEN,
            "api_url": "http://127.0.0.1:8080/",
            "api_version": "v24.0",
            "start_date": "2026-01-01T00:00:00Z",
            "end_date": "2026-02-01",
            "page_size": "250",  # env vars arrive as strings
            "requests_per_second": "2.5",
            "max_retries": 3,
            "job_poll_seconds": 1,
            "include_deleted": False,
            "action_attribution_windows": ["1d_click"],
            "insights_reports": [{"name": "r", "fields": ["spend"]}],
        }
    )
    assert settings.api_url == "http://127.0.0.1:8080"
    assert settings.api_version == "v24.0"
    assert settings.start_date == dt.date(2026, 1, 1)
    assert settings.end_date == dt.date(2026, 2, 1)
    assert settings.page_size == 250
    assert settings.requests_per_second == 2.5
    assert settings.max_retries == 3
    assert isinstance(settings.job_poll_seconds, float)
    assert settings.include_deleted is False
    assert settings.action_attribution_windows == ("1d_click",)
    assert settings.insights_reports[0]["name"] == "r"
    with pytest.raises(TypeError):
        settings.insights_reports[0]["name"] = "other"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.page_size = 1  # type: ignore[misc]


def test_unset_dates_and_secrets_are_none():
    settings = Settings.from_config({"access_token": ""})
    assert settings.access_token is None
    assert settings.app_secret is None
    assert settings.start_date is None
    assert settings.end_date is None
    assert settings.accounts == ()


def test_a_wrong_value_names_the_setting():
    with pytest.raises(SettingError, match=r"^page_size: 'ten' is not an integer$"):
        Settings.from_config({"page_size": "ten"})
    with pytest.raises(SettingError, match=r"^start_date: 'soon' is not a date"):
        Settings.from_config({"start_date": "soon"})


def _settings() -> Settings:
    return Settings.from_config(
        {
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
            "accounts": [
                {"account_id": "act_1", "access_token": OWN, "label": "Acme"},
                {"account_id": "2"},
                {"account_id": "3", "access_token": TOKEN},
            ],
            "account_ids": ["act_2", "4", "1"],
        }
    )


def test_accounts_are_deduplicated_in_order():
    settings = _settings()
    assert [a.account_id for a in settings.accounts] == ["1", "2", "3", "4"]
    assert settings.account("1") == AccountSetting("1", OWN, "Acme")
    assert settings.account("act_1") is None  # ids are the numbers
    assert settings.account("9") is None


def test_tokens_are_distinct_default_first():
    assert _settings().tokens() == (TOKEN, OWN)
    own_only = Settings.from_config({"accounts": [{"account_id": "1", "access_token": OWN}]})
    assert own_only.tokens() == (OWN,)
    assert Settings.from_config({}).tokens() == ()


def test_token_for_an_account():
    settings = _settings()
    assert settings.token_for("1") == OWN
    assert settings.token_for("2") == TOKEN  # no token of its own
    assert settings.token_for("9") == TOKEN  # not configured
    assert settings.token_for(None) == TOKEN
    assert Settings.from_config({}).token_for("1") == ""


def test_repr_shows_no_secret():
    text = repr(_settings())
    assert "page_size=100" in text
    for secret in (TOKEN, OWN, APP_SECRET):
        assert secret not in text
    assert str(_settings()) == text
