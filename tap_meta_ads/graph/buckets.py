"""One usage type of an account as the pacer sees it: its calls, usage and learnt budget.

See ``graph.pacing`` for how the pacer uses it: a budget is learnt from a call answered alone in
a (nearly) empty window, and from then on the bucket mirrors the window with its own calls.
"""

from __future__ import annotations

import math
from collections import deque

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


class Bucket:
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
