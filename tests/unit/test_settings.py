import pytest

from tap_meta_ads.settings import (
    SettingError,
    check_settings,
    configured_accounts,
    normalise_account_id,
    redact,
)


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
    return check_settings({"access_token": "secret-token-value", **config})


def test_good_config_has_no_problems():
    assert _problems(account_ids=["act_1"], start_date="2026-01-01") == []


@pytest.mark.parametrize(
    ("config", "starts"),
    [
        ({"api_version": "25"}, "api_version:"),
        ({"api_version": "v19.0"}, "api_version: v19.0 is retired"),
        ({"api_url": "graph.facebook.com"}, "api_url:"),
        ({"api_url": "https://graph.facebook.com/v25.0"}, "api_url:"),
        ({"page_size": 0}, "page_size:"),
        ({"page_size": 10000}, "page_size:"),
        ({"requests_per_second": 0}, "requests_per_second:"),
        ({"max_retries": 0}, "max_retries:"),
        ({"start_date": "2999-01-01"}, "start_date:"),
        ({"start_date": "yesterday"}, "start_date:"),
        ({"accounts": ["act_1"]}, "accounts[0]:"),
    ],
)
def test_each_problem_is_one_line_naming_the_setting(config, starts):
    problems = _problems(**config)
    assert len(problems) == 1
    assert problems[0].startswith(starts)
    assert "\n" not in problems[0]
    assert "secret-token-value" not in problems[0]


def test_missing_token():
    assert check_settings({"account_ids": ["1"]})[0].startswith("access_token: missing")
    # every account carrying its own token is enough
    assert check_settings({"accounts": [{"account_id": "1", "access_token": "x"}]}) == []


def test_redact_masks_values_and_query_tokens():
    text = "GET /me?access_token=EAAB123&fields=id token=tok-1 again tok-1"
    assert redact(text, ["tok-1"]) == "GET /me?access_token=***&fields=id token=*** again ***"
