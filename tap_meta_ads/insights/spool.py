"""Rows waiting for their group: sorted JSON Lines runs on disk, and the groups' ledger.

Finished report runs of many accounts wait on disk, not in memory. Each read writes sorted
runs of at most ``run_rows`` rows; a group's runs are merged lazily (an external merge sort),
and rows with the same key (the two halves of a field split) are combined into one. The
ledger tracks each group's unfinished parts, run files and error, and the run's counters.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import pathlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: Runs merged at once; more are pre-merged in passes so open files stay bounded.
MAX_OPEN_RUNS = 64

SortKey = tuple[Any, ...]
RowKey = Callable[[dict[str, Any]], SortKey]


def _key_part(value: Any) -> tuple[int, int, str]:
    """Orders digit strings (Graph ids) numerically, other values as text, missing last."""
    if value is None:
        return (2, 0, "")
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if text.isascii() and text.isdigit():
        return (0, len(text), text)
    return (1, 0, text)


def row_key(primary_key: tuple[str, ...]) -> RowKey:
    """Sort and identity key of a row: ``date_start``, then the primary-key columns."""

    def key(row: dict[str, Any]) -> SortKey:
        return (str(row.get("date_start") or ""), *(_key_part(row.get(k)) for k in primary_key))

    return key


class Spool:
    """A directory of run files; thread-safe names, removed as a whole on ``cleanup``."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory
        self._names = itertools.count()
        self._lock = threading.Lock()

    def new_path(self) -> pathlib.Path:
        with self._lock:
            return self.directory / f"run-{next(self._names):06d}.jsonl"

    def writer(self, key: RowKey, run_rows: int) -> RunWriter:
        return RunWriter(self, key, run_rows)


class RunWriter:
    """Buffers rows and writes them as sorted runs; ``finish`` hands over the run files."""

    def __init__(self, spool: Spool, key: RowKey, run_rows: int) -> None:
        self._spool = spool
        self._key = key
        self._run_rows = max(1, run_rows)
        self._buffer: list[dict[str, Any]] = []
        self.paths: list[pathlib.Path] = []
        self.rows = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self._buffer.append(row)
            self.rows += 1
            if len(self._buffer) >= self._run_rows:
                self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort(key=self._key)
        path = self._spool.new_path()
        self.paths.append(path)
        with path.open("w", encoding="utf-8") as handle:
            for row in self._buffer:
                handle.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                handle.write("\n")
        self._buffer = []

    def finish(self) -> list[pathlib.Path]:
        self._flush()
        return self.paths

    def discard(self) -> None:
        self._buffer = []
        remove_files(self.paths)
        self.paths = []


