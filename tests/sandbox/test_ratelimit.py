"""Business-Use-Case rate limiter: budgets, lock-outs, quota blocks and usage headers."""

from __future__ import annotations

import argparse
import json
import threading

import pytest

from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, APP, CUSTOM_AUDIENCE, Call
from meta_ads_sandbox.ratelimit import RateLimitConfig, RateLimiter
from tests.fakes import FakeClock

ACCOUNT = "1001"


def call(usage_type: str = ADS_MANAGEMENT, account: str | None = ACCOUNT) -> Call:
    if usage_type == APP:
        account = None
    path = f"/v25.0/act_{account}/campaigns" if account else "/v25.0/me"
    return Call("tok", account, usage_type, "GET", path, path)


def limiter(clock: FakeClock, **kwargs: object) -> RateLimiter:
    return RateLimiter(RateLimitConfig(**kwargs), clock=clock)


def headers(rl: RateLimiter, c: Call, jobs: int = 0) -> dict[str, object]:
    return {name: json.loads(value) for name, value in rl.usage_headers(c, jobs).items()}


def buc(rl: RateLimiter, c: Call) -> dict[str, object]:
    value = headers(rl, c)["X-Business-Use-Case-Usage"]
    assert isinstance(value, dict)
    entry: dict[str, object] = value[ACCOUNT][0]
    return entry


def test_defaults_never_throttle():
    clock = FakeClock()
    rl = RateLimiter(RateLimitConfig(), clock=clock)
    for usage_type in (ADS_MANAGEMENT, ADS_INSIGHTS, CUSTOM_AUDIENCE, APP):
        assert all(rl.admit(call(usage_type)) is None for _ in range(500))
    assert rl.stats()["refused"] == 0
    assert buc(rl, call())["call_count"] == 0


@pytest.mark.parametrize(
    ("usage_type", "option", "code", "subcode"),
    [
        (ADS_MANAGEMENT, "management_budget", 80004, 2446079),
        (ADS_INSIGHTS, "insights_budget", 80000, 2446079),
        (CUSTOM_AUDIENCE, "audience_budget", 80003, 2446079),
        (APP, "app_budget", 4, None),
    ],
)
def test_budget_exhaustion_answers_the_types_throttle(usage_type, option, code, subcode):
    clock = FakeClock()
    rl = limiter(clock, **{option: 3})
    assert [rl.admit(call(usage_type)) for _ in range(3)] == [None, None, None]
    error = rl.admit(call(usage_type))
    assert error is not None
    body = error.body("x")["error"]
    assert error.http_status == 400
    assert body["code"] == code
    assert body.get("error_subcode") == subcode
    assert body["type"] == "OAuthException"
    assert body["is_transient"] is True
    assert body["message"].startswith(f"(#{code}) ")
    # Other types and other accounts keep their own budgets.
    other = ADS_INSIGHTS if usage_type != ADS_INSIGHTS else ADS_MANAGEMENT
    assert rl.admit(call(other)) is None
    if usage_type != APP:
        assert rl.admit(call(usage_type, account="2002")) is None


def test_management_message_text():
    rl = limiter(FakeClock(), management_budget=1)
    rl.admit(call())
    error = rl.admit(call())
    assert error is not None
    assert error.message == (
        "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. "
        "For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
    )


def test_sliding_window_recovers():
    clock = FakeClock()
    rl = limiter(clock, management_budget=3, budget_window=100, lockout_seconds=10)
    for _ in range(3):
        assert rl.admit(call()) is None
        clock.advance(10)
    assert rl.admit(call()) is not None  # t=30: window full until the t=0 call leaves at t=100
    clock.advance(69)
    assert rl.admit(call()) is not None  # t=99: still locked, now until t=100.5 (penalty)
    clock.advance(2)
    assert rl.admit(call()) is None  # t=101: the t=0 call has left the window
    assert rl.admit(call()) is not None
    stats = rl.stats()["by_account"][ACCOUNT][ADS_MANAGEMENT]
    assert stats == {"admitted": 4, "refused": 3, "lockouts": 2, "max_usage_pct": 100}


