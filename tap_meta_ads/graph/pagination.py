"""Cursor pagination over Graph edges.

Meta pages with ``paging.cursors.after`` and says there are more pages only while
``paging.next`` is present (Graph API "Paginated Results"); a page may be empty and still
have a ``next``. The tap sends ``after`` itself rather than following ``next``: the ``next``
URL can carry an access token in its query string, and rebuilding the request keeps
``limit`` adjustable after page one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from singer_sdk.pagination import BaseAPIPaginator

from tap_meta_ads.graph.errors import GraphRetriableError, response_json


def with_limit(prepared: requests.PreparedRequest, limit: int) -> requests.PreparedRequest:
    """A copy of ``prepared`` asking for ``limit`` items per page."""
    parts = urlsplit(prepared.url or "")
    query = [
        (k, str(limit) if k == "limit" else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    copy = prepared.copy()
    copy.prepare_url(urlunsplit(parts._replace(query=urlencode(query))), None)
    return copy


def next_cursor(body: Any) -> str | None:
    """The ``after`` cursor of a decoded page while Meta says a next page exists, else None."""
    paging = body.get("paging") if isinstance(body, dict) else None
    if not isinstance(paging, dict):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if paging.get("next") and isinstance(after, str) and after:
        return after
    return None


def iter_cursor_pages(
    get: Callable[[str | None], Any], what: str
) -> Iterator[list[dict[str, Any]]]:
    """The objects of each page, ``get(after)`` returning a decoded body (``None``: page one).

    A body without a ``data`` list, or a cursor Meta already sent (a loop that would repeat
    pages forever or silently stop early), raises ``GraphRetriableError``.
    """
    after: str | None = None
    seen: set[str] = set()
    while True:
        body = get(after)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            msg = f"{what}: the body has no data list"
            raise GraphRetriableError(msg)
        after = next_cursor(body)
        page = [row for row in data if isinstance(row, dict)]
        del body, data  # so a page is not held here while the next one is read and decoded
        yield page
        del page
        if after is None:
            return
        if after in seen:
            msg = f"{what}: Meta sent the same paging cursor twice; the listing is incomplete"
            raise GraphRetriableError(msg)
        seen.add(after)


class GraphCursorPaginator(BaseAPIPaginator[str | None]):
    """Yields the ``after`` cursor of each page while Meta says a next page exists."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        return next_cursor(response_json(response))

    def continue_if_empty(self, response: requests.Response) -> bool:
        return bool(self.get_next(response))


def data_rows(response: requests.Response) -> Iterator[dict[str, Any]]:
    """The objects of a page's ``data`` list; a page without one is retried as transient."""
    body = response_json(response)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        msg = f"HTTP {response.status_code}: the body has no data list"
        raise GraphRetriableError(msg, response)
    yield from (row for row in data if isinstance(row, dict))
