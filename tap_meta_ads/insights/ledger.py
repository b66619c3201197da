"""The groups' ledger: unfinished parts, run files and errors per group, and the counters.

Callers, the coordinator and the workers share it under one lock; callers wait on it for a
group to finish.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tap_meta_ads.insights.spool import RowKey, Spool, merged_rows, remove_files, row_key


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
        #: Groups with a part Meta withheld (a used-up daily quota): some days are missing.
        self._incomplete: set[str] = set()
        self._stopped: BaseException | None = None
        self.started_at: float | None = None
        self.last_done: float | None = None
        self._stats: dict[str, Any] = {
            "submitted": 0,
            "jobs_started": 0,
            "completed": 0,
            "failed": 0,
            "skipped": 0,
            "timed_out": 0,
            "quota_skipped": 0,  # report runs Meta withheld for a used-up daily quota
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

    def mark_incomplete(self, group: str) -> None:
        with self.cond:
            self._incomplete.add(group)

    def incomplete(self, group: str) -> bool:
        """Whether Meta withheld a part of the group (its rows lack some days)."""
        with self.cond:
            return group in self._incomplete

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
