"""The app-wide platform budget: every call of the app, whatever its token or ad account.

Meta's platform rate limit counts an app's calls over a rolling hour, reports the share used in
`X-App-Usage` (`call_count`, `total_cputime`, `total_time`, whole percentages) and, once it is
used up, answers `(#4) Application request limit reached` (meta-marketing-api.md section 7).
`--app-wide-budget N` (RateLimitConfig.app_wide_budget, default off) admits N calls per sliding
window of `--app-window` seconds (RateLimitConfig.app_window, default 3600), counted over every
token, account and concurrent client of the server: each HTTP call and each batch item the
limiter admits counts once (a refused call does not). A call finding the window full is refused
with 4 until the window frees its oldest call. Not thread-safe on its own: the RateLimiter's
lock guards it.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class AppBudget:
    """One sliding window of every admitted call of the app."""

    def __init__(self, budget: int | None, window: float) -> None:
        self.budget = budget
        self.window = window
        self._calls: deque[float] = deque()
        self.admitted = 0
        self.refused = 0
        self.max_usage = 0

    @property
    def enabled(self) -> bool:
        return self.budget is not None

    def _prune(self, now: float) -> None:
        horizon = now - self.window
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()

    def refuses(self, now: float) -> bool:
        """Whether a call now finds the window full (counted as refused)."""
        if self.budget is None:
            return False
        self._prune(now)
        if len(self._calls) < self.budget:
            return False
        self.refused += 1
        self.max_usage = 100
        return True

    def record(self, now: float) -> None:
        """Count an admitted call."""
        if self.budget is None:
            return
        self._calls.append(now)
        self.admitted += 1
        self.max_usage = max(self.max_usage, len(self._calls) * 100 // self.budget)

    def pct(self, now: float) -> float:
        """Share of the budget used in the window, 0-100."""
        if self.budget is None:
            return 0.0
        self._prune(now)
        return min(100.0, len(self._calls) * 100.0 / self.budget)

    def stats(self) -> dict[str, Any]:
        """Budget, window, admitted and refused calls and peak usage (None when off)."""
        return {
            "budget": self.budget,
            "window": self.window,
            "admitted": self.admitted,
            "refused": self.refused,
            "max_usage_pct": self.max_usage,
        }
