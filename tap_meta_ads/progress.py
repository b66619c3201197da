"""Progress lines: one INFO line every ``progress_seconds`` while a run lasts."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from tap_meta_ads.runlog import RunLog


class Progress:
    """Where the run is (cheap to update from any stream) and the reporter thread."""

    def __init__(
        self,
        log: RunLog,
        insights_stats: Callable[[], dict[str, Any] | None],
        every_seconds: float,
        logger: logging.Logger,
    ) -> None:
        self._log = log
        self._insights_stats = insights_stats
        self._every = every_seconds
        self._logger = logger
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[dt.date, dt.date]] = {}
        # A tuple swap is atomic: the hot path (one call per record) takes no lock.
        self._position: tuple[str, str | None, Any] = ("", None, None)

    def note_window(self, group: str, since: dt.date, until: dt.date) -> None:
        with self._lock:
            self._windows[group] = (since, until)

    def note_position(self, stream: str, subject: str | None, row: dict[str, Any]) -> None:
        self._position = (stream, subject, row.get("date_start"))

    def line(self) -> str:
        """The progress line for now (also while nothing is written yet: a long wait on Meta
        never looks like a hang)."""
        stream, subject, day = self._position
        parts = []
        if stream:
            run = self._log.entry(subject, stream)
            parts.append(f"{stream} account {subject}: {run.records} rows")
            with self._lock:
                window = self._windows.get(f"{stream}/{subject}")
            if window and isinstance(day, str):
                done = (dt.date.fromisoformat(day[:10]) - window[0]).days + 1
                parts.append(f"day {max(done, 0)} of {(window[1] - window[0]).days + 1}")
        else:
            requests = sum(r.requests for r in self._log.entries())
            parts.append(f"no rows written yet; {requests} requests so far")
        stats = self._insights_stats()
        if stats is not None:
            parts.append(
                f"{stats.get('in_flight', 0)} report runs running, {stats.get('completed', 0)} done"
            )
        waited = sum(r.rate_limit_wait for r in self._log.entries())
        parts.append(f"{waited:.0f}s waited on rate limits")
        return "; ".join(parts)

    def report_until(self, stop: threading.Event) -> None:
        """Log a line every ``every_seconds`` until ``stop`` is set (none on short runs)."""
        while not stop.wait(self._every):
            self._logger.info("progress: %s", self.line())

    def start(self) -> Callable[[], None]:
        """Start the reporter thread; returns the function that stops it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.report_until, args=(stop,), name="tap-meta-ads-progress", daemon=True
        )
        thread.start()
        return stop.set