def test_window_slides_one_call_at_a_time():
    clock = FakeClock()
    rl = limiter(
        clock, management_budget=2, budget_window=100, lockout_seconds=0, lockout_penalty=0
    )
    assert rl.admit(call()) is None  # t=0
    clock.advance(50)
    assert rl.admit(call()) is None  # t=50
    assert rl.admit(call()) is not None  # locked until t=100, when the t=0 call leaves
    clock.advance(50)
    assert rl.admit(call()) is None  # t=100
    assert rl.admit(call()) is not None  # the t=50 call is still in the window
    clock.advance(50)
    assert rl.admit(call()) is None


def test_lockout_seconds_outlasts_a_short_window():
    clock = FakeClock()
    rl = limiter(
        clock, management_budget=2, budget_window=10, lockout_seconds=60, lockout_penalty=0
    )
    rl.admit(call())
    rl.admit(call())
    assert rl.admit(call()) is not None
    clock.advance(30)  # window is empty again, but the lock-out still holds
    assert rl.admit(call()) is not None
    clock.advance(30)
    assert rl.admit(call()) is None


def test_refused_calls_do_not_consume_budget():
    clock = FakeClock()
    rl = limiter(
        clock, management_budget=2, budget_window=100, lockout_seconds=1, lockout_penalty=0
    )
    rl.admit(call())
    rl.admit(call())
    for _ in range(50):
        clock.advance(1)
        assert rl.admit(call()) is not None
    clock.now = 1100.0  # the two admitted calls (t=1000) have left the window
    assert rl.admit(call()) is None
    assert rl.admit(call()) is None
    assert rl.admit(call()) is not None


def test_header_shapes_for_an_account_call():
    clock = FakeClock()
    rl = limiter(clock, management_budget=100, budget_window=3600)
    for _ in range(12):
        rl.admit(call())
    clock.advance(100)
    raw = rl.usage_headers(call(), 0)
    assert set(raw) == {"X-Business-Use-Case-Usage", "X-Ad-Account-Usage"}
    assert all(" " not in value for value in raw.values())  # compact JSON, as Meta sends
    usage = json.loads(raw["X-Business-Use-Case-Usage"])
    assert usage == {
        ACCOUNT: [
            {
                "type": "ads_management",
                "call_count": 12,
                "total_cputime": 4,
                "total_time": 5,
                "estimated_time_to_regain_access": 0,
                "ads_api_access_tier": "development_access",
            }
        ]
    }
    assert list(usage[ACCOUNT][0]) == [
        "type",
        "call_count",
        "total_cputime",
        "total_time",
        "estimated_time_to_regain_access",
        "ads_api_access_tier",
    ]
    entry = usage[ACCOUNT][0]
    assert all(type(entry[k]) is int for k in list(entry)[1:5])
    account = json.loads(raw["X-Ad-Account-Usage"])
    assert account == {
        "acc_id_util_pct": 12.0,
        "reset_time_duration": 3500,
        "ads_api_access_tier": "development_access",
    }
    assert type(account["acc_id_util_pct"]) is float
    assert type(account["reset_time_duration"]) is int


def test_ad_account_usage_is_a_two_decimal_float():
    rl = limiter(FakeClock(), management_budget=300, access_tier="standard_access")
    for _ in range(29):
        rl.admit(call())
    account = headers(rl, call())["X-Ad-Account-Usage"]
    assert account == {
        "acc_id_util_pct": 9.67,
        "reset_time_duration": 3600,
        "ads_api_access_tier": "standard_access",
    }


def test_app_usage_header():
    rl = limiter(FakeClock(), app_budget=50)
    for _ in range(14):
        rl.admit(call(APP))
    raw = rl.usage_headers(call(APP), 0)
    assert set(raw) == {"X-App-Usage"}
    assert raw["X-App-Usage"] == '{"call_count":28,"total_time":12,"total_cputime":9}'


def test_unlimited_account_reports_zero_usage():
    rl = limiter(FakeClock())
    rl.admit(call())
    assert headers(rl, call())["X-Ad-Account-Usage"] == {
        "acc_id_util_pct": 0.0,
        "reset_time_duration": 0,
        "ads_api_access_tier": "development_access",
    }


