"""Request pacing per ad account and token: AIMD on throttles, budgets learnt from usage headers.

Meta charges every call to a Business-Use-Case budget per ad account and usage type
(ads_management, ads_insights, custom_audience...) and reports how much of it is used on each
response (``X-Business-Use-Case-Usage``, ``X-Ad-Account-Usage``, ``X-App-Usage``,
``X-FB-Ads-Insights-Throttle``; Graph API "Rate Limiting" page). The pacer

- spaces requests at a rate that grows additively on success up to ``requests_per_second``
  and halves on a throttle (AIMD), for the whole account;
- keeps one bucket per usage type, so a full insights budget never holds back object reads;
- learns each bucket's budget from a call answered alone in a (nearly) empty window, while
  that call is still in it: ``call_count`` against the calls sent since gives the calls per
  window (Meta rounds it down, so a lower bound), and ``reset_time_duration`` the moment
  that first call leaves, hence the window's length. From then on it mirrors the window with
  its own calls (a batch counts one per item) and sends a call only when it stays one call
  under the budget, at the moment the oldest leaves. Answers no budget fits, a response
  saying more than the mirror predicts (another client on the same budget) or a throttle
  make it forget the estimate, and learn again from the next empty window;
- without an estimate, slows a bucket in proportion above a high-water mark of usage and
  waits for ``reset_time_duration`` near the limit;
- waits as long as Meta says when it gives ``estimated_time_to_regain_access`` (minutes);
- shares one AppGate among every pacer of the process: the app's budget (``X-App-Usage``,
  error code 4 "Application request limit reached") is the app's, not an account's, so a
  code 4 throttle holds every account, and a high app usage spaces all of the process's calls.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from tap_meta_ads.graph.usage import TypeUsage, Usage

HIGH_WATER_PCT = 75.0
NEAR_LIMIT_PCT = 95.0
MIN_RATE = 0.05
#: Learning: a budget is estimated once usage reaches this share (the bounds are tight
#: enough then: within 5 %), and refined while the window still holds the first call.
LEARN_FROM_PCT = 20.0
#: Learning starts from a call answered alone in a window that says at most this (so the
#: budget is at least 20 calls; below that the headers alone pace).
EMPTY_START_PCT = 5.0
#: Calls kept in reserve under the estimated budget, and seconds added to the window.
SPARE_CALLS = 1
WINDOW_PAD = 0.5
#: Recent calls remembered per usage type (the mirror needs one window's worth).
MIRROR_LENGTH = 100_000
NO_BUDGET_ABOVE = 10**12
#: Graph error code 4: the app's own request limit (every account of the app is held).
APP_THROTTLE_CODE = 4
#: X-App-Usage gives no reset time (Meta's app window rolls over an hour): near the limit
#: the whole process holds this long, then probes again.
APP_HOLD_SECONDS = 60.0


class AppGate:
    """The app-wide budget, shared by every pacer of the process (one per PacerRegistry)."""

    def __init__(self, max_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_rate = max_rate  # the process's calls per second when app usage is high
        self.pct = 0.0
        self.held_until = 0.0
        self.holds = 0
        self._next_at = 0.0
        self._clock = clock
        self._lock = threading.Lock()

    def admit(self, start: float) -> float:
        """The earliest moment at or after ``start`` a call may leave, and book it."""
        with self._lock:
            at = max(start, self.held_until)
            if self.pct >= HIGH_WATER_PCT:
                share = max(0.0, (100.0 - self.pct) / (100.0 - HIGH_WATER_PCT))
                at = max(at, self._next_at)
                self._next_at = at + 1.0 / max(MIN_RATE, self.max_rate * share)
            return at

    def hold(self, seconds: float) -> None:
        """Hold every account of the app for ``seconds`` (a code 4 throttle)."""
        with self._lock:
            self.holds += 1
            self.held_until = max(self.held_until, self._clock() + seconds)

    def observe(self, pct: float) -> None:
        """The app's usage as a response reports it (``X-App-Usage``)."""
        with self._lock:
            self.pct = pct
        if pct >= NEAR_LIMIT_PCT:
            self.hold(APP_HOLD_SECONDS)


class RateLimitWaitExceededError(Exception):
    """Waiting on throttles would exceed the configured total wait."""


