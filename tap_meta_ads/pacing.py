"""Request pacing per ad account and token: AIMD on throttles, slowing on Meta's usage headers.

Meta charges every call to a Business-Use-Case budget per ad account and reports how much of
it is used on each response (``X-Business-Use-Case-Usage``, ``X-Ad-Account-Usage``,
``X-App-Usage``, ``X-FB-Ads-Insights-Throttle``; Graph API "Rate Limiting" page). The pacer
spaces requests at a rate that grows additively on success up to ``requests_per_second``,
halves on a throttle, shrinks in proportion above a high-water mark of usage, and pauses as
long as Meta says when it gives ``estimated_time_to_regain_access`` (minutes) or
``reset_time_duration`` (seconds) while usage is near the limit.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

HIGH_WATER_PCT = 75.0
NEAR_LIMIT_PCT = 95.0
MIN_RATE = 0.05


@dataclass(frozen=True)
class Usage:
    """What the usage headers of one response say, reduced to what pacing needs."""

    pct: float = 0.0  # highest usage percentage across the headers for this account
    regain_seconds: float = 0.0  # Meta's estimate of when access returns, 0 if not blocked
    reset_seconds: float = 0.0  # X-Ad-Account-Usage reset_time_duration
    insights_pct: float | None = None  # X-FB-Ads-Insights-Throttle, for async job admission


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _num(value: Any) -> float:
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return 0.0


def read_usage(headers: Mapping[str, str], account_id: str | None = None) -> Usage:
    """Parse the usage headers of a response (or of a batch item)."""
    pct = 0.0
    regain_minutes = 0.0
    reset = 0.0
    buc = _json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        keys = [account_id] if account_id and account_id in buc else list(buc)
        for key in keys:
            entries = buc.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    pct = max(
                        pct,
                        *(
                            _num(entry.get(k))
                            for k in ("call_count", "total_cputime", "total_time")
                        ),
                    )
                    regain_minutes = max(
                        regain_minutes, _num(entry.get("estimated_time_to_regain_access"))
                    )
    account = _json_header(headers, "X-Ad-Account-Usage")
    if isinstance(account, dict):
        pct = max(pct, _num(account.get("acc_id_util_pct")))
        reset = _num(account.get("reset_time_duration"))
    app = _json_header(headers, "X-App-Usage")
    if isinstance(app, dict):
        pct = max(pct, *(_num(app.get(k)) for k in ("call_count", "total_cputime", "total_time")))
    insights = _json_header(headers, "X-FB-Ads-Insights-Throttle")
    insights_pct = None
    if isinstance(insights, dict):
        insights_pct = max(
            _num(insights.get("app_id_util_pct")), _num(insights.get("acc_id_util_pct"))
        )
    return Usage(
        pct=min(pct, 100.0),
        regain_seconds=regain_minutes * 60.0,
        reset_seconds=reset,
        insights_pct=insights_pct,
    )


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
    ) -> None:
        self.max_rate = max_rate
        self.rate = max_rate
        self.max_wait_seconds = max_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self.waited_seconds = 0.0  # time spent waiting beyond normal spacing (rate limits)
        self.throttles = 0
        self.requests = 0
        self.insights_pct: float | None = None

    def acquire(self) -> None:
        """Block until this account may send its next request."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_at)
            self._next_at = start + 1.0 / self.rate
            self.requests += 1
        wait = start - now
        if wait > 0:
            self._sleep(wait)

    def observe(self, usage: Usage) -> None:
        """Adapt to a response's usage headers (errors and batch items included)."""
        with self._lock:
            if usage.insights_pct is not None:
                self.insights_pct = usage.insights_pct
            if usage.regain_seconds > 0:
                self._pause_locked(usage.regain_seconds)
            elif usage.pct >= NEAR_LIMIT_PCT and usage.reset_seconds > 0:
                self._pause_locked(min(usage.reset_seconds, 300.0))
            if usage.pct >= HIGH_WATER_PCT:
                share = (100.0 - usage.pct) / (100.0 - HIGH_WATER_PCT)
                self.rate = max(MIN_RATE, min(self.rate, self.max_rate * max(share, 0.0)))
            else:
                self.rate = min(self.max_rate, self.rate + self.max_rate / 10.0)

    def on_throttle(self, wait_seconds: float | None) -> None:
        """Multiplicative decrease, then pause for Meta's estimate (or the current spacing)."""
        with self._lock:
            self.throttles += 1
            self.rate = max(MIN_RATE, self.rate / 2.0)
            self._pause_locked(wait_seconds if wait_seconds else 2.0 / self.rate)

    def _pause_locked(self, seconds: float) -> None:
        now = self._clock()
        until = now + seconds
        if until > self._next_at:
            extra = until - max(now, self._next_at)
            if self.waited_seconds + extra > self.max_wait_seconds:
                msg = (
                    f"rate-limit waits would exceed max_rate_limit_wait_seconds "
                    f"({self.max_wait_seconds:.0f}s)"
                )
                raise RateLimitWaitExceededError(msg)
            self.waited_seconds += extra
            self._next_at = until


class PacerRegistry:
    """One pacer per (account, token); lives on the tap instance, not in module state."""

    def __init__(self, max_rate: float, max_wait_seconds: float) -> None:
        self._max_rate = max_rate
        self._max_wait = max_wait_seconds
        self._pacers: dict[tuple[str, int], Pacer] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str | None, token: str) -> Pacer:
        # Keyed by a hash of the token so the registry never holds it as a readable key.
        key = (account_id or "", hash(token))
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = self._pacers[key] = Pacer(self._max_rate, max_wait_seconds=self._max_wait)
            return pacer

    def all(self) -> dict[str, Pacer]:
        with self._lock:
            return {account: pacer for (account, _), pacer in self._pacers.items()}
