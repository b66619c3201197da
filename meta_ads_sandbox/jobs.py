"""Async insights jobs (AdReportRun): wall-clock progression, deterministic failures, results.

A job moves "Job Not Started" -> "Job Started" -> "Job Running" (percent rising) -> a terminal
state once `job_seconds` have passed since its creation. Whether it ends Completed, Failed or
Skipped is a hash of (seed, scope, query, attempt), where attempt counts earlier jobs with the
same scope and query, so a resubmitted job gets a fresh draw. A job whose result has more rows
than `async_row_limit` fails with -3/1504045. Rows are computed when the job reaches its end.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from meta_ads_sandbox import ids
from meta_ads_sandbox.insights import InsightsQuery
from meta_ads_sandbox.insights_rows import InsightsEngine, Scope
from meta_ads_sandbox.rng import Rng, digits

NOT_STARTED, STARTED, RUNNING = "Job Not Started", "Job Started", "Job Running"
COMPLETED, FAILED, SKIPPED = "Job Completed", "Job Failed", "Job Skipped"
RESULT_CACHE = 64
FAILURE = {
    "error_code": -2,
    "error_subcode": 2490547,
    "error_message": "Report generation failed. Please try again.",
    "error_user_title": "Report generation failed",
    "error_user_msg": "Something went wrong while generating this report. Please try again.",
}
TOO_LARGE = {
    "error_code": -3,
    "error_subcode": 1504045,
    "error_message": "The report is too large to generate. Please reduce the amount of data.",
    "error_user_title": "Report Too Large",
    "error_user_msg": "Reduce the date range, the number of breakdowns or the level of detail, "
    "then try again.",
}


@dataclass
class Job:
    """One report run."""

    id: str
    scope: Scope
    query: InsightsQuery
    token: str
    created: float
    outcome: str  # the terminal state drawn at creation
    state: str = NOT_STARTED
    error: dict[str, Any] | None = None
    completed_at: float | None = None
    row_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def account(self) -> int:
        return self.scope.account


class JobTable:
    """Every report run created on this server."""

    def __init__(
        self,
        engine: InsightsEngine,
        seed: int,
        job_seconds: float,
        failure_rate: float,
        skip_rate: float,
        row_limit: int | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._seed = seed
        self._seconds = job_seconds
        self._failure = failure_rate
        self._skip = skip_rate
        self._row_limit = row_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        #: Each account's jobs of the last ``job_seconds``, oldest first: only they can be in
        #: flight, so counting them never walks every job the server ever made.
        self._recent: dict[int, deque[Job]] = {}
        self._attempts: dict[str, int] = {}
        self._results: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.counts = {"created": 0, "completed": 0, "failed": 0, "skipped": 0}

    def create(self, scope: Scope, query: InsightsQuery, token: str) -> Job:
        """Start a job; its fate is drawn now, its rows computed when it ends."""
        identity = f"{scope}|{query.key()}"
        with self._lock:
            attempt = self._attempts.get(identity, 0)
            self._attempts[identity] = attempt + 1
            n = self.counts["created"]
            self.counts["created"] += 1
            job_id = "60" + digits(self._seed, "report-run", n, length=14)
            while job_id in self._jobs:
                n += 1_000_003
                job_id = "60" + digits(self._seed, "report-run", n, length=14)
            u = Rng(self._seed, "job-outcome", identity, attempt).unit()
            outcome = COMPLETED
            if u < self._failure:
                outcome = FAILED
            elif u < self._failure + self._skip:
                outcome = SKIPPED
            job = Job(job_id, scope, query, token, self._clock(), outcome)
            self._jobs[job_id] = job
            self._recent.setdefault(job.account, deque()).append(job)
            return job

    def get(self, job_id: str) -> Job | None:
        """The job with this ID, if any."""
        with self._lock:
            return self._jobs.get(job_id)

    def _advance(self, job: Job) -> None:
        """Move the job's state on with the clock (computing the rows at the end)."""
        with job.lock:
            if job.state in (COMPLETED, FAILED, SKIPPED):
                return
            elapsed = self._clock() - job.created
            fraction = elapsed / self._seconds if self._seconds > 0 else 1.0
            if fraction < 0.15:
                job.state = NOT_STARTED
            elif fraction < 0.3:
                job.state = STARTED
            elif fraction < 1.0:
                job.state = RUNNING
            else:
                self._finish(job)

    def _finish(self, job: Job) -> None:
        job.completed_at = job.created + self._seconds
        if job.outcome == COMPLETED:
            rows = self._engine.rows(job.scope, job.query)
            if self._row_limit is not None and len(rows) > self._row_limit:
                job.state, job.error = FAILED, TOO_LARGE
            else:
                job.state, job.row_count = COMPLETED, len(rows)
                self._keep(job.id, rows)
        elif job.outcome == FAILED:
            job.state, job.error = FAILED, FAILURE
        else:
            job.state = SKIPPED
        with self._lock:
            key = {COMPLETED: "completed", FAILED: "failed", SKIPPED: "skipped"}[job.state]
            self.counts[key] += 1

    def _keep(self, job_id: str, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._results[job_id] = rows
            self._results.move_to_end(job_id)
            while len(self._results) > RESULT_CACHE:
                self._results.popitem(last=False)

    def status(self, job: Job) -> dict[str, Any]:
        """The AdReportRun fields of the job now."""
        self._advance(job)
        elapsed = self._clock() - job.created
        percent = 0
        if job.state == RUNNING:
            percent = max(1, min(99, int(100 * elapsed / self._seconds))) if self._seconds else 99
        elif job.state == COMPLETED:
            percent = 100
        since = min(a for a, _ in job.query.ranges)
        until = max(b for _, b in job.query.ranges)
        data: dict[str, Any] = {
            "id": job.id,
            "account_id": ids.account_number(job.account),
            "time_ref": int(job.created),
            "async_status": job.state,
            "async_percent_completion": percent,
            "date_start": since.isoformat(),
            "date_stop": until.isoformat(),
            "is_running": job.state in (NOT_STARTED, STARTED, RUNNING),
        }
        if job.completed_at is not None and job.state == COMPLETED:
            data["time_completed"] = int(job.completed_at)
        if job.error:
            data.update(job.error)
        return data

    def results(self, job: Job) -> list[dict[str, Any]] | None:
        """The job's rows, or None when it has not completed."""
        self._advance(job)
        if job.state != COMPLETED:
            return None
        with self._lock:
            rows = self._results.get(job.id)
        if rows is None:  # evicted: recompute (same rows unless the epoch moved since)
            rows = self._engine.rows(job.scope, job.query)
            self._keep(job.id, rows)
        return rows

    def in_flight(self, account: int | None = None) -> int:
        """Jobs not yet ended (for one account, or all)."""
        with self._lock:
            return self._count_in_flight(account)

    def _count_in_flight(self, account: int | None) -> int:
        """Jobs created less than ``job_seconds`` ago and not ended (the lock held)."""
        if not self._seconds:
            return 0
        now = self._clock()
        queues = self._recent.values() if account is None else [self._recent.get(account)]
        count = 0
        for recent in queues:
            if not recent:
                continue
            while recent and now - recent[0].created >= self._seconds:
                recent.popleft()
            count += sum(1 for job in recent if job.state not in (COMPLETED, FAILED, SKIPPED))
        return count

    def stats(self) -> dict[str, int]:
        """Jobs created, completed, failed, skipped and in flight."""
        with self._lock:
            return dict(self.counts, in_flight=self._count_in_flight(None))
