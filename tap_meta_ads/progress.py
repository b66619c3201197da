"""Progress lines: per stream, accounts done of N, rows so far and an estimate of the time left.

While a stream is read, at most one line per ``progress_seconds`` (none for a stream shorter
than that), and one line when it finishes. Accounts are read ahead in parallel, so "k of N
accounts done" counts the accounts whose rows are all written; the time left is the stream's
time so far per account done, times the accounts left. Before any stream starts (connection
check, account listing) a line says how many requests were made, so a long wait on Meta never
looks like a hang.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tap_meta_ads.runlog import RunLog, StreamRun

#: How often the reporter thread looks at the run, at most (seconds).
TICK_SECONDS = 1.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``: short enough to read at a glance."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class _Planned:
    """One pass of a stream: the accounts (or tokens) it reads, and how far it is.

    An account may be read more than once in a pass, so it is done once each of its reads
    finished. A later pass of the same stream (insights: the older days, after every stream's
    recent days) counts its own rows and time: ``rows_before`` and ``since``.
    """

    reads: Counter[str]
    unit: str
    phase: str = ""
    rows_before: int = 0
    since: dt.datetime | None = None  # None: from the first read's start
    finished_reads: Counter[str] = field(default_factory=Counter)
    last_line: dt.datetime | None = None  # the stream's start, then its last line
    finished: bool = False

    @property
    def total(self) -> int:
        return len(self.reads)

    @property
    def done(self) -> int:
        return sum(self.finished_reads[s] >= n for s, n in self.reads.items())

    def title(self, stream: str) -> str:
        return f"{stream} {self.phase}" if self.phase else stream

    def rows(self, runs: list[StreamRun]) -> int:
        return sum(r.records for r in runs) - self.rows_before

    def seconds(self, runs: list[StreamRun], now: dt.datetime) -> float:
        start = self.since or min((r.started_at for r in runs), default=now)
        return (now - start).total_seconds()


class Progress:
    """Where the run is (cheap to update from any stream) and the reporter thread."""

    def __init__(
        self,
        log: RunLog,
        insights_stats: Callable[[], dict[str, Any] | None],
        every_seconds: float,
        logger: logging.Logger,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self._log = log
        self._insights_stats = insights_stats
        self._every = dt.timedelta(seconds=every_seconds)
        self._logger = logger
        self._clock = clock
        self._lock = threading.Lock()
        self._planned: dict[str, _Planned] = {}
        self._windows: dict[str, tuple[dt.date, dt.date]] = {}
        self._idle_since = clock()  # the last line before any stream started
        # A tuple swap is atomic: the hot path (one call per record) takes no lock.
        self._position: tuple[str, str | None, Any] = ("", None, None)
        log.on_finish(self._on_finish)

    def plan(
        self, stream: str, subjects: Sequence[str], unit: str = "accounts", phase: str = ""
    ) -> None:
        """``stream`` reads these accounts (or tokens) now, one entry per read; ``phase`` names
        a later pass (``older days``), whose lines count only its own rows and time."""
        if not subjects:
            return
        reads = Counter(subjects)
        runs = [r for r in self._log.entries() if r.stream == stream and r.subject in reads]
        again = any(r.finished_at is not None for r in runs)
        planned = _Planned(
            reads,
            unit,
            phase=phase,
            rows_before=sum(r.records for r in runs),
            since=self._clock() if again else None,
        )
        with self._lock:
            self._planned[stream] = planned

    def note_window(self, group: str, since: dt.date, until: dt.date) -> None:
        with self._lock:
            self._windows[group] = (since, until)

    def note_position(self, stream: str, subject: str | None, row: dict[str, Any]) -> None:
        self._position = (stream, subject, row.get("date_start"))

    # -- lines -------------------------------------------------------------------------------

    def due_lines(self) -> list[str]:
        """The lines due now: one per stream being read whose last line is ``every`` old."""
        now = self._clock()
        by_stream = self._entries_by_stream()
        lines = []
        with self._lock:
            reading = {
                name: planned
                for name, planned in self._planned.items()
                if not planned.finished and by_stream.get(name)
            }
            for planned in reading.values():
                if planned.last_line is None:
                    planned.last_line = now  # first seen: a stream shorter than every is quiet
            due = [n for n, p in reading.items() if now - (p.last_line or now) >= self._every]
            for name in due:
                reading[name].last_line = now
            idle = not by_stream and now - self._idle_since >= self._every  # none started yet
            if idle:
                self._idle_since = now
        if idle:
            lines.append(self._idle_line())
        lines += [self._stream_line(name, by_stream[name], now) for name in due]
        return lines

    def _stream_line(self, stream: str, runs: list[StreamRun], now: dt.datetime) -> str:
        with self._lock:
            planned = self._planned[stream]
            done, total = planned.done, planned.total
        elapsed = planned.seconds(runs, now)
        if done:
            left = f"about {duration(elapsed / done * (total - done))} left"
        else:
            one = planned.unit[:-1]  # account, token
            left = f"time left known once {'an' if one[0] in 'aeiou' else 'a'} {one} is done"
        parts = [
            f"{planned.title(stream)}: {done} of {total} {planned.unit} done, "
            f"{rows(planned.rows(runs))} so far, {duration(elapsed)} elapsed, {left}"
        ]
        day = self._day_of_window(stream)
        if day:
            parts.append(day)
        return "; ".join([*parts, *self._run_parts()])

    def _day_of_window(self, stream: str) -> str | None:
        """``account N at day d of D``: where the last row written of ``stream`` is."""
        at_stream, subject, day = self._position
        if at_stream != stream or not isinstance(day, str):
            return None
        with self._lock:
            window = self._windows.get(f"{stream}/{subject}")
        if window is None:
            return None
        try:
            done = (dt.date.fromisoformat(day[:10]) - window[0]).days + 1
        except ValueError:
            return None
        return f"account {subject} at day {max(done, 0)} of {(window[1] - window[0]).days + 1}"

    def _idle_line(self) -> str:
        requests = sum(r.requests for r in self._log.entries())
        return "; ".join([f"no stream read yet, {requests} requests so far", *self._run_parts()])

    def _run_parts(self) -> list[str]:
        parts = []
        stats = self._insights_stats()
        if stats is not None:
            parts.append(
                f"{stats.get('in_flight', 0)} report runs running, {stats.get('completed', 0)} done"
            )
        waited = sum(r.rate_limit_wait for r in self._log.entries())
        parts.append(f"{waited:.0f}s waited on rate limits")
        return parts

    def _on_finish(self, run: StreamRun) -> None:
        """An account of a stream finished: the stream's last line once all of them did."""
        with self._lock:
            planned = self._planned.get(run.stream)
            if planned is None or planned.finished:
                return
            if run.subject not in planned.reads:
                return
            planned.finished_reads[run.subject] += 1
            planned.finished = planned.done >= planned.total
            if not planned.finished:
                return
        self._logger.info("progress: %s", self.finished_line(run.stream))

    def finished_line(self, stream: str) -> str:
        """``ads finished: 3 of 3 accounts (1 failed), 240 rows in 12s`` (of this pass)."""
        runs = self._entries_by_stream().get(stream, [])
        with self._lock:
            planned = self._planned[stream]
            done, total, unit = planned.done, planned.total, planned.unit
        statuses = [r.status for r in runs]
        notes = ", ".join(
            f"{statuses.count(s)} {s}" for s in ("failed", "skipped") if s in statuses
        )
        took = planned.seconds(runs, self._clock())
        return (
            f"{planned.title(stream)} finished: {done} of {total} {unit}"
            f"{f' ({notes})' if notes else ''}, {rows(planned.rows(runs))} in {duration(took)}"
        )

    def _entries_by_stream(self) -> dict[str, list[StreamRun]]:
        """The run log's entries of each planned stream, for the accounts it plans to read
        (the account listing, counted under ``ad_account``, is not an account's read)."""
        with self._lock:
            planned = {name: set(p.reads) for name, p in self._planned.items()}
        by_stream: dict[str, list[StreamRun]] = {}
        for run in self._log.entries():
            if run.subject in planned.get(run.stream, ()):
                by_stream.setdefault(run.stream, []).append(run)
        return by_stream

    # -- the reporter thread -----------------------------------------------------------------

    def report_until(self, stop: threading.Event) -> None:
        """Log the lines due until ``stop`` is set (none on short runs but the finished ones)."""
        tick = min(self._every.total_seconds(), TICK_SECONDS)
        while not stop.wait(tick):
            for line in self.due_lines():
                self._logger.info("progress: %s", line)

    def start(self) -> Callable[[], None]:
        """Start the reporter thread; returns the function that stops it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.report_until, args=(stop,), name="tap-meta-ads-progress", daemon=True
        )
        thread.start()
        return stop.set
