"""Insights rows of many ad accounts at once, from async report runs (Meta's AdReportRun).

Streams ``submit`` one query per account under a group (``ad_insights/1001``), then read each
group's rows with ``results``. Behind it:

- ``coordinator.Coordinator`` (one thread) admits queries under ``max_in_flight`` and the
  insights throttle, polls runs in batches per account, restarts failed runs once and splits
  what Meta cannot produce (``query``: by date, then object, then field);
- ``tasks.AccountTasks`` (a pool of worker threads, a bounded number busy per account) creates
  runs, polls them, reads their rows (``runs``) and lists objects for splits (``lister``);
- ``spool`` keeps finished rows on disk, ``ledger`` tracks each group until it is merged on
  its primary key.
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

from tap_meta_ads.insights.calls import CountingCalls, GraphCalls
from tap_meta_ads.insights.coordinator import Coordinator
from tap_meta_ads.insights.ledger import Ledger
from tap_meta_ads.insights.levels import level_of
from tap_meta_ads.insights.query import ReportQuery, with_key_fields
from tap_meta_ads.insights.runs import EngineSettings, Part
from tap_meta_ads.insights.spool import Spool
from tap_meta_ads.insights.tasks import AccountTasks


class InsightsJobManager:
    """Produces insights rows for many accounts with async report runs; splits what is too big.

    ``calls`` must be safe to call from the worker threads for different accounts; ``clock``
    and ``sleep`` are the engine's time (tests pass fake ones).
    """

    def __init__(
        self,
        calls: GraphCalls,
        *,
        logger: logging.Logger,
        max_in_flight: int = 10,
        max_per_account: int = 2,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        job_timeout: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = EngineSettings(
            max_in_flight=max(1, max_in_flight),
            max_per_account=max(1, max_per_account),
            poll_interval=poll_interval,
            max_poll_interval=max(poll_interval, max_poll_interval),
            job_timeout=job_timeout,
        )
        self._calls = calls
        self._logger = logger
        self._clock = clock
        self._sleep = sleep
        self.spool_path = pathlib.Path(tempfile.mkdtemp(prefix="tap-meta-ads-insights-"))
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
        row can be keyed.
        """
        level_of(query.level)  # an unknown level fails here, not on a worker
        query.filters()  # so does a malformed filtering param
        part = Part(group, with_key_fields(query, primary_key), primary_key)
        ledger = self._require_open()
        ledger.open_parts(group, primary_key, 1)
        ledger.count(submitted=1)
        with self._lock:
            coordinator = self._coordinator
            if coordinator is None:
                self._pending.append(part)
        if coordinator is not None:
            coordinator.add([part])

    def start(self) -> None:
        """Start the coordinator thread and the worker pool (idempotent)."""
        ledger = self._require_open()
        with self._lock:
            if self._coordinator is not None:
                return
            self._tasks = AccountTasks()
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

    def incomplete(self, group: str) -> bool:
        """Whether Meta withheld part of the group (a daily quota): its state must not move."""
        return self._ledger.incomplete(group)

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