def test_regain_time_while_locked_and_zero_after():
    clock = FakeClock()
    rl = limiter(clock, management_budget=1, budget_window=60, lockout_seconds=120)
    rl.admit(call())
    clock.advance(1)
    assert rl.admit(call()) is not None  # locked until t+121
    entry = buc(rl, call())
    assert entry["estimated_time_to_regain_access"] == 2  # 120 s, in minutes
    assert entry["call_count"] == 100
    assert headers(rl, call())["X-Ad-Account-Usage"]["reset_time_duration"] == 120
    clock.advance(61)  # 59 s left: rounds up to one minute
    assert buc(rl, call())["estimated_time_to_regain_access"] == 1
    clock.advance(59)
    entry = buc(rl, call())
    assert entry["estimated_time_to_regain_access"] == 0
    assert entry["call_count"] == 0
    assert headers(rl, call())["X-Ad-Account-Usage"]["reset_time_duration"] == 0
    assert rl.admit(call()) is None


def test_hammering_extends_the_lock():
    clock = FakeClock()
    rl = limiter(clock, management_budget=1, budget_window=10, lockout_seconds=60)
    rl.admit(call())
    rl.admit(call())  # locked for 60 s
    clock.advance(20)
    assert rl.admit(call()) is not None  # 40 s left, + 0.5 x 40
    assert headers(rl, call())["X-Ad-Account-Usage"]["reset_time_duration"] == 60
    clock.advance(59)
    assert rl.admit(call()) is not None  # a patient client would be through by now
    clock.advance(2)
    assert rl.admit(call()) is None
    assert rl.stats()["lockouts"] == 1


def test_hammering_is_capped():
    clock = FakeClock()
    rl = limiter(clock, management_budget=1, budget_window=100, lockout_seconds=60)
    rl.admit(call())
    for _ in range(200):
        rl.admit(call())
    reset = headers(rl, call())["X-Ad-Account-Usage"]["reset_time_duration"]
    assert reset == 100  # the window length, the longest a bucket lock can last


def test_no_penalty_keeps_the_lock():
    clock = FakeClock()
    rl = limiter(
        clock, management_budget=1, budget_window=10, lockout_seconds=60, lockout_penalty=0
    )
    rl.admit(call())
    rl.admit(call())
    for _ in range(30):
        clock.advance(1)
        rl.admit(call())
    assert buc(rl, call())["estimated_time_to_regain_access"] == 1
    clock.advance(30)
    assert rl.admit(call()) is None


def test_quota_block_every_second_exhaustion():
    clock = FakeClock()
    rl = limiter(
        clock,
        management_budget=1,
        budget_window=10,
        lockout_seconds=10,
        lockout_penalty=0,
        quota_block_every=2,
        quota_block_seconds=600,
    )
    rl.admit(call())
    first = rl.admit(call())
    assert first is not None
    assert first.code == 80004
    clock.advance(10)
    assert rl.admit(call()) is None
    second = rl.admit(call())
    assert second is not None
    body = second.body()["error"]
    assert (body["code"], body["error_subcode"], body["is_transient"]) == (17, 2446079, True)
    assert body["message"] == "User request limit reached"
    assert body["error_user_title"] == "Ad Account Has Too Many API Calls"
    assert second.http_status == 400
    assert buc(rl, call())["estimated_time_to_regain_access"] == 10
    # The block covers every type of the account, not other accounts.
    blocked = rl.admit(call(ADS_INSIGHTS))
    assert blocked is not None
    assert blocked.code == 17
    entry = headers(rl, call(ADS_INSIGHTS))["X-Business-Use-Case-Usage"][ACCOUNT][0]
    assert entry["estimated_time_to_regain_access"] == 10
    assert rl.admit(call(account="2002")) is None
    clock.advance(600)
    assert rl.admit(call()) is None
    stats = rl.stats()
    assert stats["quota_blocks"] == 1
    assert stats["quota_blocks_by_account"] == {ACCOUNT: 1}
    assert stats["lockouts"] == 1


