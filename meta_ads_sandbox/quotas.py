"""Per-account counts of async report runs over a rolling 24 hours (wall-clock).

Meta limits two kinds of report runs per ad account and day: those asking for reach with
breakdowns that start more than 13 months ago (10 a day), and, for accounts that did not opt
in, those with the opt-in breakdowns (min(10, number of ads) per 24 h).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

DAY_SECONDS = 86_400.0


class DailyQuota:
    """How many runs each account started in the last 24 hours, and whether one more fits."""

    def __init__(self, window: float = DAY_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._taken: defaultdict[int, deque[float]] = defaultdict(deque)

    def _trim(self, account: int, now: float) -> deque[float]:
        stamps = self._taken[account]
        while stamps and stamps[0] <= now - self._window:
            stamps.popleft()
        return stamps

    def take(self, account: int, limit: int) -> bool:
        """Count one run for the account if it stays within `limit`; False when it would not."""
        with self._lock:
            now = self._clock()
            stamps = self._trim(account, now)
            if len(stamps) >= limit:
                return False
            stamps.append(now)
            return True

    def used(self, account: int) -> int:
        """Runs counted for the account in the current window."""
        with self._lock:
            return len(self._trim(account, self._clock()))

    def reset_in(self, account: int) -> int:
        """Seconds until the oldest counted run leaves the window (0 when none)."""
        with self._lock:
            now = self._clock()
            stamps = self._trim(account, now)
            return max(0, int(stamps[0] + self._window - now)) if stamps else 0