class _Bucket:
    """One usage type of the account as the pacer sees it: its calls, usage and budget."""

    def __init__(self) -> None:
        # (send time, calls) of our recent calls, oldest first; bounded, the mirror needs
        # one window's worth
        self.sent: deque[tuple[float, int]] = deque(maxlen=MIRROR_LENGTH)
        self.sent_total = 0  # calls sent so far (batch items count one each)
        self.in_flight = 0  # calls sent and not answered yet
        self.pct = 0.0
        self.paused_until = 0.0  # Meta's regain estimate, or a reset wait near the limit
        self.next_at = 0.0  # spacing while slowed above the high-water mark
        self.cap = math.inf  # that slower rate, calls per second
        # Learning starts from a call answered alone in a (nearly) empty window, and lasts
        # while that call is still in it: then the window's length and budget follow.
        self.first_sent: float | None = None  # when that call was sent
        self.leaves_at: float | None = None  # when it leaves the window (upper bound)
        self.learn_base = 0  # calls sent before it
        self.low, self.high = 1, NO_BUDGET_ABOVE  # what the answers so far allow the budget
        self.budget: int | None = None  # calls per window (a lower bound)
        self.window: float | None = None  # seconds (an upper bound)

    @property
    def estimated(self) -> bool:
        return self.budget is not None and self.window is not None

    def record(self, at: float, calls: int) -> None:
        self.sent_total += calls
        self.in_flight += calls
        if self.window is not None:  # two windows back is more than any question asks
            horizon = at - 2.0 * (self.window + WINDOW_PAD)
            while self.sent and self.sent[0][0] <= horizon:
                self.sent.popleft()
        self.sent.append((at, calls))

    def forget(self) -> None:
        """Drop the estimate (it disagreed with Meta); pacing falls back on the headers."""
        self.budget = self.window = None
        self.leaves_at = None

    def in_window(self, at: float) -> int:
        """Our calls Meta still counts at ``at``, by the estimated window."""
        assert self.window is not None
        horizon = at - self.window - WINDOW_PAD
        return sum(calls for sent_at, calls in self.sent if sent_at > horizon)

    def free_at(self, start: float, calls: int) -> float:
        """The earliest moment >= ``start`` at which ``calls`` more stay under the budget."""
        assert self.budget is not None
        assert self.window is not None
        allowed = self.budget - SPARE_CALLS
        used = self.in_window(start)
        horizon = start - self.window - WINDOW_PAD
        moment = start
        for sent_at, count in self.sent:  # oldest first: wait for the oldest to leave
            if used + calls <= allowed:
                break
            if sent_at <= horizon:
                continue
            used -= count
            moment = max(moment, sent_at + self.window + WINDOW_PAD)
        return moment

    def learn(self, pct: float, reset: float, now: float, later: int = 0) -> None:
        """Bound the budget and window from the answer to one of our calls.

        ``later`` is how many calls of the same request were answered after it (the rest of
        a batch, whose items Meta charges one after the other).
        """
        if reset <= 0 or not self.sent:
            return
        if self.leaves_at is not None and now >= self.leaves_at - 1.0:
            self.leaves_at = None  # the first call may have left: start again when we can
        if self.leaves_at is None:
            if self.estimated:
                return  # learnt already: the mirror paces, the headers check it
            last_sent, last_calls = self.sent[-1]
            if self.in_flight or last_calls != 1 or pct > EMPTY_START_PCT:
                return  # not alone in an empty window: nothing to learn from yet
            self.first_sent = last_sent
            self.learn_base = self.sent_total - 1
            self.leaves_at = now + reset
            self.low, self.high = 1, NO_BUDGET_ABOVE
        assert self.first_sent is not None
        # reset_time_duration is whole seconds rounded up: the first call leaves at most
        # a second before now + reset.
        self.leaves_at = min(self.leaves_at, now + reset)
        answered = self.sent_total - self.in_flight - self.learn_base - later
        if pct < LEARN_FROM_PCT or answered < 1:
            return
        # Meta rounds call_count down: 100 n / (pct + 1) < budget <= 100 n / pct.
        self.low = max(self.low, math.floor(100.0 * answered / (pct + 1.0)) + 1)
        self.high = min(self.high, math.floor(100.0 * answered / pct))
        if self.low > self.high:  # no budget fits: someone else spends it too
            self.forget()
            return
        self.budget = self.low
        self.window = self.leaves_at - self.first_sent