def test_insights_throttle_rises_with_jobs_in_flight():
    rl = limiter(FakeClock(), insights_budget=100)
    for _ in range(10):
        rl.admit(call(ADS_INSIGHTS))
    raw = rl.usage_headers(call(ADS_INSIGHTS), 0)
    assert set(raw) == {
        "X-Business-Use-Case-Usage",
        "X-Ad-Account-Usage",
        "X-FB-Ads-Insights-Throttle",
    }
    idle = json.loads(raw["X-FB-Ads-Insights-Throttle"])
    assert idle == {
        "app_id_util_pct": 10.0,
        "acc_id_util_pct": 10.0,
        "ads_api_access_tier": "development_access",
    }
    assert all(type(idle[k]) is float for k in ("app_id_util_pct", "acc_id_util_pct"))
    busy = headers(rl, call(ADS_INSIGHTS), jobs=3)["X-FB-Ads-Insights-Throttle"]
    assert busy["acc_id_util_pct"] == 34.0
    assert busy["app_id_util_pct"] == 34.0
    full = headers(rl, call(ADS_INSIGHTS), jobs=20)["X-FB-Ads-Insights-Throttle"]
    assert full["acc_id_util_pct"] == 100.0
    assert "X-FB-Ads-Insights-Throttle" not in rl.usage_headers(call(), 3)


def test_app_insights_share_averages_the_accounts():
    rl = limiter(FakeClock(), insights_budget=10)
    for _ in range(8):
        rl.admit(call(ADS_INSIGHTS))
    rl.admit(call(ADS_INSIGHTS, account="2002"))
    throttle = headers(rl, call(ADS_INSIGHTS, account="2002"))["X-FB-Ads-Insights-Throttle"]
    assert throttle["acc_id_util_pct"] == 10.0
    assert throttle["app_id_util_pct"] == 45.0


def test_thread_safety_counts_exactly():
    rl = limiter(FakeClock(), management_budget=500)
    threads = [
        threading.Thread(target=lambda: [rl.admit(call()) for _ in range(100)]) for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = rl.stats()
    assert (stats["admitted"], stats["refused"], stats["lockouts"]) == (500, 1100, 1)
    assert stats["max_usage_pct"] == 100


def test_stats_shape():
    rl = limiter(FakeClock(), app_budget=1)
    rl.admit(call(APP))
    rl.admit(call(APP))
    rl.admit(call(CUSTOM_AUDIENCE))
    assert rl.stats() == {
        "admitted": 2,
        "refused": 1,
        "lockouts": 1,
        "quota_blocks": 0,
        "max_usage_pct": 100,
        "by_account": {
            ACCOUNT: {
                "custom_audience": {"admitted": 1, "refused": 0, "lockouts": 0, "max_usage_pct": 0}
            },
            "app": {"app": {"admitted": 1, "refused": 1, "lockouts": 1, "max_usage_pct": 100}},
        },
        "quota_blocks_by_account": {},
    }


def parse(argv: list[str]) -> RateLimitConfig:
    parser = argparse.ArgumentParser()
    RateLimitConfig.add_arguments(parser)
    return RateLimitConfig.from_args(parser.parse_args(argv))


def test_argparse_defaults_round_trip():
    assert parse([]) == RateLimitConfig()


def test_argparse_round_trip():
    config = parse(
        [
            "--budget-window=120",
            "--management-budget=300",
            "--insights-budget=600",
            "--audience-budget=5000",
            "--app-budget=200",
            "--lockout-seconds=30",
            "--lockout-penalty=1.5",
            "--quota-block-every=3",
            "--quota-block-seconds=900",
            "--access-tier=standard_access",
        ]
    )
    assert config == RateLimitConfig(
        budget_window=120.0,
        management_budget=300,
        insights_budget=600,
        audience_budget=5000,
        app_budget=200,
        lockout_seconds=30.0,
        lockout_penalty=1.5,
        quota_block_every=3,
        quota_block_seconds=900.0,
        access_tier="standard_access",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--management-budget=0"],
        ["--budget-window=0"],
        ["--lockout-penalty=-1"],
        ["--access-tier=advanced"],
        ["--quota-block-every=0"],
    ],
)
def test_argparse_rejects_bad_values(argv, capsys):
    with pytest.raises(SystemExit):
        parse(argv)
    capsys.readouterr()


def test_config_validates():
    with pytest.raises(ValueError):
        RateLimitConfig(insights_budget=0)
    with pytest.raises(ValueError):
        RateLimitConfig(access_tier="advanced_access")
