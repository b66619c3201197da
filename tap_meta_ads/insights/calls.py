"""What the engine needs from Graph (``GraphCalls``), counted, and its paged reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from tap_meta_ads.graph.pagination import iter_cursor_pages


class GraphGet(Protocol):
    """The one call a paged read needs."""

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any: ...


class GraphCalls(GraphGet, Protocol):
    """What the engine needs from the HTTP client (paced per account, retried, classified)."""

    def post(
        self, account_id: str, path: str, params: dict[str, str], *, quota_limited: bool = False
    ) -> Any:
        """``quota_limited``: a throttle answer means a daily quota is used up (raise at once,
        ``DailyQuotaError``), not a wait."""
        ...

    def batch(
        self, account_id: str, requests: list[dict[str, str]]
    ) -> list[dict[str, Any] | None]: ...

    def insights_throttle(self, account_id: str) -> float | None: ...


class CountingCalls:
    """The calls object, counting requests for the manager's stats."""

    def __init__(self, calls: GraphCalls, count: Callable[..., None]) -> None:
        self._calls = calls
        self._count = count

    def post(
        self, account_id: str, path: str, params: dict[str, str], *, quota_limited: bool = False
    ) -> Any:
        self._count(requests=1)
        if quota_limited:
            return self._calls.post(account_id, path, params, quota_limited=True)
        return self._calls.post(account_id, path, params)

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        self._count(requests=1)
        return self._calls.get(account_id, path, params)

    def batch(self, account_id: str, items: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        self._count(requests=1, batch_calls=1, polled_runs=len(items))
        return self._calls.batch(account_id, items)

    def insights_throttle(self, account_id: str) -> float | None:
        return self._calls.insights_throttle(account_id)

    def reach_throttle(self, account_id: str) -> float | None:
        """x-fb-ads-insights-reach-throttle as last seen (None: never, or not reported)."""
        read = getattr(self._calls, "reach_throttle", None)
        return read(account_id) if callable(read) else None


def iter_pages(
    calls: GraphGet, account_id: str, path: str, params: dict[str, str]
) -> Iterator[list[dict[str, Any]]]:
    """Pages of a Graph list, by ``cursors.after`` (``next`` URLs can carry the token)."""

    def page(after: str | None) -> Any:
        return calls.get(account_id, path, {**params, "after": after} if after else dict(params))

    return iter_cursor_pages(page, path)
