"""Report runs: their state, the throttle gate, and the wire work of creating, polling, reading.

``create_run``, ``poll_runs`` and ``read_rows`` run on worker threads (``tasks``); the
coordinator alone touches ``Part`` and ``ThrottleGate`` state.
"""

from __future__ import annotations

import functools
import logging
import pathlib
from collections import deque
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from typing import Any

from tap_meta_ads.graph.errors import (
    MAX_BATCH,
    DailyQuotaError,
    GraphErrorInfo,
    GraphFatalError,
    GraphRetriableError,
    is_fatal,
)
from tap_meta_ads.insights.calls import CountingCalls, GraphCalls, iter_pages
from tap_meta_ads.insights.ledger import Ledger
from tap_meta_ads.insights.query import ReportQuery
from tap_meta_ads.insights.spool import RowKey, Spool
from tap_meta_ads.insights.tasks import AccountTasks

STATUS_FIELDS = (
    "id,async_status,async_percent_completion,error_code,error_subcode,"
    "error_message,error_user_title,error_user_msg"
)
#: Poll and refresh intervals grow by this factor while the answer is "not yet".
BACKOFF = 1.5
#: Unfinished batch items (``null``) asked again at once, before waiting for the next poll.
NULL_ITEM_RETRIES = 2
#: An account's new runs wait while its insights throttle is at this percentage or above.
THROTTLE_HIGH_WATER = 75.0
#: ``limit`` of a report run's result pages.
PAGE_SIZE = 500
#: A cheap insights read whose only purpose is a fresh X-FB-Ads-Insights-Throttle header.
REFRESH_PARAMS = {"fields": "account_id", "date_preset": "today"}


@dataclass(frozen=True)
class EngineSettings:
    """The manager's tuning, as passed to ``InsightsJobManager``."""

    max_in_flight: int = 10
    #: Report runs of one account running at once (its insights budget is its own).
    max_per_account: int = 2
    poll_interval: float = 5.0
    max_poll_interval: float = 30.0
    job_timeout: float = 3600.0


@dataclass(eq=False)
class Part:
    """A query being produced: a submitted query, or a piece of one after a split."""

    group: str
    query: ReportQuery
    key: tuple[str, ...]
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


class Pending:
    """Parts waiting to start, per account in order; the accounts take turns."""

    def __init__(self) -> None:
        self._parts: dict[str, deque[Part]] = {}

    def __contains__(self, account: object) -> bool:
        return account in self._parts

    def add(self, part: Part, *, front: bool = False) -> None:
        parts = self._parts.setdefault(part.account, deque())
        if front:
            parts.appendleft(part)
        else:
            parts.append(part)

    def pop_account(self, account: str) -> list[Part]:
        """Take every waiting part of ``account``."""
        return list(self._parts.pop(account, ()))

    def take(
        self,
        full: Callable[[], bool],
        drop: Callable[[Part], bool],
        held: Callable[[str], bool],
        room: Callable[[str], bool] = lambda account: True,
    ) -> Iterator[Part]:
        """Parts to start, round-robin over accounts, until ``full()`` or none can start.

        Leading parts ``drop`` accepts are removed; accounts ``held`` (asked once per call)
        keep theirs, and so do accounts without ``room`` (asked before each part).
        """
        holds: dict[str, bool] = {}
        taken = True
        while taken:
            taken = False
            for account in list(self._parts):
                if full():
                    return
                parts = self._parts[account]
                while parts and drop(parts[0]):
                    parts.popleft()
                if not parts:
                    del self._parts[account]
                    continue
                if account not in holds:
                    holds[account] = held(account)
                if holds[account] or not room(account):
                    continue
                part = parts.popleft()
                del self._parts[account]  # re-inserted last: round-robin across accounts
                if parts:
                    self._parts[account] = parts
                taken = True
                yield part


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
        self,
        calls: GraphCalls,
        settings: EngineSettings,
        logger: logging.Logger,
        stats: Ledger,
        clock: Callable[[], float],
    ) -> None:
        self._calls = calls
        self._set = settings
        self._logger = logger
        self._stats = stats
        self._clock = clock
        self._holds: dict[str, Hold] = {}

    def held(self, account: str, now: float) -> bool:
        pct = self._calls.insights_throttle(account)
        high = THROTTLE_HIGH_WATER
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

    def refresh(
        self,
        now: float,
        pending: Container[str],
        tasks: AccountTasks,
        failed: Callable[[str, GraphFatalError], None],
    ) -> None:
        """Read the insights edge of each held account due for a fresh throttle header.

        A fatal answer (token, permission) is handed to ``failed`` with the account.
        """
        due = [account for account, hold in self._active(pending) if hold.next_refresh <= now]
        for account in due:
            self._holds[account].refreshing = True
            path = f"/act_{account}/insights"
            tasks.submit(
                account,
                functools.partial(self._calls.get, account, path, dict(REFRESH_PARAMS)),
                functools.partial(self._refreshed, account, failed),
            )

    def next_refresh(self, pending: Container[str]) -> float | None:
        """When the next held account's header is due to be read again, if any is held."""
        return min((hold.next_refresh for _, hold in self._active(pending)), default=None)

    def _refreshed(
        self,
        account: str,
        failed: Callable[[str, GraphFatalError], None],
        _result: Any,
        exc: Exception | None,
    ) -> None:
        hold = self._holds.get(account)
        if hold is not None:
            hold.refreshing = False
            hold.interval = min(hold.interval * BACKOFF, self._set.max_poll_interval)
            hold.next_refresh = self._clock() + hold.interval
        if is_fatal(exc):
            failed(account, exc)


def create_run(calls: GraphCalls, query: ReportQuery) -> str:
    """``POST /act_<id>/insights``; the report run id (Meta sends a string or a number)."""
    account = query.account_id
    path = f"/act_{account}/insights"
    used = calls.reach_throttle(account) if isinstance(calls, CountingCalls) else None
    if used is not None and used >= 100.0 and query.reach_limited():
        # x-fb-ads-insights-reach-throttle: the day's reach runs are used; asking would only
        # be refused (and counted)
        info = GraphErrorInfo(http_status=0, message="x-fb-ads-insights-reach-throttle is at 100 %")
        raise DailyQuotaError(
            info,
            account,
            "",
            line=f"account {account}: Meta's daily reach report runs are used "
            "(x-fb-ads-insights-reach-throttle at 100 %)",
        )
    if query.quota_limited():
        body = calls.post(account, path, query.graph_params(), quota_limited=True)
    else:
        body = calls.post(account, path, query.graph_params())
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
        for start in range(0, len(todo), MAX_BATCH):
            chunk = todo[start : start + MAX_BATCH]
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
) -> tuple[list[pathlib.Path], int]:
    """Every row of a paged insights read, spooled; partial files are removed on failure."""
    writer = spool.writer(key)
    try:
        for page in iter_pages(calls, account, path, params):
            writer.add(page)
            del page  # encoded now: not held while the next page is read
        return writer.finish(), writer.rows
    except BaseException:
        writer.discard()
        raise


def percent(value: Any) -> float:
    """``async_percent_completion`` as a number (0 when Meta sends none)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
