"""The worker pool: network tasks on shared threads, a bounded number per account at once.

One account's pacing never holds another account's work; results come back as messages the
coordinator handles on its own thread, so job state is only ever touched there.
"""

from __future__ import annotations

import queue
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Threads running the engine's network calls, for all accounts together.
WORKERS = 8
#: Calls of one account running at once (its pacer spaces them anyway).
ACCOUNT_WORKERS = 1

Done = Callable[[Any, Exception | None], None]
Message = tuple[str, Done, Any, Exception | None]


class AccountTasks:
    """Runs tasks on a shared pool, at most ``per_account`` at once for one account."""

    def __init__(self, workers: int = WORKERS, per_account: int = ACCOUNT_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="insights")
        self._per_account = max(1, per_account)
        self._queued: dict[str, deque[tuple[Callable[[], Any], Done]]] = defaultdict(deque)
        self._busy: dict[str, int] = defaultdict(int)
        self._messages: queue.Queue[Message | None] = queue.Queue()
        self.outstanding = 0

    def submit(self, account: str, work: Callable[[], Any], done: Done) -> None:
        """Run ``work`` for ``account``; ``done(result, error)`` is called by ``handle``."""
        self._queued[account].append((work, done))
        self.outstanding += 1
        self._pump(account)

    def wake(self) -> None:
        """Unblock a coordinator waiting in ``next_message`` (any thread)."""
        self._messages.put(None)

    def next_message(self, timeout: float | None) -> bool:
        """Wait for one result (or a wake-up) and handle it; False on timeout."""
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            return False
        self._handle(message)
        return True

    def drain(self) -> None:
        """Handle every result already in."""
        while True:
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                return
            self._handle(message)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _handle(self, message: Message | None) -> None:
        if message is None:
            return
        account, done, result, error = message
        self._busy[account] -= 1
        self.outstanding -= 1
        try:
            done(result, error)
        finally:
            self._pump(account)

    def _pump(self, account: str) -> None:
        queued = self._queued[account]
        while queued and self._busy[account] < self._per_account:
            work, done = queued.popleft()
            self._busy[account] += 1
            try:
                self._pool.submit(self._work, account, work, done)
            except RuntimeError:  # shut down: the manager is closing
                return

    def _work(self, account: str, work: Callable[[], Any], done: Done) -> None:
        try:
            result, error = work(), None
        except Exception as exc:
            result, error = None, exc
        self._messages.put((account, done, result, error))
