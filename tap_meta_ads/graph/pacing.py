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
from collections.abc import Callable
from typing import Any

from tap_meta_ads.graph.buckets import (
    EMPTY_START_PCT,
    LEARN_FROM_PCT,
    MIRROR_LENGTH,
    NO_BUDGET_ABOVE,
    SPARE_CALLS,
    WINDOW_PAD,
    Bucket,
)
from tap_meta_ads.graph.usage import TypeUsage, Usage

__all__ = [
    "EMPTY_START_PCT",
    "LEARN_FROM_PCT",
    "MIRROR_LENGTH",
    "NO_BUDGET_ABOVE",
    "SPARE_CALLS",
    "WINDOW_PAD",
    "AppGate",
    "Pacer",
    "PacerRegistry",
    "RateLimitWaitExceededError",
]

HIGH_WATER_PCT = 75.0
NEAR_LIMIT_PCT = 95.0
MIN_RATE = 0.05
#: Graph error code 4: the app's own request limit (every account of the app is held).
APP_THROTTLE_CODE = 4
#: X-App-Usage gives no reset time (Meta's app window rolls over an hour): near the limit
#: the whole process holds this long, then probes again.
APP_HOLD_SECONDS = 60.0
#: A wait longer than this prints a progress line this often.
PROGRESS_SECONDS = 30.0


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
        name: str = "",
        logger: Any = None,
    ) -> None:
        self.max_rate = max_rate
        self.name = name  # for progress lines: "account 1"
        self._logger = logger  # progress lines during long waits (None: sleep in one go)
        self.app = app or AppGate(max_rate, clock)
        self.rate = max_rate
        self.max_wait_seconds = max_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._buckets: dict[str, Bucket] = {}
        self.waited_seconds = 0.0  # time spent waiting beyond normal spacing (rate limits)
        #: The wait budget is spent while Meta still asks for waits: the next acquire raises.
        self.exhausted = False
        self.throttles = 0
        self.requests = 0
        self.insights_pct: float | None = None
        self.reach_pct: float | None = None  # x-fb-ads-insights-reach-throttle

    def _bucket(self, usage_type: str | None) -> Bucket:
        return self._buckets.setdefault(usage_type or "", Bucket())

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
            if self.exhausted:
                raise RateLimitWaitExceededError(self._spent_message())
            now = self._clock()
            bucket = self._bucket(usage_type)
            unslowed = max(now, self._next_at, bucket.paused_until)
            start = max(unslowed, bucket.next_at)
            # A bucket slowed by high usage spaces calls beyond the account's own rate: that
            # part is a wait on Meta's limits, counted in the budget like a pause.
            self._count_wait(start - unslowed)
            if bucket.estimated:
                start = bucket.free_at(start, calls)
            held = self.app.admit(start)  # the app's budget: shared by every account
            # Like the headers' pauses, the app's hold is cut to the wait the account has left.
            extra = max(0.0, held - start)  # start >= now already
            start += self._count_wait(extra)
            self._next_at = start + 1.0 / self.rate
            if bucket.cap < math.inf:
                bucket.next_at = start + 1.0 / bucket.cap
            bucket.record(start, calls)
            self.requests += 1
        wait = start - now
        if wait > 0:
            self._wait(wait)

    def _count_wait(self, seconds: float) -> float:
        """Count ``seconds`` of rate-limit wait (locked); past the budget, what is left."""
        left = max(0.0, self.max_wait_seconds - self.waited_seconds)
        if seconds > left:
            self.exhausted = True
            seconds = left
        self.waited_seconds += max(0.0, seconds)
        return max(0.0, seconds)

    def _spent_message(self) -> str:
        return (
            f"rate-limit waits would exceed max_rate_limit_wait_seconds "
            f"({self.max_wait_seconds:.0f}s)"
        )

    def _wait(self, seconds: float) -> None:
        """Sleep; a long wait says so every ``PROGRESS_SECONDS`` (never looks like a hang)."""
        if self._logger is None or seconds <= PROGRESS_SECONDS:
            self._sleep(seconds)
            return
        left = seconds
        while left > 0:
            step = min(PROGRESS_SECONDS, left)
            self._sleep(step)
            left -= step
            if left > 0:
                self._logger.info(
                    "%s: waiting on Meta's rate limit, %.0f s so far of %.0f s budget "
                    "(max_rate_limit_wait_seconds; %.0f s more in this wait)",
                    self.name or "token",
                    max(0.0, self.waited_seconds - left),
                    self.max_wait_seconds,
                    left,
                )

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
        bucket: Bucket | None = None,
        now: float | None = None,
        held: float = 0.0,
    ) -> None:
        """Hold the account (or one bucket) for ``seconds``; counted in the total wait.

        A bucket pause comes from the headers and never raises: one longer than the wait left
        marks the pacer ``exhausted`` instead, and its next ``acquire`` raises.
        A throttle's pause (no bucket) raises when the total wait would pass the maximum.
        """
        now = self._clock() if now is None else now
        if bucket is not None:
            left = max(0.0, self.max_wait_seconds - self.waited_seconds)
            current = max(now, self._next_at, bucket.paused_until)
            if now + seconds - current > left + 1.0:  # more than the budget has left:
                self.exhausted = True  # the next acquire fails the account, without waiting
                return
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

    def __init__(self, max_rate: float, max_wait_seconds: float, logger: Any = None) -> None:
        self._max_rate = max_rate
        self._max_wait = max_wait_seconds
        self._logger = logger
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
                    self._max_rate,
                    max_wait_seconds=self._max_wait,
                    app=self.app,
                    name=f"account {account_id}" if account_id else "token",
                    logger=self._logger,
                )
            return pacer

    def all(self) -> dict[str, Pacer]:
        with self._lock:
            return {account: pacer for (account, _), pacer in self._pacers.items()}
