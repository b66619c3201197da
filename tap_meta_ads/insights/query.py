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
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError
from tap_meta_ads.insights.breakdowns import (
    REACH_FIELDS,
    REACH_HISTORY_MONTHS,
    months_before,
    opt_in_breakdowns,
)
from tap_meta_ads.insights.levels import level_of

#: Always returned on insights rows; kept in both halves of a field split.
DATE_FIELDS = ("date_start", "date_stop")


def to_json(value: Any) -> str:
    """Compact JSON, as Graph parameters are sent."""
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

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def breakdowns(self) -> tuple[str, ...]:
        return _list_param(self.param("breakdowns"))

    def quota_limited(self, today: dt.date | None = None) -> bool:
        """Whether Meta counts this query's report runs against a daily quota: opt-in
        breakdowns, or reach with breakdowns starting more than 13 months ago."""
        return bool(opt_in_breakdowns(self.breakdowns())) or self.reach_limited(today)

    def reach_limited(self, today: dt.date | None = None) -> bool:
        """Reach with breakdowns starting more than 13 months ago: Meta omits reach,
        frequency and cpp and allows 10 such report runs a day per account."""
        if not self.breakdowns() or not REACH_FIELDS & set(self.fields):
            return False
        today = today or dt.datetime.now(dt.UTC).date()
        return self.since < months_before(today, REACH_HISTORY_MONTHS)

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
            field = level_of(kind).filter_field("id")
            filters.append({"field": field, "operator": "IN", "value": list(ids)})
        return filters

    def graph_params(self) -> dict[str, str]:
        """Parameters of ``POST /act_<id>/insights`` (a report run)."""
        params = {
            "level": self.level,
            "fields": ",".join(self.fields),
            "time_range": to_json(
                {"since": self.since.isoformat(), "until": self.until.isoformat()}
            ),
            "time_increment": self.time_increment(),
        }
        for key, value in self.params:
            if key not in params and key != "filtering":
                params[key] = value
        filters = self.filters()
        if filters:
            params["filtering"] = to_json(filters)
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
    field = level_of(split.kind).filter_field("id")
    filters.append({"field": field, "operator": "NOT_IN", "value": list(split.ids)})
    rest = replace(query, params=(*own, ("filtering", to_json(filters))))
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
        super().__init__(info, account_id, "insights report", line=line)


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
