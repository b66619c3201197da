"""Read-ahead: the next accounts of a stream are read in worker threads while the SDK writes one.

The SDK syncs a stream's partitions (accounts) one after the other on one thread. Reading is
latency- and rate-bound per account (each account has its own pacer and budget), so while the
SDK consumes account k, workers already read accounts k+1 .. k+N. Each account's rows wait in
a bounded buffer (a worker blocks when it is full), so memory stays bounded; the SDK still
receives every stream's records in partition order, with per-account state as before.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Row = dict[str, Any]
Produce = Callable[[dict[str, Any]], Iterator[Row]]

#: How long a blocked worker waits before checking whether it was cancelled.
_PUT_TIMEOUT = 0.5


class _End:
    """The end of one partition's rows, with the exception that ended it, if any."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class _Buffer:
    def __init__(self, rows: int) -> None:
        self.items: queue.Queue[Row | _End] = queue.Queue(maxsize=max(1, rows))
        self.cancelled = threading.Event()


class ReadAhead:
    """Reads partitions ahead of their consumer, ``workers`` at a time, in the given order."""

    def __init__(
        self, produce: Produce, contexts: list[dict[str, Any]], *, workers: int, buffer_rows: int
    ) -> None:
        self._produce = produce
        self._contexts = contexts
        self._keys = [_key(c) for c in contexts]
        self._workers = max(1, workers)
        self._buffer_rows = buffer_rows
        self._buffers: dict[tuple[Any, ...], _Buffer] = {}
        self._submitted = 0
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="read-ahead")

    def _submit_up_to(self, index: int) -> None:
        while self._submitted < min(index, len(self._contexts)):
            context = self._contexts[self._submitted]
            buffer = _Buffer(self._buffer_rows)
            self._buffers[self._keys[self._submitted]] = buffer
            self._pool.submit(self._fill, context, buffer)
            self._submitted += 1

    def _fill(self, context: dict[str, Any], buffer: _Buffer) -> None:
        end = _End()
        try:
            for row in self._produce(context):
                if not self._put(buffer, row):
                    return
        except BaseException as exc:  # handed to the consumer, which decides
            end = _End(exc)
        self._put(buffer, end)

    @staticmethod
    def _put(buffer: _Buffer, item: Row | _End) -> bool:
        while not buffer.cancelled.is_set():
            try:
                buffer.items.put(item, timeout=_PUT_TIMEOUT)
            except queue.Full:
                continue
            return True
        return False

    def covers(self, context: dict[str, Any] | None) -> bool:
        return context is not None and _key(context) in self._keys

    def rows(self, context: dict[str, Any]) -> Iterator[Row]:
        """The partition's rows as the worker reads them; its error is raised where it came."""
        index = self._keys.index(_key(context))
        self._submit_up_to(index + self._workers)
        buffer = self._buffers.pop(self._keys[index])
        try:
            while True:
                item = buffer.items.get()
                if isinstance(item, _End):
                    if item.error is not None:
                        raise item.error
                    return
                yield item
        finally:
            buffer.cancelled.set()

    def skip(self, context: dict[str, Any]) -> None:
        """The consumer will not read this partition: stop its worker, drop its rows."""
        index = self._keys.index(_key(context))
        self._submit_up_to(index + self._workers)
        buffer = self._buffers.pop(self._keys[index], None)
        if buffer is not None:
            buffer.cancelled.set()

    def close(self) -> None:
        """Stop every worker (rows not consumed are dropped)."""
        for buffer in self._buffers.values():
            buffer.cancelled.set()
        self._buffers.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _key(context: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(context.items()))
