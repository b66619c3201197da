"""Insights report queries: their Graph parameters, and how one too large for Meta is split.

A query Meta cannot produce (100/1487534 "too much data", async -3/1504045 "report too large",
or a report run that fails twice) is split so that no row is lost or doubled: by date into
disjoint halves aligned on ``time_increment`` buckets, then by object into disjoint halves of
campaign, ad set or ad ids, then by field into halves that keep the key columns and are merged
back on the primary key.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError, GraphRetriableError
from tap_meta_ads.statuses import EFFECTIVE_STATUSES

LEVELS = ("account", "campaign", "adset", "ad")
LEVEL_ID_FIELDS = {
    "account": "account_id",
    "campaign": "campaign_id",
    "adset": "adset_id",
    "ad": "ad_id",
}
#: Always returned on insights rows; kept in both halves of a field split.
DATE_FIELDS = ("date_start", "date_stop")
#: The object one level down, the edge that lists an object, and its parent's id field.
CHILD = {"campaign": "adset", "adset": "ad"}
EDGES = {"campaign": "campaigns", "adset": "adsets", "ad": "ads"}
PARENT_FIELD = {"adset": "campaign_id", "ad": "adset_id"}
LIST_PAGE_SIZE = "500"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _list_param(raw: str | None) -> tuple[str, ...]:
    """A Graph list parameter sent as a JSON array or as comma-separated names."""
    if not raw:
        return ()
    text = raw.strip()
    if text.startswith("["):
        value = json.loads(text)
        return tuple(str(item) for item in value) if isinstance(value, list) else ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class ReportQuery:
    """One insights query of one ad account: level, inclusive days, fields and extra params."""

    account_id: str
    level: str
    since: dt.date
    until: dt.date
    fields: tuple[str, ...]
    params: tuple[tuple[str, str], ...] = ()
    entity: tuple[str, tuple[str, ...]] | None = None

    def key_fields(self) -> tuple[str, ...]:
        """Columns that identify a row: the level's id, the breakdowns and the day."""
        return (LEVEL_ID_FIELDS.get(self.level, "account_id"), *self.breakdowns(), "date_start")

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def breakdowns(self) -> tuple[str, ...]:
        return _list_param(self.param("breakdowns"))

    def time_increment(self) -> str:
        return (self.param("time_increment") or "1").strip()

    def days(self) -> int:
        return (self.until - self.since).days + 1

    def filters(self) -> list[Any]:
        """The query's own ``filtering`` list plus the entity restriction."""
        raw = self.param("filtering")
        filters = json.loads(raw) if raw else []
        if not isinstance(filters, list):
            msg = "the filtering param must be a JSON list of filter objects"
            raise ValueError(msg)
        if self.entity is not None:
            kind, ids = self.entity
            filters.append({"field": f"{kind}.id", "operator": "IN", "value": list(ids)})
        return filters

    def graph_params(self) -> dict[str, str]:
        """Parameters of ``POST`` (async) or ``GET`` (sync) ``/act_<id>/insights``."""
        params = {
            "level": self.level,
            "fields": ",".join(self.fields),
            "time_range": _json({"since": self.since.isoformat(), "until": self.until.isoformat()}),
            "time_increment": self.time_increment(),
        }
        for key, value in self.params:
            if key not in params and key != "filtering":
                params[key] = value
        filters = self.filters()
        if filters:
            params["filtering"] = _json(filters)
        return params

    def describe(self) -> str:
        """Level, days, objects and field count, for log lines (counts, not ids)."""
        days = f"{self.since}" if self.since == self.until else f"{self.since}..{self.until}"
        parts = [f"{self.level} level", days]
        if self.entity is not None:
            parts.append(_count(len(self.entity[1]), self.entity[0]))
        for item in json.loads(self.param("filtering") or "[]"):
            if (
                isinstance(item, dict)
                and item.get("operator") == "NOT_IN"
                and str(item.get("field", "")).endswith(".id")
            ):
                kind = str(item["field"]).split(".")[0]
                parts.append(f"other than {_count(len(item.get('value') or []), kind)}")
        parts.append(_count(len(self.fields), "field"))
        return ", ".join(parts)


