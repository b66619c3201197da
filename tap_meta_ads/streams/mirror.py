"""Base for campaigns, ad sets and ads: account edges, incremental on updated_time.

Each stream reads its account edge (``/act_<id>/campaigns`` etc.), never one request per
parent. Meta hides DELETED and ARCHIVED objects unless the status filter names them
("Manage your ad object status"), so with ``include_deleted`` every status of the level is
requested. A parent's status change flows down to its children's ``effective_status``
without touching their ``updated_time``, so children of parents changed in this run are
read again as well: the mirror never keeps an ad ACTIVE under a campaign that was paused
or deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_meta_ads.shaping import UnshapeableError, parse_datetime
from tap_meta_ads.streams.scoped import AccountScopedStream

#: Graph accepts up to 50 ids in an ``IN`` filter comfortably; larger lists are chunked.
ID_CHUNK = 50


def _after(value: Any, bookmark: str) -> bool:
    """Whether an object's ``updated_time`` is later than the bookmark (unreadable: yes)."""
    try:
        return _unix(parse_datetime(value)) > _unix(bookmark)
    except (UnshapeableError, ValueError):
        return True


def _unix(value: str) -> int:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


class MirroredObjectStream(AccountScopedStream):
    """Campaign, ad set or ad mirror: incremental on ``updated_time`` per account."""

    replication_key = "updated_time"
    #: Graph entity prefix used in ``filtering`` (campaign, adset, ad).
    entity: ClassVar[str] = ""
    #: Every ``effective_status`` the level has in v25.0 (DELETED and ARCHIVED included).
    all_statuses: ClassVar[tuple[str, ...]] = ()
    #: Parent entities whose changes make this stream re-read their children.
    parent_entities: ClassVar[tuple[str, ...]] = ()

    def bookmark(self, context: Context | None) -> str | None:
        """This account's own bookmark; ``start_date`` does not bound the mirror."""
        value = self.get_context_state(context).get("replication_key_value")
        return str(value) if value else None

    def base_filters(self) -> list[dict[str, Any]]:
        if self.run.settings.include_deleted:
            return [
                {
                    "field": f"{self.entity}.effective_status",
                    "operator": "IN",
                    "value": list(self.all_statuses),
                }
            ]
        return []

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        params = super().get_url_params(context, next_page_token)
        filters = self.base_filters()
        bookmark = self.bookmark(context)
        if bookmark:
            # One second back: Meta's filter is strict and timestamps are whole seconds; the
            # boundary object is upserted again rather than risk missing a same-second change.
            filters.append(
                {
                    "field": f"{self.entity}.updated_time",
                    "operator": "GREATER_THAN",
                    "value": _unix(bookmark) - 1,
                }
            )
        if filters:
            params["filtering"] = json.dumps(filters, separators=(",", ":"))
        return params

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        account = self.account_id_of(context) or ""
        bookmark = self.bookmark(context)
        seen: set[str] = set()
        changed: set[str] = set()
        for row in super().iter_records(context):
            seen.add(str(row.get("id")))
            if bookmark is None or _after(row.get(self.replication_key or ""), bookmark):
                changed.add(str(row.get("id")))
            yield row
        if bookmark is not None:
            yield from self._children_of_changed_parents(context, seen)
        # The object at the bookmark's second is read again (the filter is one second back)
        # but did not change: its children are not read again for it.
        if bookmark is not None or changed:
            self.run.changes.note(account, self.entity, changed)

    def _children_of_changed_parents(
        self, context: Context | None, seen: set[str]
    ) -> Iterator[dict[str, Any]]:
        account = self.account_id_of(context) or ""
        for parent in self.parent_entities:
            changed = sorted(self.run.changes.changed(account, parent))
            for start in range(0, len(changed), ID_CHUNK):
                filters = [
                    *self.base_filters(),
                    {
                        "field": f"{parent}.id",
                        "operator": "IN",
                        "value": changed[start : start + ID_CHUNK],
                    },
                ]
                params = {
                    "fields": ",".join(self.graph_fields()),
                    "filtering": json.dumps(filters, separators=(",", ":")),
                }
                for row in self.read_edge(f"/act_{account}/{self.edge}", params, context):
                    if str(row.get("id")) not in seen:
                        seen.add(str(row.get("id")))
                        yield row
