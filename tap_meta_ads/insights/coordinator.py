"""The coordinator: admits, polls, restarts and splits report runs of every account.

It runs on one thread and owns every query's state, so none of it needs a lock. Each loop
turn it handles finished worker tasks, starts queries under the in-flight cap and the insights
throttle (round-robin over accounts), polls due runs in one batch per account, and then waits:
for worker results while any are out, otherwise through the injected ``sleep`` until the next
poll. Polls back off x1.5 per unfinished answer up to ``max_poll_interval``.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from tap_meta_ads.graph.errors import (
    Action,
    DailyQuotaError,
    GraphErrorInfo,
    GraphFatalError,
    TooMuchDataError,
    answer_error,
    classify,
    codes,
    is_permanent,
    is_unknown_object,
    job_error,
    safe,
)
from tap_meta_ads.insights.calls import CountingCalls
from tap_meta_ads.insights.deadlines import Deadlines
from tap_meta_ads.insights.ledger import Ledger
from tap_meta_ads.insights.lister import EntityLister
from tap_meta_ads.insights.runs import (
    BACKOFF,
    PAGE_SIZE,
    EngineSettings,
    Part,
    Pending,
    ThrottleGate,
    create_run,
    percent,
    poll_runs,
    read_rows,
)
from tap_meta_ads.insights.splitting import Splitting
from tap_meta_ads.insights.spool import Spool, row_key
from tap_meta_ads.insights.tasks import AccountTasks

#: Polls answering 100/33 tolerated per run: Meta races creating a run against reading it.
MAX_UNSUPPORTED_POLLS = 5
#: Transient poll errors tolerated per run before its group fails.
MAX_POLL_ERRORS = 10
#: The report run statuses Meta sends (AdReportRun ``async_status``); others are malformed.
STATES = frozenset(
    f"Job {s}" for s in ("Not Started", "Started", "Running", "Completed", "Failed", "Skipped")
)


class Coordinator(Splitting):
    """Job state machine for all accounts; ``run`` is the coordinator thread's body."""

    def __init__(
        self,
        calls: CountingCalls,
        ledger: Ledger,
        spool: Spool,
        tasks: AccountTasks,
        settings: EngineSettings,
        logger: logging.Logger,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._calls = calls
        self._ledger = ledger
        self._spool = spool
        self._tasks = tasks
        self._set = settings
        self._logger = logger
        self._clock = clock
        self._sleep = sleep
        self._lister = EntityLister(calls)
        self._inbox: list[Part] = []  # filled by callers, under the inbox lock
        self._inbox_lock = threading.Lock()
        self._pending = Pending()
        self._running: dict[str, Part] = {}
        self._gate = ThrottleGate(calls, settings, logger, ledger, clock)
        self._deadlines = Deadlines(settings.job_timeout)
        self._in_flight = 0
        self._account_runs: Counter[str] = Counter()  # report runs in flight per account
        self.stopping = False

    def add(self, parts: list[Part]) -> None:
        """Queue parts from any thread."""
        with self._inbox_lock:
            self._inbox.extend(parts)
        self._tasks.wake()

    def stop(self) -> None:
        self.stopping = True
        self._tasks.wake()

    def run(self) -> None:
        try:
            while not self.stopping:
                with self._inbox_lock:
                    inbox, self._inbox = self._inbox, []
                for part in inbox:
                    self._pending.add(part)
                self._tasks.drain()
                now = self._clock()
                self._admit(now)
                self._poll(now)
                self._gate.refresh(now, self._pending, self._tasks, self._fail_account)
                self._wait()
        except Exception as exc:
            self._logger.exception("insights job manager: internal error")
            self._ledger.stop(exc)

    def _wait(self) -> None:
        now = self._clock()
        times = [p.next_poll for p in self._running.values() if not p.polling]
        refresh = self._gate.next_refresh(self._pending)
        due = min([*times, refresh] if refresh is not None else times, default=None)
        if self._tasks.outstanding:
            self._tasks.next_message(None if due is None else max(0.0, due - now))
        elif due is None:
            self._tasks.next_message(None)  # idle until a submission or close
        elif due > now:
            self._sleep(due - now)

    def _dispatch(
        self, part: Part, work: Callable[..., Any], done: Callable[..., None], *args: Any
    ) -> None:
        self._tasks.submit(
            part.account, functools.partial(work, *args), functools.partial(done, part)
        )

    # -- admission ----------------------------------------------------------------------------

    def _admit(self, now: float) -> None:
        """Start queries round-robin over accounts, under the cap and the insights throttle."""
        for part in self._pending.take(
            lambda: self._in_flight >= self._set.max_in_flight,
            self._drop_failed,
            lambda account: self._gate.held(account, now),
            lambda account: self._account_runs[account] < self._set.max_per_account,
        ):
            self._launch(part)

    def _drop_failed(self, part: Part) -> bool:
        """Close a waiting part whose group failed meanwhile (True), or keep it."""
        if not self._ledger.is_failed(part.group):
            return False
        self._ledger.close_part(part.group, [])
        return True

    def _launch(self, part: Part) -> None:
        now = self._clock()
        if self._deadlines.passed(part, now):  # a restart or split piece, out of time
            self._out_of_time(part, now)
            return
        self._deadlines.start(part, now)
        self._in_flight += 1
        self._account_runs[part.account] += 1
        part.holds_slot = True
        self._ledger.peak("max_in_flight", self._in_flight)
        self._ledger.gauge("in_flight", self._in_flight)
        self._dispatch(part, create_run, self._on_created, self._calls, part.query)

    def _release(self, part: Part) -> None:
        if part.holds_slot:
            part.holds_slot = False
            self._in_flight -= 1
            self._account_runs[part.account] -= 1
            self._ledger.gauge("in_flight", self._in_flight)

    def _read(self, part: Part, path: str) -> Any:
        params = {"limit": str(PAGE_SIZE)}
        return read_rows(self._calls, self._spool, part.account, path, params, row_key(part.key))

    # -- report runs --------------------------------------------------------------------------

    def _on_created(self, part: Part, run_id: Any, exc: Exception | None) -> None:
        if isinstance(exc, DailyQuotaError):  # Meta withholds it today: empty, not failed
            self._release(part)
            self._ledger.count(quota_skipped=1)
            self._logger.warning(
                "%s: %s: no rows for %s in this run (nothing is lost: the bookmark stays, the "
                "next run asks again)",
                part.group,
                exc.line,
                part.query.describe(),
            )
            self._ledger.mark_incomplete(part.group)
            self._ledger.close_part(part.group, [])
            return
        if exc is not None:
            self._release(part)
            self._on_error(part, exc, "creating the report run")
            return
        now = self._clock()
        part.run_id, part.created_at = str(run_id), now
        part.interval, part.next_poll = self._set.poll_interval, now + self._set.poll_interval
        part.unsupported = part.poll_errors = 0
        self._running[part.run_id] = part
        self._ledger.count(jobs_started=1)

    def _poll(self, now: float) -> None:
        """Poll every due run, with runs of the same account due soon in the same batch."""
        for part in list(self._running.values()):
            if not part.polling and self._ledger.is_failed(part.group):
                self._unrun(part)
                self._ledger.close_part(part.group, [])
        due = {p.account for p in self._running.values() if not p.polling and p.next_poll <= now}
        horizon = now + self._set.poll_interval / 2
        batches: dict[str, list[Part]] = defaultdict(list)
        for part in self._running.values():
            if part.account in due and not part.polling and part.next_poll <= horizon:
                part.polling = True
                batches[part.account].append(part)
        for account, parts in batches.items():
            self._tasks.submit(
                account,
                functools.partial(poll_runs, self._calls, account, [str(p.run_id) for p in parts]),
                functools.partial(self._on_polled, parts),
            )

    def _on_polled(self, parts: list[Part], answers: Any, exc: Exception | None) -> None:
        now = self._clock()
        for index, part in enumerate(parts):
            part.polling = False
            if part.run_id not in self._running:
                continue
            if self._ledger.is_failed(part.group):
                self._unrun(part)
                self._ledger.close_part(part.group, [])
            elif exc is not None:
                self._on_poll_error(part, exc, None, now)
            elif answers[index] is None:  # Meta did not finish this item: ask next time
                self._not_finished(part, now)
            else:
                self._on_answer(part, answers[index], now)

    def _on_answer(self, part: Part, answer: dict[str, Any], now: float) -> None:
        body = answer.get("body")
        code = answer.get("code")
        status = code if isinstance(code, int) and not isinstance(code, bool) else 200
        info = answer_error(status, body)
        if info is not None or not isinstance(body, dict):
            self._on_poll_error(part, None, info, now)
            return
        state = body.get("async_status")
        if state not in STATES:  # garbage: polled again like a transient error, then fatal
            what = f"async_status {str(state)[:40]!r} is not a report run status"
            info = GraphErrorInfo(http_status=status, message=what, is_transient=True)
            self._on_poll_error(part, None, info, now)
            return
        part.poll_errors = 0
        if state == "Job Completed" and percent(body.get("async_percent_completion")) >= 100:
            self._unrun(part, release=False)  # the slot is held until the rows are read
            self._dispatch(part, self._read, self._on_read, part, f"/{part.run_id}/insights")
        elif state in ("Job Failed", "Job Skipped"):
            self._unrun(part)
            self._ledger.count(**{"failed" if state == "Job Failed" else "skipped": 1})
            self._run_failed(part, f"ended {state}", job_error(body))
        else:
            self._not_finished(part, now)

    def _not_finished(self, part: Part, now: float) -> None:
        if self._deadlines.passed(part, now):
            self._unrun(part)
            self._out_of_time(part, now)
        elif now - part.created_at >= self._set.job_timeout:
            self._unrun(part)
            self._ledger.count(timed_out=1)
            self._run_failed(part, f"was not finished after {self._set.job_timeout:.0f}s", None)
        else:
            self._schedule(part, now, grow=True)

    def _out_of_time(self, part: Part, now: float) -> None:
        """A query's report runs outlasted their deadline: the account's insights fail."""
        exc = self._deadlines.error(part, now)
        self._fail(part, exc)
        for other in list(self._running.values()):  # closed as their polls come back
            if other.account == part.account and self._ledger.fail(other.group, exc):
                self._logger.warning("%s: failed: %s", other.group, exc.line)
        self._fail_account(part.account, exc)

    def _on_poll_error(
        self, part: Part, exc: Exception | None, info: GraphErrorInfo | None, now: float
    ) -> None:
        unsupported = is_unknown_object(info)
        if unsupported and part.unsupported < MAX_UNSUPPORTED_POLLS:
            part.unsupported += 1
            self._schedule(part, now, grow=False)
            return
        if exc is not None:
            transient = not isinstance(exc, GraphFatalError)
        else:
            transient = not unsupported and (info is None or classify(info) is not Action.FATAL)
        if transient and part.poll_errors < MAX_POLL_ERRORS:
            part.poll_errors += 1
            self._schedule(part, now, grow=True)
            return
        self._unrun(part)
        self._fail(
            part,
            exc
            or GraphFatalError(
                info or GraphErrorInfo(http_status=0, message="no report run status"),
                part.account,
                f"polling insights report run {part.run_id} of {part.group}",
            ),
        )

    def _schedule(self, part: Part, now: float, *, grow: bool) -> None:
        if grow:
            part.interval = min(part.interval * BACKOFF, self._set.max_poll_interval)
        deadline = part.created_at + self._set.job_timeout
        part.next_poll = min(now + part.interval, max(now, deadline))

    def _unrun(self, part: Part, *, release: bool = True) -> None:
        if part.run_id is not None:
            self._running.pop(part.run_id, None)
        if release:
            self._release(part)

    def _on_read(self, part: Part, result: Any, exc: Exception | None) -> None:
        self._release(part)
        if exc is not None:
            self._on_error(part, exc, "reading the report run's rows")
            return
        self._ledger.count(completed=1, rows=result[1])
        self._ledger.close_part(part.group, result[0])

    def _on_error(self, part: Part, exc: Exception, doing: str) -> None:
        if isinstance(exc, TooMuchDataError):
            self._split(part, exc.info, f"{doing} hit Meta's data-per-call limit")
        else:
            self._fail(part, exc)

    def _run_failed(self, part: Part, what: str, info: GraphErrorInfo | None) -> None:
        """Restart a failed, skipped or timed-out run once; split it when it fails again."""
        if info is not None and classify(info) is Action.SPLIT:
            self._split(part, info, f"report run {part.run_id} {what}: report too large")
        elif info is not None and is_permanent(info):
            self._fail(part, GraphFatalError(info, part.account, f"insights report {part.group}"))
        elif part.failures == 0:
            part.failures = 1
            self._ledger.count(restarted=1)
            self._logger.info(
                "%s: report run %s (%s) %s%s; restarting it once",
                part.group,
                part.run_id,
                part.query.describe(),
                what,
                codes(info),
            )
            part.run_id = None
            self._pending.add(part, front=True)
        else:
            self._split(part, info, f"report run {part.run_id} {what} again")

    def _fail_account(self, account: str, exc: Exception) -> None:
        """Fail every waiting part of the account (its token or permission failed)."""
        for part in self._pending.pop_account(account):
            self._fail(part, exc)

    def _fail(self, part: Part, exc: Exception) -> None:
        """Fail the part's group only; the other groups go on."""
        if self._ledger.fail(part.group, exc):
            self._logger.warning("%s: failed: %s", part.group, safe(exc))
        self._ledger.close_part(part.group, [])
