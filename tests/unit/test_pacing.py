import json
import logging

import pytest

from meta_ads_sandbox.calls import Call
from meta_ads_sandbox.ratelimit import RateLimitConfig, RateLimiter
from tap_meta_ads.graph.pacing import Pacer, RateLimitWaitExceededError
from tap_meta_ads.graph.usage import ADS_INSIGHTS, ADS_MANAGEMENT, TypeUsage, Usage, read_usage
from tests.fakes import FakeClock


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


# -- usage types and the learnt budget, against the sandbox's own rate limiter ------------------

ACCOUNT = "1001"


class Meta:
    """The sandbox's Business-Use-Case limiter on a fake clock, answering the pacer's calls."""

    def __init__(self, clock, budget=40, window=20.0, latency=0.02):
        self.clock = clock
        self.latency = latency
        self.limiter = RateLimiter(
            RateLimitConfig(
                budget_window=window,
                management_budget=budget,
                insights_budget=budget,
                lockout_seconds=30.0,
            ),
            clock=clock,
        )

    def call(self, pacer, usage_type=ADS_MANAGEMENT, calls=1):
        """One request through the pacer: ``calls`` > 1 is a batch, charged per item."""
        pacer.acquire(usage_type, calls)
        self.clock.now += self.latency
        answers = []
        for _ in range(calls):
            call = Call("token", ACCOUNT, usage_type, "GET", "/x", "/x")
            refused = self.limiter.admit(call)
            answers.append((refused, self.limiter.usage_headers(call, 0)))
        if calls == 1:
            pacer.observe(read_usage(answers[0][1], ACCOUNT), usage_type, 1)
        else:  # the batch answer has no usage headers; its items do
            pacer.observe(read_usage({}, ACCOUNT), usage_type, calls)
            for index, (_, headers) in enumerate(answers):
                pacer.observe(read_usage(headers, ACCOUNT), usage_type, later=calls - 1 - index)
        return [refused for refused, _ in answers]


def test_read_usage_keeps_each_usage_type():
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "1": [
                    {"type": "ads_management", "call_count": 30, "total_time": 80},
                    {"type": "ads_insights", "call_count": 5, "estimated_time_to_regain_access": 2},
                ]
            }
        )
    }
    usage = read_usage(headers, "1")
    assert usage.pct == 80
    assert usage.types == (
        TypeUsage("ads_management", 80.0, 0.0),
        TypeUsage("ads_insights", 5.0, 120.0),
    )
    assert read_usage({}, "1").reported is False


def test_a_full_insights_budget_does_not_hold_back_object_reads():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    pacer.observe(Usage(types=(TypeUsage(ADS_INSIGHTS, 100.0, 600.0),)))
    pacer.acquire(ADS_MANAGEMENT)
    assert clock.slept == 0
    pacer.acquire(ADS_INSIGHTS)
    assert clock.slept == pytest.approx(600)


def test_the_budget_is_learnt_and_never_exceeded():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    refused = [r for _ in range(200) for r in meta.call(pacer)]
    assert refused.count(None) == 200  # not one call throttled
    budget, window = pacer.budget(ADS_MANAGEMENT) or (0, 0.0)
    assert budget == 40  # call_count 2, 5, 7... per call: 40 calls per window
    assert 20.0 <= window <= 21.5  # reset_time_duration is whole seconds, rounded up
    stats = meta.limiter.stats()
    assert stats["lockouts"] == 0
    assert stats["max_usage_pct"] >= 95  # the budget is used, not left idle


def test_a_batch_counts_one_call_per_item():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    answers = []
    for _ in range(12):
        answers += meta.call(pacer, ADS_INSIGHTS)  # learn the budget from single calls
    for _ in range(10):
        answers += meta.call(pacer, ADS_INSIGHTS, calls=9)  # 9-item polls: 102 calls in all
    assert answers.count(None) == len(answers) == 102
    assert meta.limiter.stats()["lockouts"] == 0
    assert pacer.budget(ADS_INSIGHTS) is not None


def test_batch_items_teach_the_budget_in_the_order_they_were_charged():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    meta.call(pacer, ADS_INSIGHTS)  # alone in an empty window: learning starts
    meta.call(pacer, ADS_INSIGHTS, calls=10)
    assert pacer.budget(ADS_INSIGHTS) == (40, pytest.approx(20.0, abs=1.0))


