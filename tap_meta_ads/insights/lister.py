"""The campaigns, ad sets and ads an entity split divides, listed from Graph and cached."""

from __future__ import annotations

import threading

from tap_meta_ads.insights.calls import GraphGet, iter_pages
from tap_meta_ads.insights.levels import depth, level_of
from tap_meta_ads.insights.query import EntitySplit, ReportQuery, to_json
from tap_meta_ads.statuses import EFFECTIVE_STATUSES

LIST_PAGE_SIZE = "500"


class EntityLister:
    """Lists the objects an entity split divides; cached for the run, safe across threads."""

    def __init__(self, calls: GraphGet) -> None:
        self._calls = calls
        self._cache: dict[tuple[str, str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def split_plan(self, query: ReportQuery) -> EntitySplit | None:
        """The object ids to halve ``query`` on, or None if it has no such split.

        Account scope splits on the account's campaigns; a query down to one campaign splits
        on its ad sets, one ad set on its ads, never below the query's own level.
        """
        if depth(query.level) == 0:
            return None
        if query.entity is not None and len(query.entity[1]) >= 2:
            return EntitySplit(query.entity[0], query.entity[1])
        if query.entity is None:
            kind, ids = "campaign", self.children(query.account_id, "campaign", None)
        else:
            kind, ids = query.entity
        while len(ids) == 1:
            child = level_of(kind).child
            if child is None or depth(child) > depth(query.level):
                return None
            kind, ids = child, self.children(query.account_id, child, ids[0])
        return EntitySplit(kind, ids, listed=True) if len(ids) >= 2 else None

    def children(self, account_id: str, kind: str, parent: str | None) -> tuple[str, ...]:
        """Ids of every ``kind`` object of the account or of ``parent``, all statuses.

        Ad sets and ads are read on their parent's edge (``/<campaign_id>/adsets``,
        ``/<adset_id>/ads``), so each filter is on the edge's own object.
        """
        cache_key = (account_id, kind, parent or "")
        with self._lock:
            if cache_key in self._cache:
                return self._cache[cache_key]
        level = level_of(kind)
        filters = [
            {
                "field": level.filter_field("effective_status"),
                "operator": "IN",
                "value": list(EFFECTIVE_STATUSES[kind]),
            }
        ]
        above = level_of(level.parent or "account")
        fields = "id" if depth(above.name) == 0 else f"id,{above.id_field}"
        params = {"fields": fields, "limit": LIST_PAGE_SIZE, "filtering": to_json(filters)}
        path = f"/{parent}/{level.edge}" if parent else f"/act_{account_id}/{level.edge}"
        found = (
            str(item["id"])
            for page in iter_pages(self._calls, account_id, path, params)
            for item in page
            if item.get("id") is not None
        )
        ids = tuple(dict.fromkeys(found))
        with self._lock:
            self._cache[cache_key] = ids
        return ids
