"""Rows waiting for their group: sorted JSON Lines runs on disk, merged on the primary key.

Finished report runs of many accounts wait on disk, not in memory. Each read writes sorted
runs of at most ``RUN_ROWS`` rows; a group's runs are merged lazily (an external merge sort),
and rows with the same key (the two halves of a field split) are combined into one.
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
from typing import Any

#: Runs merged at once; more are pre-merged in passes so open files stay bounded.
MAX_OPEN_RUNS = 64
#: Rows a read holds in memory before it sorts them into a run file.
RUN_ROWS = 10_000

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

    def writer(self, key: RowKey, run_rows: int | None = None) -> RunWriter:
        """A writer of sorted runs of at most ``run_rows`` (default ``RUN_ROWS``) rows."""
        return RunWriter(self, key, RUN_ROWS if run_rows is None else run_rows)


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
