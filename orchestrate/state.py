"""Rebalancing Meltano state between shard counts: each account's bookmarks follow it.

A shard's state id is ``<env>:<tap>-to-<target>:shard-<i>-of-<n>``. When ``shard_count``
changes, shard ``i`` of ``n`` owns accounts whose bookmarks sit in the states of the old count.
Before its run, every per-account partition it now owns is merged into its state from every
other state of the pipeline (the unsharded one included): the freshest bookmark of each
partition wins, so no account starts again from ``start_date`` (no loss) and none re-reads
past its bookmark's lookback (no duplicate: rows are upserted on their keys anyway).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUFFIX = re.compile(r"^shard-(\d+)-of-(\d+)$")


def state_id(pipeline: str, environment: str, suffix: str | None = None) -> str:
    """Meltano's state id of ``pipeline`` (``tap-meta-ads-to-target-postgres``)."""
    return ":".join(part for part in (environment, pipeline, suffix) if part)


def shard_of_state_id(state: str, pipeline: str, environment: str) -> tuple[int, int] | None:
    """``(index, count)`` of a state id of the pipeline: ``(0, 1)`` unsharded, else None."""
    base = state_id(pipeline, environment)
    if state == base:
        return (0, 1)
    if not state.startswith(base + ":"):
        return None
    match = SUFFIX.match(state[len(base) + 1 :])
    return (int(match.group(1)), int(match.group(2))) if match else None


def singer_state(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Singer state of one ``meltano state export`` entry: completed, with partial on top."""
    if not entry:
        return {}
    completed = copy.deepcopy((entry.get("completed") or {}).get("singer_state") or {})
    partial = (entry.get("partial") or {}).get("singer_state") or {}
    partitions = _Partitions()
    for stream, bookmark in (partial.get("bookmarks") or {}).items():
        merged = completed.setdefault("bookmarks", {}).setdefault(stream, {})
        for part in bookmark.get("partitions") or []:
            partitions.put(merged, part, prefer_fresher=True)
        for key, value in bookmark.items():
            if key != "partitions":
                merged[key] = copy.deepcopy(value)
    return completed


def _key(partition: Mapping[str, Any]) -> str:
    return json.dumps(partition.get("context") or {}, sort_keys=True)


def _value(partition: Mapping[str, Any] | None) -> str:
    value = (partition or {}).get("replication_key_value")
    return "" if value is None else str(value)


class _Partitions:
    """Bookmarks' partitions found by context in one step, so merging thousands of accounts'
    states is linear in the partitions, not quadratic."""

    def __init__(self) -> None:
        self._positions: dict[int, dict[str, int]] = {}  # id(bookmark) -> key -> index

    def put(
        self, bookmark: dict[str, Any], partition: Mapping[str, Any], *, prefer_fresher: bool
    ) -> bool:
        """Put ``partition`` in ``bookmark``'s partitions: if absent, or fresher than the one
        there (ISO dates and timestamps compare as text). True when it changed the bookmark."""
        parts = bookmark.setdefault("partitions", [])
        positions = self._positions.get(id(bookmark))
        if positions is None:
            positions = self._positions[id(bookmark)] = {}
            for index, present in enumerate(parts):
                positions.setdefault(_key(present), index)
        key = _key(partition)
        index = positions.get(key)
        if index is None:
            positions[key] = len(parts)
            parts.append(copy.deepcopy(dict(partition)))
            return True
        if prefer_fresher and _value(partition) > _value(parts[index]):
            parts[index] = copy.deepcopy(dict(partition))
            return True
        return False


@dataclass
class Merge:
    """The result of a rebalance of one shard: its new state and the partitions taken."""

    state: dict[str, Any]
    taken: list[tuple[str, str, str]] = field(default_factory=list)  # stream, account, from

    @property
    def changed(self) -> bool:
        return bool(self.taken)


def merge_owned(
    own: Mapping[str, Any],
    others: Mapping[str, Mapping[str, Any]],
    owns: Callable[[str], bool],
) -> Merge:
    """``own`` (a Singer state) with every per-account partition it ``owns`` from ``others``
    (state id -> Singer state): a partition absent from ``own``, or fresher there, is taken."""
    state = copy.deepcopy(dict(own))
    merge = Merge(state)
    partitions = _Partitions()
    for source, other in sorted(others.items()):
        for stream, bookmark in (other.get("bookmarks") or {}).items():
            for part in bookmark.get("partitions") or []:
                account = (part.get("context") or {}).get("account_id")
                if account is None or not owns(str(account)):
                    continue
                target = state.setdefault("bookmarks", {}).setdefault(stream, {})
                if partitions.put(target, part, prefer_fresher=True):
                    merge.taken.append((stream, str(account), source))
    return merge
