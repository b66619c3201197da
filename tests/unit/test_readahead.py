"""ReadAhead: partitions read by workers ahead of their consumer, in order, memory bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tap_meta_ads.streams.readahead import ReadAhead

CONTEXTS = [{"account_id": str(n)} for n in range(6)]


def test_rows_come_per_partition_in_order_and_partitions_overlap():
    running: set[str] = set()
    overlap = []
    lock = threading.Lock()

    def produce(context: dict[str, str]) -> Iterator[dict[str, str]]:
        with lock:
            running.add(context["account_id"])
            overlap.append(len(running))
        time.sleep(0.05)
        yield from ({"account": context["account_id"], "n": str(i)} for i in range(3))
        with lock:
            running.discard(context["account_id"])

    ahead = ReadAhead(produce, CONTEXTS, workers=3, buffer_rows=10)
    try:
        for context in CONTEXTS:
            rows = list(ahead.rows(context))
            assert [r["account"] for r in rows] == [context["account_id"]] * 3
            assert [r["n"] for r in rows] == ["0", "1", "2"]
    finally:
        ahead.close()
    assert max(overlap) > 1  # several accounts were read at once
    assert max(overlap) <= 3  # never more than the workers


def test_an_error_reaches_the_consumer_of_that_partition_only():
    def produce(context: dict[str, str]) -> Iterator[dict[str, str]]:
        yield {"account": context["account_id"]}
        if context["account_id"] == "1":
            raise RuntimeError("account 1 failed")

    ahead = ReadAhead(produce, CONTEXTS[:3], workers=2, buffer_rows=10)
    try:
        assert len(list(ahead.rows(CONTEXTS[0]))) == 1
        got = []
        with pytest.raises(RuntimeError, match="account 1 failed"):
            got.extend(ahead.rows(CONTEXTS[1]))
        assert got == [{"account": "1"}]  # rows before the error still arrive first
        assert list(ahead.rows(CONTEXTS[2])) == [{"account": "2"}]
    finally:
        ahead.close()


def test_a_full_buffer_holds_its_worker_and_close_releases_it():
    produced = []

    def produce(context: dict[str, str]) -> Iterator[dict[str, str]]:
        for i in range(1000):
            produced.append(i)
            yield {"n": str(i)}

    ahead = ReadAhead(produce, CONTEXTS[:1], workers=1, buffer_rows=5)
    rows = ahead.rows(CONTEXTS[0])
    next(rows)
    time.sleep(0.2)
    assert len(produced) <= 8  # bounded by the buffer, not the partition's size
    rows.close()
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 5


def test_a_skipped_partition_is_not_kept():
    def produce(context: dict[str, str]) -> Iterator[dict[str, str]]:
        yield from ({"n": str(i)} for i in range(100))

    ahead = ReadAhead(produce, CONTEXTS[:2], workers=2, buffer_rows=5)
    try:
        ahead.skip(CONTEXTS[0])
        assert len(list(ahead.rows(CONTEXTS[1]))) == 100
    finally:
        ahead.close()
