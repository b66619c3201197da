"""Report runs: their state, the wire work, the per-account task runner, the throttle gate.

``create_run``, ``poll_runs`` and ``read_rows`` run on worker threads; ``AccountTasks`` runs
at most ``per_account`` tasks of one account at a time on a shared pool, so one account's
pacing never holds another account's work, and hands results back to the coordinator
(``insights_engine``), which alone touches ``Part`` and ``ThrottleGate`` state.
"""

from __future__ import annotations

import logging
import pathlib
import queue
from collections import defaultdict, deque
from collections.abc import Callable, Container, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from tap_meta_ads.graph.errors import (
    TOKEN_CODES,
    GraphErrorInfo,
    GraphFatalError,
    GraphRetriableError,
    GraphThrottleError,
    parse_error,
)
from tap_meta_ads.insights_plan import ReportQuery, iter_pages
from tap_meta_ads.insights_spool import Ledger, RowKey, Spool

STATUS_FIELDS = (
    "id,async_status,async_percent_completion,error_code,error_subcode,"
    "error_message,error_user_title,error_user_msg"
)
#: Poll and refresh intervals grow by this factor while the answer is "not yet".
BACKOFF = 1.5
#: Graph batch requests hold at most 50 items (Graph API "Batch Requests").
BATCH_LIMIT = 50
#: Unfinished batch items (``null``) asked again at once, before waiting for the next poll.
NULL_ITEM_RETRIES = 2
#: Report too large: async -3/1504045, and the data-per-call limit 100/1487534.
TOO_LARGE_SUBCODES = frozenset({1504045, 1487534})
#: Sync insights timeouts (100/1504018, 2/1504038): an async report run is the way around.
SYNC_TIMEOUT_SUBCODES = frozenset({1504018, 1504038})
INSIGHTS_PERMISSION_SUBCODE = 3191001

Done = Callable[[Any, Exception | None], None]
Message = tuple[str, Done, Any, Exception | None]


class GraphCalls(Protocol):
    """What the engine needs from the HTTP client (paced per account, retried, classified)."""

    def post(self, account_id: str, path: str, params: dict[str, str]) -> Any: ...

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any: ...

    def batch(
        self, account_id: str, requests: list[dict[str, str]]
    ) -> list[dict[str, Any] | None]: ...

    def insights_throttle(self, account_id: str) -> float | None: ...


@dataclass(frozen=True)
class EngineSettings:
    """The manager's tuning, as passed to ``InsightsJobManager``."""

    max_in_flight: int = 10
    poll_interval: float = 5.0
    max_poll_interval: float = 30.0
    job_timeout: float = 3600.0
    throttle_high_water: float = 75.0
    sync_max_days: int = 0
    page_size: int = 500
    run_rows: int = 10_000


@dataclass(eq=False)
class Part:
    """A query being produced: a submitted query, or a piece of one after a split."""

    group: str
    query: ReportQuery
    key: tuple[str, ...]
    sync_ok: bool = True
    failures: int = 0
    run_id: str | None = None
    created_at: float = 0.0
    next_poll: float = 0.0
    interval: float = 0.0
    polling: bool = False
    unsupported: int = 0
    poll_errors: int = 0
    holds_slot: bool = False
    remainder: bool = False  # the NOT_IN rest of an entity split: never split by entity again

    @property
    def account(self) -> str:
        return self.query.account_id


@dataclass(eq=False)
class Hold:
    """An account held back by its insights throttle: since when, and its header refresh."""

    since: float
    interval: float
    next_refresh: float
    refreshing: bool = False
    expired: bool = False  # held for ``job_timeout``: its runs start anyway


class ThrottleGate:
    """Holds an account's new runs while its insights throttle is at the high-water mark.

    A hold lasts at most ``job_timeout`` (Meta answers throttled calls itself; the gate only
    avoids adding load). While held, the account's insights edge is read again now and then,
    backing off, so its throttle header stays fresh even when none of its calls is out.
    """

    def __init__(
        self, calls: GraphCalls, settings: EngineSettings, logger: logging.Logger, stats: Ledger
    ) -> None:
        self._calls = calls
        self._set = settings
        self._logger = logger
        self._stats = stats
        self._holds: dict[str, Hold] = {}

    def held(self, account: str, now: float) -> bool:
        pct = self._calls.insights_throttle(account)
        high = self._set.throttle_high_water
        if pct is None or pct < high:
            if self._holds.pop(account, None) is not None:
                self._logger.info(
                    "insights: account %s: insights throttle eased; resuming", account
                )
            return False
        hold = self._holds.get(account)
        if hold is None:
            interval = self._set.poll_interval
            self._holds[account] = Hold(now, interval, now + interval)
            self._stats.count(held_back=1)
            self._logger.info(
                "insights: account %s is at %.0f%% of its insights throttle "
                "(>= %.0f%%); holding back its new report runs",
                account,
                pct,
                high,
            )
            return True
        if not hold.expired and now - hold.since >= self._set.job_timeout:
            hold.expired = True
            self._logger.info(
                "insights: account %s is still at %.0f%% of its insights "
                "throttle after %.0fs; starting its runs anyway",
                account,
                pct,
                now - hold.since,
            )
        return not hold.expired

    def _active(self, pending: Container[str]) -> Iterator[tuple[str, Hold]]:
        for account, hold in list(self._holds.items()):
            if account not in pending:
                del self._holds[account]
            elif not hold.refreshing and not hold.expired:
                yield account, hold

    def due_refreshes(self, now: float, pending: Container[str]) -> list[str]:
        """Held accounts whose throttle header should be read again now (marked refreshing)."""
        due = [account for account, hold in self._active(pending) if hold.next_refresh <= now]
        for account in due:
            self._holds[account].refreshing = True
        return due

    def next_refresh(self, pending: Container[str]) -> float | None:
        return min((hold.next_refresh for _, hold in self._active(pending)), default=None)

    def refreshed(self, account: str, now: float) -> None:
        hold = self._holds.get(account)
        if hold is not None:
            hold.refreshing = False
            hold.interval = min(hold.interval * BACKOFF, self._set.max_poll_interval)
            hold.next_refresh = now + hold.interval


