"""Cursor pagination over Graph edges.

Meta pages with ``paging.cursors.after`` and says there are more pages only while
``paging.next`` is present (Graph API "Paginated Results"); a page may be empty and still
have a ``next``. The tap sends ``after`` itself rather than following ``next``: the ``next``
URL can carry an access token in its query string, and rebuilding the request keeps
``limit`` adjustable after page one.
"""

from __future__ import annotations

from typing import Any

import requests
from singer_sdk.pagination import BaseAPIPaginator

from tap_meta_ads.graph.errors import response_json


def _paging(response: requests.Response) -> dict[str, Any]:
    body = response_json(response)
    paging = body.get("paging") if isinstance(body, dict) else None
    return paging if isinstance(paging, dict) else {}


class GraphCursorPaginator(BaseAPIPaginator[str | None]):
    """Yields the ``after`` cursor of each page while Meta says a next page exists."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        paging = _paging(response)
        cursors = paging.get("cursors")
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if paging.get("next") and isinstance(after, str) and after:
            return after
        return None

    def continue_if_empty(self, response: requests.Response) -> bool:
        return bool(self.get_next(response))
