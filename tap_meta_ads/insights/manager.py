"""Insights rows of many ad accounts at once, from async report runs (Meta's AdReportRun).

Streams ``submit`` one query per account under a group (``ad_insights/1001``), then read each
group's rows with ``results``. Behind it:

- ``insights_engine.Coordinator`` (one thread) admits queries under ``max_in_flight`` and the
  insights throttle, polls runs in batches per account, restarts failed runs once and splits
  what Meta cannot produce (``insights_plan``: by date, then object, then field);
- ``insights_runs.AccountTasks`` (a pool of ``workers`` threads, at most ``account_workers``
  busy per account) creates runs, polls them, reads their rows and lists objects for splits;
- ``insights_spool`` keeps finished rows on disk and merges each group on its primary key.
"""

from __future__ import annotations

import logging
import pathlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tap_meta_ads.insights_engine import Coordinator
from tap_meta_ads.insights_plan import (
    LEVELS,
    ReportQuery,
    ReportTooLargeError,
    chunk_dates,
    with_key_fields,
)
from tap_meta_ads.insights_runs import AccountTasks, CountingCalls, EngineSettings, GraphCalls, Part
from tap_meta_ads.insights_spool import Ledger, Spool

__all__ = ["GraphCalls", "InsightsJobManager", "ReportQuery", "ReportTooLargeError"]


class InsightsJobManager:
    """Produces insights rows for many accounts with async report runs; splits what is too big.

    Beyond the tap's settings: ``workers`` threads run network calls, at most
    ``account_workers`` of them for one account at once; ``page_size`` is the ``limit`` of
    result reads; ``max_days_per_job`` (0: off) cuts long ranges into consecutive runs up
    front; ``spool_run_rows`` bounds the rows a read holds in memory before sorting them to
    disk. ``calls`` must be safe to call from ``workers`` threads for different accounts.
    """

    def __init__(
        self,
        calls: GraphCalls,
        *,
        max_in_flight: int = 10,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        job_timeout: float = 3600.0,
        throttle_high_water: float = 75.0,
        sync_max_days: int = 0,
        spool_dir: pathlib.Path | None = None,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = 8,
        account_workers: int = 1,
        page_size: int = 500,
        max_days_per_job: int = 0,
        spool_run_rows: int = 10_000,
    ) -> None:
        self._settings = EngineSettings(
            max_in_flight=max(1, max_in_flight),
            poll_interval=poll_interval,
            max_poll_interval=max(poll_interval, max_poll_interval),
            job_timeout=job_timeout,
            throttle_high_water=throttle_high_water,
            sync_max_days=sync_max_days,
            page_size=page_size,
            run_rows=spool_run_rows,
        )
        self._calls = calls
        self._logger = logger
        self._clock = clock
        self._sleep = sleep
        self._workers = workers
        self._account_workers = account_workers
        self._max_days_per_job = max_days_per_job
        if spool_dir is not None:
            spool_dir.mkdir(parents=True, exist_ok=True)
        self.spool_path = pathlib.Path(
            tempfile.mkdtemp(prefix="tap-meta-ads-insights-", dir=spool_dir)
        )
        self._spool = Spool(self.spool_path)
        self._ledger = Ledger(self._spool, clock)
        self._lock = threading.Lock()
        self._pending: list[Part] = []
        self._coordinator: Coordinator | None = None
        self._tasks: AccountTasks | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, group: str, query: ReportQuery, primary_key: tuple[str, ...]) -> None:
        """Queue a query under a group (e.g. ``ad_insights/1001``); returns at once.

        Primary-key columns missing from ``fields`` (ids, not breakdowns) are added so every
        row can be keyed; ``max_days_per_job`` cuts long ranges into consecutive runs.
        """
        if query.level not in LEVELS:
            msg = f"unknown insights level {query.level!r}"
            raise ValueError(msg)
        query.filters()  # a malformed filtering param fails here, not on a worker
        query = with_key_fields(query, primary_key)
        parts = [Part(group, q, primary_key) for q in chunk_dates(query, self._max_days_per_job)]
        ledger = self._require_open()
        ledger.open_parts(group, primary_key, len(parts))
        ledger.count(submitted=1)
        with self._lock:
            coordinator = self._coordinator
            if coordinator is None:
                self._pending.extend(parts)
        if coordinator is not None:
            coordinator.add(parts)

    def start(self) -> None:
        """Start the coordinator thread and the worker pool (idempotent)."""
        ledger = self._require_open()
        with self._lock:
            if self._coordinator is not None:
                return
            self._tasks = AccountTasks(self._workers, self._account_workers)
            self._coordinator = Coordinator(
                CountingCalls(self._calls, ledger.count),
                ledger,
                self._spool,
                self._tasks,
                self._settings,
                self._logger,
                self._clock,
                self._sleep,
            )
            self._coordinator.add(self._pending)
            self._pending = []
            ledger.started_at = self._clock()
            self._thread = threading.Thread(
                target=self._coordinator.run, name="insights-coordinator", daemon=True
            )
            self._thread.start()

    def results(self, group: str) -> Iterator[dict[str, Any]]:
        """Wait for the group; yield its rows, each key once, by day then key (or its error)."""
        self.start()
        yield from self._require_open().rows(group)

    def failed_groups(self) -> dict[str, Exception]:
        return self._ledger.failed()

    def stats(self) -> dict[str, Any]:
        """Runs started, completed, failed, skipped, restarted; splits by kind; requests; time."""
        return self._ledger.snapshot()

    def close(self) -> None:
        """Stop the coordinator and workers and delete the spool files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._ledger.stop(RuntimeError("the insights job manager was closed"))
        if self._coordinator is not None:
            self._coordinator.stop()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.max_poll_interval + 5.0)
        if self._tasks is not None:
            self._tasks.shutdown()
        shutil.rmtree(self.spool_path, ignore_errors=True)

    def __enter__(self) -> InsightsJobManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_open(self) -> Ledger:
        if self._closed:
            msg = "the insights job manager is closed"
            raise RuntimeError(msg)
        return self._ledger