class Pacer:
    """Spaces one account's requests; thread-safe so concurrent workers can share it."""

    def __init__(
        self,
        max_rate: float,
        *,
        max_wait_seconds: float = 3900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        app: AppGate | None = None,
    ) -> None:
        self.max_rate = max_rate
        self.app = app or AppGate(max_rate, clock)
        self.rate = max_rate
        self.max_wait_seconds = max_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._buckets: dict[str, _Bucket] = {}
        self.waited_seconds = 0.0  # time spent waiting beyond normal spacing (rate limits)
        self.throttles = 0
        self.requests = 0
        self.insights_pct: float | None = None
        self.reach_pct: float | None = None  # x-fb-ads-insights-reach-throttle

    def _bucket(self, usage_type: str | None) -> _Bucket:
        return self._buckets.setdefault(usage_type or "", _Bucket())

    def budget(self, usage_type: str) -> tuple[int, float] | None:
        """The learnt (calls, seconds) budget of a usage type, if any."""
        with self._lock:
            bucket = self._buckets.get(usage_type)
            if bucket is None or bucket.budget is None or bucket.window is None:
                return None
            return bucket.budget, bucket.window

    def acquire(self, usage_type: str | None = None, calls: int = 1) -> None:
        """Block until this account may send its next request.

        ``usage_type`` is the Business-Use-Case type the request is charged to, when the
        caller knows it, and ``calls`` what it costs (a batch: one per item).
        """
        calls = max(1, calls)
        with self._lock:
            now = self._clock()
            bucket = self._bucket(usage_type)
            start = max(now, self._next_at, bucket.paused_until, bucket.next_at)
            if bucket.estimated:
                start = bucket.free_at(start, calls)
            held = self.app.admit(start)  # the app's budget: shared by every account
            # Like the headers' pauses, the app's hold is cut to the wait the account has left.
            extra = max(0.0, held - start)  # start >= now already
            extra = min(extra, max(0.0, self.max_wait_seconds - self.waited_seconds))
            self.waited_seconds += extra
            start += extra
            self._next_at = start + 1.0 / self.rate
            if bucket.cap < math.inf:
                bucket.next_at = start + 1.0 / bucket.cap
            bucket.record(start, calls)
            self.requests += 1
        wait = start - now
        if wait > 0:
            self._sleep(wait)

    def release(self, usage_type: str | None = None, calls: int = 1) -> None:
        """A request acquired for ``usage_type`` got no answer (it failed on the way)."""
        with self._lock:
            bucket = self._bucket(usage_type)
            bucket.in_flight = max(0, bucket.in_flight - max(1, calls))

    def observe(
        self,
        usage: Usage,
        usage_type: str | None = None,
        calls: int = 0,
        *,
        later: int | None = None,
    ) -> None:
        """Adapt to a response's usage headers (errors and batch items included).

        ``calls`` is what the answered request cost (0 for a batch item, whose request was
        answered already); for a batch item, ``later`` is how many items follow it. Never
        raises: a wait beyond max_rate_limit_wait_seconds is cut to what is left, and the
        throttle that follows fails the account with Meta's error.
        """
        with self._lock:
            now = self._clock()
            if calls:
                own = self._bucket(usage_type)
                own.in_flight = max(0, own.in_flight - calls)
            if usage.insights_pct is not None:
                self.insights_pct = usage.insights_pct
            if usage.reach_pct is not None:
                self.reach_pct = usage.reach_pct
            if usage.app_pct is not None:
                self.app.observe(usage.app_pct)
            if usage.reported:
                # Which of our calls it answers: the request's own, or a batch item.
                answers = later if later is not None else (0 if calls > 0 else None)
                self._observe_buckets(usage, usage_type, now, answers)
            if usage.pct < HIGH_WATER_PCT:
                self.rate = min(self.max_rate, self.rate + self.max_rate / 10.0)

    def _observe_buckets(
        self, usage: Usage, usage_type: str | None, now: float, later: int | None
    ) -> None:
        entries = {entry.usage_type: entry for entry in usage.types}
        if not entries:  # no Business-Use-Case header: the account figures are the call's own
            entries = {usage_type or "": TypeUsage(usage_type or "", usage.pct, 0.0)}
        # reset_time_duration describes the bucket the call was charged to: the one entry,
        # or the caller's type when the header lists several.
        own = next(iter(entries)) if len(entries) == 1 else usage_type
        if usage.regain_seconds > 0 and not any(e.regain_seconds for e in entries.values()):
            self._pause_locked(usage.regain_seconds, self._bucket(own), now)
        for kind, entry in entries.items():
            bucket = self._bucket(kind)
            reset = usage.reset_seconds if kind == own else 0.0
            bucket.pct = entry.pct
            if entry.regain_seconds > 0:
                self._pause_locked(entry.regain_seconds, bucket, now)
            if kind == own and later is not None:
                bucket.learn(entry.pct, reset, now, later)
            if bucket.estimated and bucket.budget is not None:
                # Meta counts more than the mirror: someone else spends this budget too.
                predicted = 100.0 * bucket.in_window(now) / bucket.budget
                if entry.pct > predicted + 100.0 / bucket.budget + 1.0:
                    bucket.forget()
            if bucket.estimated:
                bucket.cap = math.inf
                continue
            if entry.pct >= NEAR_LIMIT_PCT and reset > 0:
                self._pause_locked(min(reset, 300.0), bucket, now)
            if entry.pct >= HIGH_WATER_PCT:
                share = (100.0 - entry.pct) / (100.0 - HIGH_WATER_PCT)
                bucket.cap = max(MIN_RATE, self.max_rate * max(share, 0.0))
            else:
                bucket.cap = math.inf

    def on_throttle(
        self, wait_seconds: float | None, usage_type: str | None = None, code: int | None = None
    ) -> None:
        """Multiplicative decrease, then pause for Meta's estimate (or the current spacing).

        The throttled type's budget estimate is dropped: it was wrong, or the budget changed.
        A code 4 throttle (the app's limit) holds every account of the process as long.
        """
        if code == APP_THROTTLE_CODE:
            self.app.hold(wait_seconds or APP_HOLD_SECONDS)
        with self._lock:
            self.throttles += 1
            self.rate = max(MIN_RATE, self.rate / 2.0)
            bucket = self._bucket(usage_type)
            bucket.forget()
            # The throttled answer's headers may already have paused the bucket for the same
            # regain estimate: that part of the wait is counted once, not twice.
            self._pause_locked(
                wait_seconds if wait_seconds else 2.0 / self.rate, held=bucket.paused_until
            )

    def _pause_locked(
        self,
        seconds: float,
        bucket: _Bucket | None = None,
        now: float | None = None,
        held: float = 0.0,
    ) -> None:
        """Hold the account (or one bucket) for ``seconds``; counted in the total wait.

        A bucket pause comes from the headers and never raises: it is cut to the wait left.
        A throttle's pause (no bucket) raises when the total wait would pass the maximum.
        """
        now = self._clock() if now is None else now
        if bucket is not None:
            seconds = min(seconds, max(0.0, self.max_wait_seconds - self.waited_seconds))
            current = max(now, self._next_at, bucket.paused_until)
        else:
            current = max(now, self._next_at, held)
        until = now + seconds
        if until <= current:
            return
        extra = until - current
        if bucket is None and self.waited_seconds + extra > self.max_wait_seconds:
            msg = (
                f"rate-limit waits would exceed max_rate_limit_wait_seconds "
                f"({self.max_wait_seconds:.0f}s)"
            )
            raise RateLimitWaitExceededError(msg)
        self.waited_seconds += extra
        if bucket is not None:
            bucket.paused_until = until
        else:
            self._next_at = until


class PacerRegistry:
    """One pacer per (account, token); lives on the tap instance, not in module state."""

    def __init__(self, max_rate: float, max_wait_seconds: float) -> None:
        self._max_rate = max_rate
        self._max_wait = max_wait_seconds
        self.app = AppGate(max_rate)  # one app budget for every account of the process
        self._pacers: dict[tuple[str, int], Pacer] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str | None, token: str) -> Pacer:
        # Keyed by a hash of the token so the registry never holds it as a readable key.
        key = (account_id or "", hash(token))
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = self._pacers[key] = Pacer(
                    self._max_rate, max_wait_seconds=self._max_wait, app=self.app
                )
            return pacer

    def all(self) -> dict[str, Pacer]:
        with self._lock:
            return {account: pacer for (account, _), pacer in self._pacers.items()}
