"""Rows waiting for their group: sorted runs on disk, merged on the primary key.

Finished report runs of many accounts wait on disk, not in memory. Each read writes sorted
runs of at most ``RUN_ROWS`` rows or ``RUN_BYTES`` bytes (rows are encoded as they arrive, so
a read holds bytes, not parsed rows); a group's runs are merged lazily (an external merge
sort), and rows with the same key (the two halves of a field split) are combined into one.

A run file is a sequence of frames: a 4-byte length, then ``marshal`` of ``(sort key, row)``.
marshal keeps every value the Graph decoder makes exactly (NaN, integers beyond 64 bits) at a
fraction of JSON's cost each way, and the key is not worked out again when the runs are
merged. The files are this process's own, in a directory only it can read
(``tempfile.mkdtemp``), written and read by the same Python.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import marshal
import operator
import os
import pathlib
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

#: Runs merged at once; more are pre-merged in passes so open files stay bounded (a group of
#: 100,000 ad-level rows is about 140 runs).
MAX_OPEN_RUNS = 256
#: Rows a read holds (encoded) before it sorts them into a run file...
RUN_ROWS = 10_000
#: ... or bytes of them: what bounds the memory of the reads in flight (about 1.4 KB per
#: ad-level row, so runs of about 700 rows).
RUN_BYTES = 1024 * 1024
FRAME = struct.Struct("<I")

SortKey = tuple[Any, ...]
RowKey = Callable[[dict[str, Any]], SortKey]
_BY_KEY = operator.itemgetter(0)


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
            return self.directory / f"run-{next(self._names):06d}.bin"

    def writer(self, key: RowKey, run_rows: int | None = None) -> RunWriter:
        """A writer of sorted runs of at most ``run_rows`` (default ``RUN_ROWS``) rows."""
        return RunWriter(self, key, RUN_ROWS if run_rows is None else run_rows)


def _frame(key: SortKey, row: dict[str, Any]) -> bytes:
    data = marshal.dumps((key, row))
    return FRAME.pack(len(data)) + data


def _write_frames(handle: IO[bytes], frames: Iterable[bytes]) -> None:
    handle.writelines(frames)


class RunWriter:
    """Buffers encoded rows and writes them as sorted runs; ``finish`` hands over the files."""

    def __init__(self, spool: Spool, key: RowKey, run_rows: int) -> None:
        self._spool = spool
        self._key = key
        self._run_rows = max(1, run_rows)
        self._buffer: list[tuple[SortKey, bytes]] = []
        self._bytes = 0
        self.paths: list[pathlib.Path] = []
        self.rows = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = self._key(row)
            frame = _frame(key, row)
            self._buffer.append((key, frame))
            self._bytes += len(frame)
            self.rows += 1
            if len(self._buffer) >= self._run_rows or self._bytes >= RUN_BYTES:
                self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort(key=_BY_KEY)  # stable: the later of equal keys stays later
        path = self._spool.new_path()
        self.paths.append(path)
        with path.open("wb") as handle:
            _write_frames(handle, (frame for _, frame in self._buffer))
        self._buffer = []
        self._bytes = 0

    def finish(self) -> list[pathlib.Path]:
        self._flush()
        return self.paths

    def discard(self) -> None:
        self._buffer = []
        self._bytes = 0
        remove_files(self.paths)
        self.paths = []


def remove_files(paths: Iterable[pathlib.Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _read_run(path: pathlib.Path) -> Iterator[tuple[SortKey, dict[str, Any]]]:
    with path.open("rb") as handle:
        read, size = handle.read, FRAME.size
        while header := read(size):
            (length,) = FRAME.unpack(header)
            # our own file, written above by this process (see the module's docstring)
            key, row = marshal.loads(read(length))  # noqa: S302
            yield key, row


def _merge(paths: list[pathlib.Path], key: RowKey) -> Iterator[dict[str, Any]]:
    """Rows of sorted runs in key order; rows with equal keys are combined (later wins)."""
    del key  # each frame carries its row's key
    current: dict[str, Any] | None = None
    current_key: SortKey | None = None
    streams = [_read_run(path) for path in paths]
    ordered = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=_BY_KEY)
    for row_key_value, row in ordered:
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
            with target.open("wb") as handle:
                _write_frames(handle, (_frame(key(row), row) for row in _merge(batch, key)))
            remove_files(batch)
            pending.append(target)
        yield from _merge(pending, key)
    finally:
        remove_files([*paths, *made])