def remove_files(paths: Iterable[pathlib.Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _read_run(path: pathlib.Path, key: RowKey) -> Iterator[tuple[SortKey, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            yield key(row), row


def _merge(paths: list[pathlib.Path], key: RowKey) -> Iterator[dict[str, Any]]:
    """Rows of sorted runs in key order; rows with equal keys are combined (later wins)."""
    current: dict[str, Any] | None = None
    current_key: SortKey | None = None
    streams = [_read_run(path, key) for path in paths]
    for row_key_value, row in heapq.merge(*streams, key=lambda item: item[0]):
        if current is not None and row_key_value == current_key:
            current.update(row)
            continue
        if current is not None:
            yield current
        current, current_key = row, row_key_value
    if current is not None:
        yield current


def merged_rows(spool: Spool, paths: list[pathlib.Path], key: RowKey) -> Iterator[dict[str, Any]]:
    """Every row of a group once per key, sorted; the run files are deleted afterwards."""
    pending = list(paths)
    made: list[pathlib.Path] = []
    try:
        while len(pending) > MAX_OPEN_RUNS:
            batch, pending = pending[:MAX_OPEN_RUNS], pending[MAX_OPEN_RUNS:]
            target = spool.new_path()
            made.append(target)
            with target.open("w", encoding="utf-8") as handle:
                for row in _merge(batch, key):
                    handle.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                    handle.write("\n")
            remove_files(batch)
            pending.append(target)
        yield from _merge(pending, key)
    finally:
        remove_files([*paths, *made])


@dataclass(eq=False)
class GroupState:
    """One group's primary key, parts not yet finished, run files, and error if it failed."""

    key: tuple[str, ...]
    sort_key: RowKey
    open: int = 0
    files: list[pathlib.Path] = field(default_factory=list)
    error: Exception | None = None


class Ledger:
    """Groups and counters shared by callers, the coordinator and workers, under one lock."""

    def __init__(self, spool: Spool, clock: Callable[[], float]) -> None:
        self.cond = threading.Condition()
        self._spool = spool
        self._clock = clock
        self._groups: dict[str, GroupState] = {}
        self._failed: dict[str, Exception] = {}
        self._stopped: BaseException | None = None
        self.started_at: float | None = None
        self.last_done: float | None = None
        self._stats: dict[str, Any] = {
            "submitted": 0,
            "jobs_started": 0,
            "completed": 0,
            "sync_reads": 0,
            "failed": 0,
            "skipped": 0,
            "timed_out": 0,
            "restarted": 0,
            "splits": {"date": 0, "entity": 0, "fields": 0},
            "max_in_flight": 0,
            "in_flight": 0,
            "requests": 0,
            "batch_calls": 0,
            "polled_runs": 0,
            "rows": 0,
            "held_back": 0,
            "failed_groups": 0,
        }

    def open_parts(self, group: str, key: tuple[str, ...], count: int) -> None:
        """Register ``count`` more parts of ``group`` (created with ``key`` if new)."""
        with self.cond:
            state = self._groups.get(group)
            if state is None:
                state = self._groups[group] = GroupState(key, row_key(key))
            elif state.key != key:
                msg = f"{group}: submitted with primary key {key}, earlier with {state.key}"
                raise ValueError(msg)
            state.open += count

    def is_failed(self, group: str) -> bool:
        with self.cond:
            state = self._groups.get(group)
            return state is None or state.error is not None

    def close_part(self, group: str, files: list[pathlib.Path]) -> None:
        """A part finished: its files join the group, or are dropped if the group failed."""
        with self.cond:
            state = self._groups.get(group)
            if state is None or state.error is not None:
                remove_files(files)
            else:
                state.files.extend(files)
            if state is not None:
                state.open -= 1
            self.last_done = self._clock()
            self.cond.notify_all()

    def fail(self, group: str, exc: Exception) -> bool:
        """Record the group's error (the first one wins); True if this was the first."""
        with self.cond:
            state = self._groups.get(group)
            if state is None or state.error is not None:
                return False
            state.error = exc
            self._failed[group] = exc
            self._stats["failed_groups"] += 1
            remove_files(state.files)
            state.files = []
            self.cond.notify_all()
            return True

    def stop(self, reason: BaseException) -> None:
        """Wake every waiting caller: no group will finish any more."""
        with self.cond:
            self._stopped = reason
            self.cond.notify_all()

    def rows(self, group: str) -> Iterator[dict[str, Any]]:
        """Wait until the group is done, then its merged rows (or raise its error)."""
        with self.cond:
            while True:
                if group in self._failed:
                    self._groups.pop(group, None)
                    raise self._failed[group]
                state = self._groups.get(group)
                if state is None:
                    return
                if state.open <= 0:
                    break
                if self._stopped is not None:
                    msg = "the insights job manager stopped before the group was done"
                    raise RuntimeError(msg) from self._stopped
                self.cond.wait()
            del self._groups[group]
        yield from merged_rows(self._spool, state.files, state.sort_key)

    def failed(self) -> dict[str, Exception]:
        with self.cond:
            return dict(self._failed)

    def count(self, **counts: int) -> None:
        with self.cond:
            for name, value in counts.items():
                self._stats[name] += value

    def count_split(self, kind: str) -> None:
        with self.cond:
            self._stats["splits"][kind] += 1

    def gauge(self, name: str, value: int) -> None:
        with self.cond:
            self._stats[name] = value

    def peak(self, name: str, value: int) -> None:
        with self.cond:
            self._stats[name] = max(self._stats[name], value)

    def snapshot(self) -> dict[str, Any]:
        with self.cond:
            stats = {**self._stats, "splits": dict(self._stats["splits"])}
            end = self.last_done if self.last_done is not None else self._clock()
            stats["seconds"] = end - self.started_at if self.started_at is not None else 0.0
        return stats
