"""The pacer under a tight Business-Use-Case budget, asserted rather than printed.

``benchmarks/rate_limits.py`` runs a whole sync against the sandbox and prints the lock-outs and
the calls per second each account reached against its budget. Here the same two parts meet
without HTTP or wall time: a ``Pacer`` and the sandbox's own limiter
(``meta_ads_sandbox.ratelimit.RateLimiter``) share one fake clock, every call the pacer lets
through is charged by the limiter and answered with the limiter's usage headers, as Meta
would. A few hundred calls take milliseconds.

What must hold: no call is ever refused (no throttle, no lock-out), and the calls per second
stay within a stated fraction of what the budget allows (``budget / window``). The floors are
below what the algorithm reaches today (0.93-0.99 for single calls, 0.90 for 9-item batches),
with margin, so they catch a pacer that idles, not noise.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from meta_ads_sandbox.calls import Call
from meta_ads_sandbox.ratelimit import RateLimitConfig, RateLimiter
from tap_meta_ads.graph.pacing import Pacer
from tap_meta_ads.graph.usage import ADS_INSIGHTS, ADS_MANAGEMENT, read_usage
from tests.fakes import FakeClock

ACCOUNT = "1001"
#: Share of ``budget / window`` single calls must reach (measured: 0.93 to 0.99).
SINGLE_CALL_FLOOR = 0.90
#: The same for 9-item batches, which need 9 free calls at once (measured: 0.90; at most
#: 36 of the 39 calls the pacer allows itself per window fit in 9-item batches).
BATCH_FLOOR = 0.85


class Meta:
    """The sandbox's limiter on a fake clock, answering the pacer's calls."""

    def __init__(self, clock: FakeClock, budget: int, window: float, latency: float) -> None:
        self.clock = clock
        self.budget = budget
        self.window = window
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
        self.refused = 0
        self.charged: dict[str, list[float]] = defaultdict(list)  # usage type -> times

    def send(self, pacer: Pacer, usage_type: str, calls: int = 1) -> None:
        """One request through the pacer, as GraphClient sends it: ``calls`` > 1 is a batch,
        whose items Meta charges one after the other and answers with their own headers."""
        pacer.acquire(usage_type, calls)
        self.clock.advance(self.latency)
        headers = []
        for _ in range(calls):
            call = Call("token", ACCOUNT, usage_type, "GET", "/x", "/x")
            if self.limiter.admit(call) is not None:
                self.refused += 1
            self.charged[usage_type].append(self.clock.now)
            headers.append(self.limiter.usage_headers(call, 0))
        if calls == 1:
            pacer.observe(read_usage(headers[0], ACCOUNT), usage_type, 1)
            return
        pacer.observe(read_usage({}, ACCOUNT), usage_type, calls)  # the batch has none
        for index, item in enumerate(headers):
            pacer.observe(read_usage(item, ACCOUNT), usage_type, later=calls - 1 - index)

    def share_of_budget(self, usage_type: str) -> float:
        """Calls per second of ``usage_type``, first to last, over ``budget / window``."""
        times = self.charged[usage_type]
        rate = (len(times) - 1) / (times[-1] - times[0])
        return rate / (self.budget / self.window)

    def assert_never_throttled(self, pacer: Pacer) -> None:
        stats = self.limiter.stats()
        assert self.refused == 0
        assert stats["refused"] == 0
        assert stats["lockouts"] == 0
        assert stats["quota_blocks"] == 0
        assert pacer.throttles == 0
        assert pacer.waited_seconds == 0.0  # paced within the budget, never waited out a limit


@pytest.mark.parametrize(
    ("budget", "window", "ceiling", "latency"),
    [
        pytest.param(40, 20.0, 10.0, 0.02, id="40-per-20s"),
        pytest.param(40, 20.0, 10.0, 0.5, id="40-per-20s-slow-answers"),
        pytest.param(40, 20.0, 2.5, 0.02, id="40-per-20s-ceiling-near-the-budget"),
        pytest.param(25, 10.0, 10.0, 0.02, id="25-per-10s"),
        pytest.param(200, 60.0, 10.0, 0.02, id="200-per-60s"),
    ],
)
def test_single_calls_never_throttle_and_use_the_budget(budget, window, ceiling, latency):
    clock = FakeClock()
    meta = Meta(clock, budget, window, latency)
    pacer = Pacer(ceiling, clock=clock, sleep=clock.sleep)

    for _ in range(400):
        meta.send(pacer, ADS_MANAGEMENT)

    meta.assert_never_throttled(pacer)
    assert meta.share_of_budget(ADS_MANAGEMENT) >= SINGLE_CALL_FLOOR
    learnt = pacer.budget(ADS_MANAGEMENT)
    assert learnt is not None
    calls, seconds = learnt
    assert budget * 0.95 <= calls <= budget  # a lower bound, within 5 %
    assert window <= seconds <= window + 1.0  # an upper bound, within a second


def test_two_usage_types_each_use_their_own_budget():
    """Object reads and insights calls of one account, interleaved: each type has a budget of
    its own, so together they run at twice one budget's rate."""
    clock = FakeClock()
    meta = Meta(clock, budget=40, window=20.0, latency=0.02)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)

    for _ in range(200):
        meta.send(pacer, ADS_MANAGEMENT)
        meta.send(pacer, ADS_INSIGHTS)

    meta.assert_never_throttled(pacer)
    assert meta.share_of_budget(ADS_MANAGEMENT) >= SINGLE_CALL_FLOOR
    assert meta.share_of_budget(ADS_INSIGHTS) >= SINGLE_CALL_FLOOR


def test_batched_polls_never_throttle_and_use_the_budget():
    """The insights engine polls its report runs in batches, charged per item. Headers alone
    cannot pace those (a 9-item batch sent at 80 % overruns the budget); the learnt budget
    does."""
    clock = FakeClock()
    meta = Meta(clock, budget=40, window=20.0, latency=0.02)
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)

    for _ in range(12):  # report runs started one by one: the budget is learnt from these
        meta.send(pacer, ADS_INSIGHTS)
    for _ in range(40):  # then 40 polls of 9 report runs: 372 calls in all
        meta.send(pacer, ADS_INSIGHTS, calls=9)

    meta.assert_never_throttled(pacer)
    assert len(meta.charged[ADS_INSIGHTS]) == 372
    assert meta.share_of_budget(ADS_INSIGHTS) >= BATCH_FLOOR
