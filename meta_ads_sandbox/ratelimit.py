"""Business-Use-Case rate limits: sliding-window budgets, lock-outs and the usage headers.

The model (meta-marketing-api.md section 7):

- Every call is charged to one bucket: the pair (ad account, usage type), or the single app bucket
  for calls without an ad account (`/me`, `/me/businesses`; platform limits, `X-App-Usage`).
- A bucket admits `budget` calls per sliding window of `budget_window` seconds (unlimited budgets
  never throttle). The call that finds the window full is refused with the type's throttle error
  (80004 ads_management, 80000 ads_insights, 80003 custom_audience, 4 app, all 2446079 except 4)
  and locks the bucket for `lockout_seconds`, or until the window frees its oldest call if that is
  later, so that `estimated_time_to_regain_access` never promises access too early.
- Every `quota_block_every`-th exhaustion of one ad account is answered instead with the ad-account
  quota block, 17/2446079 "User request limit reached", which locks every usage type of that
  account for `quota_block_seconds` (or until the window has room, if later).
- A call that arrives while locked is refused without consuming budget, and pushes the lock out by
  `lockout_penalty` x the time remaining (never beyond the window or that lock's own length,
  whichever is longer): a client that keeps hammering waits longer.
- Usage percentages are calls in the window / budget x 100 (100 while locked); `total_time` and
  `total_cputime` are fixed shares of it. In `X-FB-Ads-Insights-Throttle`, the account figure is
  the account's ads_insights usage and the app figure the mean over the accounts that made insights
  calls; both rise by `JOB_UTIL_PCT` per async report job in flight (`jobs_in_flight`).
- With `app_wide_budget` (app_budget.py, off by default) every admitted call also counts in one
  window for the whole app; a full window answers 4 before any bucket is charged, and every
  response carries `X-App-Usage` with that share (for account-less calls the larger of it and
  the app bucket's).
- Usage headers carry compact JSON, as Meta sends them.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from meta_ads_sandbox import errors, ratelimit_options
from meta_ads_sandbox.app_budget import AppBudget
from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, APP, CUSTOM_AUDIENCE, Call
from meta_ads_sandbox.errors import GraphError

ACCESS_TIERS = ratelimit_options.ACCESS_TIERS
JOB_UTIL_PCT = 8.0  # insights utilisation added per async report run in flight
TOTAL_TIME_SHARE = 0.45  # total_time as a share of call_count (deterministic, lower)
TOTAL_CPUTIME_SHARE = 0.35
APP_KEY = "app"  # the app bucket's name in stats()

_Key = tuple[str | None, str]  # (account id or None for the app bucket, usage type)


@dataclass(frozen=True)
class RateLimitConfig:
    """Budgets and lock-out rules; the defaults never throttle."""

    budget_window: float = 3600.0
    management_budget: int | None = None
    insights_budget: int | None = None
    audience_budget: int | None = None
    app_budget: int | None = None
    app_wide_budget: int | None = None  # every call of the app, all tokens and accounts
    app_window: float = ratelimit_options.APP_WINDOW
    lockout_seconds: float = 60.0
    lockout_penalty: float = 0.5
    quota_block_every: int | None = None
    quota_block_seconds: float = 300.0
    access_tier: str = "development_access"

    def __post_init__(self) -> None:
        if not self.budget_window > 0:
            raise ValueError("budget_window must be > 0")
        if not self.app_window > 0:
            raise ValueError("app_window must be > 0")
        for name in (
            "management_budget",
            "insights_budget",
            "audience_budget",
            "app_budget",
            "app_wide_budget",
        ):
            budget = getattr(self, name)
            if budget is not None and budget <= 0:
                raise ValueError(f"{name} must be a positive integer or None")
        if self.lockout_seconds < 0 or self.lockout_penalty < 0 or self.quota_block_seconds < 0:
            raise ValueError("lock-out seconds, penalty and quota block seconds must be >= 0")
        if self.quota_block_every is not None and self.quota_block_every <= 0:
            raise ValueError("quota_block_every must be a positive integer or None")
        if self.access_tier not in ACCESS_TIERS:
            raise ValueError(f"access_tier must be one of {ACCESS_TIERS}")

    def budget_for(self, usage_type: str) -> int | None:
        """Calls per window for a usage type (None = unlimited)."""
        return {
            ADS_MANAGEMENT: self.management_budget,
            ADS_INSIGHTS: self.insights_budget,
            CUSTOM_AUDIENCE: self.audience_budget,
            APP: self.app_budget,
        }.get(usage_type)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Register the rate-limit options of `serve` (ratelimit_options.py)."""
        ratelimit_options.add_arguments(parser, cls())

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RateLimitConfig:
        """Build the config from options registered by `add_arguments`."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


@dataclass
class _Bucket:
    """Sliding window and lock of one (account, usage type)."""

    calls: deque[float] = field(default_factory=deque)
    locked_until: float = -math.inf
    admitted: int = 0
    refused: int = 0
    lockouts: int = 0
    max_usage: int = 0


@dataclass
class _Account:
    """Per-account exhaustion count and quota block."""

    exhaustions: int = 0
    blocked_until: float = -math.inf
    quota_blocks: int = 0
    insights_seen: bool = False


def throttle_error(usage_type: str) -> GraphError:
    """The error a call of `usage_type` gets when its budget is exhausted."""
    if usage_type == ADS_INSIGHTS:
        return errors.ads_insights_throttle()
    if usage_type == CUSTOM_AUDIENCE:
        return errors.custom_audience_throttle()
    if usage_type == APP:
        return errors.app_request_limit()
    return errors.ads_management_throttle()


def _header(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


class RateLimiter:
    """Counts calls per (ad account, usage type), refuses over-budget ones, reports usage."""

    def __init__(
        self, config: RateLimitConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[_Key, _Bucket] = {}
        self._accounts: dict[str, _Account] = {}
        self._app_insights: deque[float] = deque()  # every account's insights calls, for the app %
        self._insights_accounts = 0  # accounts whose insights calls were admitted
        self._app = AppBudget(config.app_wide_budget, config.app_window)
        # A hammered lock never grows beyond the longest lock the config can hand out.
        self._max_bucket_lock = max(config.budget_window, config.lockout_seconds)
        self._max_quota_lock = max(config.budget_window, config.quota_block_seconds)

    @staticmethod
    def _key(call: Call) -> _Key:
        if call.account_id is None or call.usage_type == APP:
            return (None, APP)
        return (call.account_id, call.usage_type)

    def _prune(self, calls: deque[float], now: float) -> None:
        horizon = now - self._config.budget_window
        while calls and calls[0] <= horizon:
            calls.popleft()

    def _hammer(self, until: float, now: float, cap: float) -> float:
        """The lock end after one more call during the lock (penalty, capped)."""
        remaining = until - now
        extended = remaining * (1.0 + self._config.lockout_penalty)
        return now + max(remaining, min(extended, cap))

    def admit(self, call: Call) -> GraphError | None:
        """Count `call`; return the throttle error to answer with, or None to serve it."""
        with self._lock:
            now = self._clock()
            if self._app.refuses(now):
                return errors.app_request_limit()
            refused = self._admit_bucket(call, now)
            if refused is None:
                self._app.record(now)
            return refused

    def _admit_bucket(self, call: Call, now: float) -> GraphError | None:
        cfg = self._config
        key = self._key(call)
        bucket = self._buckets.setdefault(key, _Bucket())
        account_id, usage_type = key
        account = None if account_id is None else self._accounts.setdefault(account_id, _Account())
        if account is not None and account.blocked_until > now:
            account.blocked_until = self._hammer(account.blocked_until, now, self._max_quota_lock)
            bucket.refused += 1
            return errors.user_request_limit()
        if bucket.locked_until > now:
            bucket.locked_until = self._hammer(bucket.locked_until, now, self._max_bucket_lock)
            bucket.refused += 1
            return throttle_error(usage_type)
        budget = cfg.budget_for(usage_type)
        if budget is None:
            bucket.admitted += 1
            return None
        self._prune(bucket.calls, now)
        if len(bucket.calls) < budget:
            bucket.calls.append(now)
            bucket.admitted += 1
            bucket.max_usage = max(bucket.max_usage, len(bucket.calls) * 100 // budget)
            if usage_type == ADS_INSIGHTS and account is not None:
                if not account.insights_seen:
                    self._insights_accounts += 1
                account.insights_seen = True
                self._app_insights.append(now)
            return None
        # The window is full: this call exhausts the budget.
        bucket.refused += 1
        bucket.max_usage = 100
        room_at = bucket.calls[0] + cfg.budget_window
        if account is not None:
            account.exhaustions += 1
            every = cfg.quota_block_every
            if every is not None and account.exhaustions % every == 0:
                account.blocked_until = max(now + cfg.quota_block_seconds, room_at)
                account.quota_blocks += 1
                return errors.user_request_limit()
        bucket.locked_until = max(now + cfg.lockout_seconds, room_at)
        bucket.lockouts += 1
        return throttle_error(usage_type)

    def _lock_end(self, key: _Key, now: float) -> float:
        """When the lock on `key` (bucket or account) ends; <= now when not locked."""
        bucket = self._buckets.get(key)
        end = bucket.locked_until if bucket is not None else -math.inf
        account = None if key[0] is None else self._accounts.get(key[0])
        if account is not None:
            end = max(end, account.blocked_until)
        return end

    def _usage_pct(self, key: _Key, now: float) -> float:
        """Share of the budget used in the window, 0-100 (100 while locked)."""
        if self._lock_end(key, now) > now:
            return 100.0
        budget = self._config.budget_for(key[1])
        bucket = self._buckets.get(key)
        if budget is None or bucket is None:
            return 0.0
        self._prune(bucket.calls, now)
        return min(100.0, len(bucket.calls) * 100.0 / budget)

    def _reset_seconds(self, key: _Key, now: float) -> int:
        """Seconds until the lock ends, else until the window frees its oldest call."""
        end = self._lock_end(key, now)
        if end > now:
            return math.ceil(end - now)
        bucket = self._buckets.get(key)
        if bucket is None or not bucket.calls or self._config.budget_for(key[1]) is None:
            return 0
        return max(0, math.ceil(bucket.calls[0] + self._config.budget_window - now))

    def _app_insights_pct(self, now: float) -> float:
        """The app's insights usage: every account's insights calls over their summed budgets."""
        budget = self._config.insights_budget
        accounts = self._insights_accounts
        if budget is None or accounts == 0:
            return 0.0
        self._prune(self._app_insights, now)
        return min(100.0, len(self._app_insights) * 100.0 / (budget * accounts))

    def usage_headers(self, call: Call, jobs_in_flight: int) -> dict[str, str]:
        """The usage headers of the response to `call` (JSON strings, Meta's shapes)."""
        tier = self._config.access_tier
        with self._lock:
            now = self._clock()
            key = self._key(call)
            pct = self._usage_pct(key, now)
            call_count = int(pct)
            shares = {
                "call_count": call_count,
                "total_cputime": int(call_count * TOTAL_CPUTIME_SHARE),
                "total_time": int(call_count * TOTAL_TIME_SHARE),
            }
            headers: dict[str, str] = {}
            account_id = key[0]
            if account_id is None or self._app.enabled:
                app_pct = self._app.pct(now)
                app_count = int(max(app_pct, pct)) if account_id is None else int(app_pct)
                headers["X-App-Usage"] = _header(
                    {
                        "call_count": app_count,
                        "total_time": int(app_count * TOTAL_TIME_SHARE),
                        "total_cputime": int(app_count * TOTAL_CPUTIME_SHARE),
                    }
                )
            if account_id is not None:
                end = self._lock_end(key, now)
                regain = math.ceil((end - now) / 60) if end > now else 0
                entry = {"type": key[1], **shares, "estimated_time_to_regain_access": regain}
                entry["ads_api_access_tier"] = tier
                headers["X-Business-Use-Case-Usage"] = _header({account_id: [entry]})
                headers["X-Ad-Account-Usage"] = _header(
                    {
                        "acc_id_util_pct": round(pct, 2),
                        "reset_time_duration": self._reset_seconds(key, now),
                        "ads_api_access_tier": tier,
                    }
                )
            if call.usage_type == ADS_INSIGHTS:
                jobs = JOB_UTIL_PCT * max(0, jobs_in_flight)
                acc = 0.0 if account_id is None else self._usage_pct(key, now)
                app = self._app_insights_pct(now)
                headers["X-FB-Ads-Insights-Throttle"] = _header(
                    {
                        "app_id_util_pct": round(min(100.0, app + jobs), 2),
                        "acc_id_util_pct": round(min(100.0, acc + jobs), 2),
                        "ads_api_access_tier": tier,
                    }
                )
            return headers

    def stats(self) -> dict[str, Any]:
        """Admitted and refused calls, lock-outs and peak usage per account and type."""
        with self._lock:
            by_account: dict[str, dict[str, dict[str, int]]] = {}
            for (account_id, usage_type), b in sorted(
                self._buckets.items(), key=lambda item: (item[0][0] or "", item[0][1])
            ):
                by_account.setdefault(account_id or APP_KEY, {})[usage_type] = {
                    "admitted": b.admitted,
                    "refused": b.refused,
                    "lockouts": b.lockouts,
                    "max_usage_pct": b.max_usage,
                }
            buckets = list(self._buckets.values())
            quota = {a: s.quota_blocks for a, s in sorted(self._accounts.items()) if s.quota_blocks}
            out: dict[str, Any] = {
                "admitted": sum(b.admitted for b in buckets),
                "refused": sum(b.refused for b in buckets),
                "lockouts": sum(b.lockouts for b in buckets),
                "quota_blocks": sum(quota.values()),
                "max_usage_pct": max((b.max_usage for b in buckets), default=0),
                "by_account": by_account,
                "quota_blocks_by_account": quota,
            }
            if self._app.enabled:
                out["app_wide"] = self._app.stats()
            return out