def with_key_fields(query: ReportQuery, primary_key: tuple[str, ...]) -> ReportQuery:
    """Ask for every primary-key column Meta returns only on request (ids, not breakdowns)."""
    implicit = set(DATE_FIELDS) | set(query.breakdowns())
    missing = [k for k in primary_key if k not in query.fields and k not in implicit]
    return replace(query, fields=(*query.fields, *missing)) if missing else query


def _month_starts(since: dt.date, until: dt.date) -> Iterator[dt.date]:
    year, month = since.year, since.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        start = dt.date(year, month, 1)
        if start > until:
            return
        yield start


def date_boundaries(query: ReportQuery) -> list[dt.date] | None:
    """First days of the ``time_increment`` buckets after the first; None if not splittable."""
    increment = query.time_increment()
    if query.param("time_ranges"):
        return None
    if increment.isdigit() and int(increment) >= 1:
        step = int(increment)
        return [query.since + dt.timedelta(days=d) for d in range(step, query.days(), step)]
    if increment == "monthly":
        return list(_month_starts(query.since, query.until))
    return None  # all_days: one row for the whole range, a date split would change it


def split_dates(query: ReportQuery) -> tuple[ReportQuery, ReportQuery] | None:
    """Two disjoint halves of the date range on a bucket boundary, or None."""
    bounds = date_boundaries(query)
    if not bounds:
        return None
    middle = bounds[(len(bounds) - 1) // 2]
    return (replace(query, until=middle - dt.timedelta(days=1)), replace(query, since=middle))


def chunk_dates(query: ReportQuery, max_days: int) -> list[ReportQuery]:
    """Consecutive queries of at most ``max_days`` (rounded to whole buckets) covering the range."""
    increment = query.time_increment()
    if max_days <= 0 or query.days() <= max_days or not increment.isdigit():
        return [query]
    step = max(int(increment), max_days - max_days % int(increment))
    chunks = []
    start = query.since
    while start <= query.until:
        end = min(query.until, start + dt.timedelta(days=step - 1))
        chunks.append(replace(query, since=start, until=end))
        start = end + dt.timedelta(days=1)
    return chunks


@dataclass(frozen=True)
class EntitySplit:
    """Object ids to halve a one-day query on; ``listed`` when they came from an edge."""

    kind: str
    ids: tuple[str, ...]
    listed: bool = False


def split_entities(
    query: ReportQuery, split: EntitySplit
) -> tuple[tuple[ReportQuery, ...], ReportQuery | None]:
    """Two halves of the ids, and for listed ids the rest: the query without them (NOT_IN).

    The rest catches rows of objects the edges did not list (deleted, or created since the
    listing); it is almost always empty, but without it such rows would be lost.
    """
    half = len(split.ids) // 2
    halves = (
        replace(query, entity=(split.kind, split.ids[:half])),
        replace(query, entity=(split.kind, split.ids[half:])),
    )
    if not split.listed:
        return halves, None
    own = [(k, v) for k, v in query.params if k != "filtering"]
    filters = json.loads(query.param("filtering") or "[]")
    filters.append({"field": f"{split.kind}.id", "operator": "NOT_IN", "value": list(split.ids)})
    rest = replace(query, params=(*own, ("filtering", _json(filters))))
    return halves, rest


def split_fields(
    query: ReportQuery, primary_key: tuple[str, ...]
) -> tuple[ReportQuery, ReportQuery] | None:
    """Two halves of the non-key fields, each with the key fields; None below two fields."""
    keep = set(primary_key) | set(DATE_FIELDS)
    keys = [f for f in query.fields if f in keep]
    others = [f for f in query.fields if f not in keep]
    if len(others) < 2:
        return None
    half = len(others) // 2
    return (
        replace(query, fields=(*keys, *others[:half])),
        replace(query, fields=(*keys, *others[half:])),
    )


class ReportTooLargeError(GraphFatalError):
    """An insights report Meta cannot produce even split to one day, one object, one field."""

    def __init__(self, info: GraphErrorInfo, account_id: str, line: str) -> None:
        super().__init__(info, account_id, "insights report")
        self.line = line
        self.args = (line,)


def too_large_error(
    group: str,
    query: ReportQuery,
    primary_key: tuple[str, ...],
    info: GraphErrorInfo | None,
    reason: str,
) -> ReportTooLargeError:
    """The error a group fails with when its report cannot be produced at all."""
    info = info or GraphErrorInfo(http_status=200, message=reason)
    keep = set(primary_key) | set(DATE_FIELDS)
    fields = [f for f in query.fields if f not in keep] or list(query.fields)
    breakdowns = list(query.breakdowns())
    drop = f"field {', '.join(fields)}"
    if breakdowns:
        drop += f" or breakdown {', '.join(breakdowns)}"
    line = (
        f"account {query.account_id}: insights report {group} (level {query.level}) "
        f"could not be produced even split to {query.describe()}: {reason} "
        f"({info.describe()}). Fix: drop {drop} from the report"
    )
    return ReportTooLargeError(info, query.account_id, line)


class GraphGet(Protocol):
    """The one call the entity lister needs."""

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any: ...


class EntityLister:
    """Lists the campaigns, ad sets and ads an entity split divides; cached per run."""

    def __init__(self, calls: GraphGet) -> None:
        self._calls = calls
        self._cache: dict[tuple[str, str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def split_plan(self, query: ReportQuery) -> EntitySplit | None:
        """The object ids to halve ``query`` on, or None if it has no such split.

        Account scope splits on the account's campaigns; a query down to one campaign splits
        on its ad sets, one ad set on its ads, never below the query's own level.
        """
        if query.level not in LEVELS[1:]:
            return None
        if query.entity is not None and len(query.entity[1]) >= 2:
            return EntitySplit(query.entity[0], query.entity[1])
        if query.entity is None:
            kind, ids = "campaign", self.children(query.account_id, "campaign", None)
        else:
            kind, ids = query.entity
        while len(ids) == 1:
            child = CHILD.get(kind)
            if child is None or LEVELS.index(child) > LEVELS.index(query.level):
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
        filters = [
            {
                "field": f"{kind}.effective_status",
                "operator": "IN",
                "value": list(EFFECTIVE_STATUSES[kind]),
            }
        ]
        fields = f"id,{PARENT_FIELD[kind]}" if kind in PARENT_FIELD else "id"
        params = {"fields": fields, "limit": LIST_PAGE_SIZE, "filtering": _json(filters)}
        path = f"/{parent}/{EDGES[kind]}" if parent else f"/act_{account_id}/{EDGES[kind]}"
        found = (
            str(item["id"])
            for item in iter_pages(self._calls, account_id, path, params)
            if item.get("id") is not None
        )
        ids = tuple(dict.fromkeys(found))
        with self._lock:
            self._cache[cache_key] = ids
        return ids


def iter_pages(
    calls: GraphGet, account_id: str, path: str, params: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Items of a paged Graph list, following ``cursors.after`` while ``next`` is present.

    The ``next`` URL itself is never followed: it can carry the access token.
    """
    after: str | None = None
    while True:
        page = dict(params)
        if after:
            page["after"] = after
        body = calls.get(account_id, path, page)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            msg = f"{path}: the body has no data list"
            raise GraphRetriableError(msg)
        yield from (row for row in data if isinstance(row, dict))
        paging = body.get("paging") if isinstance(body, dict) else None
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        next_after = cursors.get("after") if isinstance(cursors, dict) else None
        if not (isinstance(paging, dict) and paging.get("next")) or not next_after:
            return
        if next_after == after:  # a cursor that does not move would loop forever
            return
        after = str(next_after)
