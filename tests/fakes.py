"""Test doubles shared by the tiers."""

from __future__ import annotations

import threading


class FakeClock:
    """Monotonic fake time that moves only when a test (or the code under test) moves it.

    Pass the instance as ``clock=`` (it is callable and returns the time) and ``clock.sleep``
    as ``sleep=``: a sleep returns at once and moves the time by its length. ``slept`` is the
    total slept; ``advance`` moves the time without counting as sleep. Safe across threads.
    """

    def __init__(self, now: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._now = now
        self.slept = 0.0

    def __call__(self) -> float:
        with self._lock:
            return self._now

    @property
    def now(self) -> float:
        return self()

    @now.setter
    def now(self, value: float) -> None:
        with self._lock:
            assert value >= self._now, "a monotonic clock never goes back"
            self._now = value

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"sleep({seconds})"
        with self._lock:
            self._now += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, f"advance({seconds})"
        with self._lock:
            self._now += seconds