def answer_error(status: int, body: Any) -> GraphErrorInfo | None:
    """The error of a batch item: Meta's envelope, or a bare one for a non-2xx without it."""
    info = parse_error(status, body)
    if info is None and status >= 400:
        info = GraphErrorInfo(http_status=status, message="no report run status")
    return info


class CountingCalls:
    """The calls object, counting requests for the manager's stats."""

    def __init__(self, calls: GraphCalls, count: Callable[..., None]) -> None:
        self._calls = calls
        self._count = count

    def post(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        self._count(requests=1)
        return self._calls.post(account_id, path, params)

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        self._count(requests=1)
        return self._calls.get(account_id, path, params)

    def batch(self, account_id: str, items: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        self._count(requests=1, batch_calls=1, polled_runs=len(items))
        return self._calls.batch(account_id, items)

    def insights_throttle(self, account_id: str) -> float | None:
        return self._calls.insights_throttle(account_id)


def create_run(calls: GraphCalls, query: ReportQuery) -> str:
    """``POST /act_<id>/insights``; the report run id (Meta sends a string or a number)."""
    account = query.account_id
    body = calls.post(account, f"/act_{account}/insights", query.graph_params())
    run_id = body.get("report_run_id") if isinstance(body, dict) else None
    if isinstance(run_id, bool) or not isinstance(run_id, (int, str)) or not str(run_id).isdigit():
        msg = f"account {account}: creating an insights report run returned no report_run_id"
        raise GraphRetriableError(msg)
    return str(run_id)


def poll_runs(calls: GraphCalls, account: str, run_ids: list[str]) -> list[dict[str, Any] | None]:
    """Status answer of each run, 50 per batch call; ``None`` where Meta never finished."""
    items = [
        {"method": "GET", "relative_url": f"{run_id}?fields={STATUS_FIELDS}"} for run_id in run_ids
    ]
    answers: list[dict[str, Any] | None] = [None] * len(items)
    todo = list(range(len(items)))
    for _ in range(1 + NULL_ITEM_RETRIES):
        for start in range(0, len(todo), BATCH_LIMIT):
            chunk = todo[start : start + BATCH_LIMIT]
            replies = calls.batch(account, [items[i] for i in chunk])
            for index, reply in zip(chunk, replies, strict=False):
                answers[index] = reply
        todo = [i for i in todo if answers[i] is None]
        if not todo:
            break
    return answers


def read_rows(
    calls: GraphCalls,
    spool: Spool,
    account: str,
    path: str,
    params: dict[str, str],
    key: RowKey,
    run_rows: int,
) -> tuple[list[pathlib.Path], int]:
    """Every row of a paged insights read, spooled; partial files are removed on failure."""
    writer = spool.writer(key, run_rows)
    try:
        for row in iter_pages(calls, account, path, params):
            writer.add((row,))
        return writer.finish(), writer.rows
    except BaseException:
        writer.discard()
        raise


def percent(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def job_error(body: dict[str, Any]) -> GraphErrorInfo | None:
    """The error fields of a failed report run (sent by default from v25.0), if any."""
    envelope = {
        "error": {
            "code": body.get("error_code"),
            "error_subcode": body.get("error_subcode"),
            "message": body.get("error_message"),
            "error_user_title": body.get("error_user_title"),
            "error_user_msg": body.get("error_user_msg"),
        }
    }
    info = parse_error(200, envelope)
    if info is None or (info.code is None and info.subcode is None and not info.message):
        return None
    return info


def codes(info: GraphErrorInfo | None) -> str:
    """`` (code X, subcode Y)`` for a log line, or nothing."""
    if info is None:
        return ""
    parts = [
        f"code {info.code}" if info.code is not None else "",
        f"subcode {info.subcode}" if info.subcode is not None else "",
    ]
    text = ", ".join(p for p in parts if p)
    return f" ({text})" if text else ""


def is_permanent(info: GraphErrorInfo) -> bool:
    """Token and permission errors: restarting or splitting the report cannot help."""
    code = info.code
    return (
        code in TOKEN_CODES
        or code == 10
        or (code is not None and 200 <= code <= 299)
        or info.subcode == INSIGHTS_PERMISSION_SUBCODE
    )


def safe(exc: Exception) -> str:
    """An exception for a log line: the tap's own messages, else only its type (no URLs)."""
    if isinstance(exc, (GraphFatalError, GraphRetriableError, GraphThrottleError)):
        return str(exc)
    return type(exc).__name__


class AccountTasks:
    """Runs tasks on a shared pool, at most ``per_account`` at once for one account.

    Results come back as messages that the coordinator handles on its own thread, so job
    state is only ever touched there.
    """

    def __init__(self, workers: int, per_account: int) -> None:
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
