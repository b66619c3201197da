import json

import pytest

from tap_meta_ads.pacing import Pacer, RateLimitWaitExceededError, Usage, read_usage


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept += seconds
        self.now += seconds


def test_read_usage_takes_the_highest_figure_for_the_account():
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "1001": [
                    {
                        "type": "ads_management",
                        "call_count": 12,
                        "total_cputime": 40,
                        "total_time": 5,
                        "estimated_time_to_regain_access": 0,
                    }
                ],
                "2002": [
                    {
                        "type": "ads_management",
                        "call_count": 99,
                        "total_cputime": 1,
                        "total_time": 1,
                        "estimated_time_to_regain_access": 9,
                    }
                ],
            }
        ),
        "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 9.67, "reset_time_duration": 100}),
    }
    usage = read_usage(headers, "1001")
    assert usage.pct == 40
    assert usage.regain_seconds == 0
    assert usage.reset_seconds == 100


def test_read_usage_regain_is_minutes():
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "1": [
                    {
                        "type": "ads_insights",
                        "call_count": 100,
                        "estimated_time_to_regain_access": 3,
                    }
                ]
            }
        )
    }
    assert read_usage(headers, "1").regain_seconds == 180


def test_read_usage_tolerates_garbage():
    usage = read_usage(
        {
            "X-Business-Use-Case-Usage": "{not json",
            "X-App-Usage": "[]",
            "X-FB-Ads-Insights-Throttle": json.dumps({"app_id_util_pct": "7"}),
        }
    )
    assert usage == Usage(
        pct=0.0, regain_seconds=0.0, reset_seconds=0.0, insights_pct=7.0, reported=False
    )


def test_pacer_spaces_requests_at_the_rate():
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pacer.acquire()
    assert clock.slept == pytest.approx(2.0)  # 5 requests at 2/s: 4 gaps of 0.5 s


def test_aimd_halves_on_throttle_and_recovers_additively():
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    pacer.on_throttle(None)
    assert pacer.rate == 1.0
    pacer.on_throttle(None)
    assert pacer.rate == 0.5
    for _ in range(3):
        pacer.observe(Usage(pct=10))
    assert pacer.rate == pytest.approx(1.1)
    for _ in range(20):
        pacer.observe(Usage(pct=10))
    assert pacer.rate == 2.0


def test_high_usage_slows_down_in_proportion():
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    pacer.observe(Usage(pct=87.5))  # half-way from 75 % to 100 %: half the ceiling
    pacer.acquire()
    pacer.acquire()
    assert clock.slept == pytest.approx(1.0)
    assert pacer.rate == 2.0  # the AIMD rate only halves on throttles


def test_regain_estimate_is_waited_out():
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    pacer.observe(Usage(pct=100, regain_seconds=120))
    pacer.acquire()
    assert clock.slept == pytest.approx(120)
    assert pacer.waited_seconds == pytest.approx(120)


def test_total_wait_is_bounded():
    clock = FakeClock()
    pacer = Pacer(2.0, max_wait_seconds=100, clock=clock, sleep=clock.sleep)
    with pytest.raises(RateLimitWaitExceededError, match="max_rate_limit_wait_seconds"):
        pacer.on_throttle(3600)