def test_no_learning_when_the_window_was_not_empty():
    clock = FakeClock()
    meta = Meta(clock)
    other = Pacer(10.0, clock=clock, sleep=clock.sleep)  # another client, same budget
    for _ in range(20):
        meta.call(other)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        meta.call(pacer)
    assert pacer.budget(ADS_MANAGEMENT) is None  # first answer said 52 %: not its own calls


def test_another_client_on_the_budget_makes_the_estimate_go():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(12):
        meta.call(pacer)
    assert pacer.budget(ADS_MANAGEMENT) is not None
    other = Pacer(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        meta.call(other)
    meta.call(pacer)  # Meta counts 10 calls more than the pacer sent
    assert pacer.budget(ADS_MANAGEMENT) is None


def test_a_throttle_halves_the_rate_and_drops_the_estimate():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(12):
        meta.call(pacer)
    assert pacer.budget(ADS_MANAGEMENT) is not None
    pacer.on_throttle(None, ADS_MANAGEMENT)
    assert pacer.rate == 5.0
    assert pacer.budget(ADS_MANAGEMENT) is None


def test_a_request_that_failed_on_the_way_is_released():
    clock = FakeClock()
    meta = Meta(clock)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    pacer.acquire(ADS_MANAGEMENT)
    pacer.release(ADS_MANAGEMENT)  # e.g. a timeout: no answer, nothing in flight
    meta.call(pacer)
    for _ in range(10):
        meta.call(pacer)
    assert pacer.budget(ADS_MANAGEMENT) is not None  # learning needs nothing in flight


def test_a_regain_estimate_past_the_wait_budget_fails_the_next_call_without_waiting():
    clock = FakeClock()
    pacer = Pacer(2.0, max_wait_seconds=100, clock=clock, sleep=clock.sleep)
    pacer.observe(Usage(pct=100, regain_seconds=3600))  # never raises: it marks the pacer
    assert pacer.exhausted
    with pytest.raises(RateLimitWaitExceededError):
        pacer.acquire()  # the next call fails the account at once
    assert clock.slept == 0


def test_slow_downs_at_high_usage_count_within_the_wait_budget():
    clock = FakeClock()
    pacer = Pacer(2.0, max_wait_seconds=60, clock=clock, sleep=clock.sleep)
    pacer.observe(Usage(pct=99.9))  # no reset time: slowed, not paused (MIN_RATE: 20 s apart)

    def call() -> None:
        pacer.acquire()
        pacer.observe(Usage(pct=99.9))

    for _ in range(5):
        call()
    with pytest.raises(RateLimitWaitExceededError):
        call()
    # the slowed spacing beyond the account's own rate was counted, up to the budget
    assert pacer.waited_seconds == pytest.approx(60)
    assert clock.slept <= 60 + 20 + 1
    assert pacer.requests < 10


def test_a_long_rate_limit_wait_says_so_every_30_seconds(caplog):
    clock = FakeClock()
    logger = logging.getLogger("tests.pacing.progress")
    pacer = Pacer(
        2.0,
        max_wait_seconds=300,
        clock=clock,
        sleep=clock.sleep,
        name="account act_1",
        logger=logger,
    )
    pacer.on_throttle(100)  # Meta says: come back in 100 s
    with caplog.at_level(logging.INFO, logger=logger.name):
        pacer.acquire()
    lines = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert clock.slept == pytest.approx(100)
    assert len(lines) == 3  # at 30, 60 and 90 s: a long wait never looks like a hang
    assert lines[0].startswith(
        "account act_1: waiting on Meta's rate limit, 30 s so far of 300 s budget"
    )
    assert "90 s so far" in lines[2]


def test_short_waits_print_nothing(caplog):
    clock = FakeClock()
    logger = logging.getLogger("tests.pacing.quiet")
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep, name="account 1", logger=logger)
    pacer.on_throttle(20)
    with caplog.at_level(logging.INFO, logger=logger.name):
        pacer.acquire()
        pacer.acquire()
    assert [r for r in caplog.records if r.name == logger.name] == []
