"""Splitting what Meta cannot produce: by date, then by object (campaigns, ad sets, ads), then
by field; the pieces replace the part and share its deadline (``insights.deadlines``)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from tap_meta_ads.graph.errors import GraphErrorInfo, codes
from tap_meta_ads.insights.deadlines import Deadlines
from tap_meta_ads.insights.ledger import Ledger
from tap_meta_ads.insights.levels import depth
from tap_meta_ads.insights.lister import EntityLister
from tap_meta_ads.insights.query import (
    ReportQuery,
    split_dates,
    split_entities,
    split_fields,
    too_large_error,
)
from tap_meta_ads.insights.runs import Part, Pending
from tap_meta_ads.insights.tasks import AccountTasks


class Splitting:
    """The coordinator's splitting (a mixin: it runs on the coordinator's thread)."""

    _ledger: Ledger
    _tasks: AccountTasks
    _lister: EntityLister
    _logger: logging.Logger
    _pending: Pending
    _deadlines: Deadlines

    def _fail(self, part: Part, exc: Exception) -> None:
        raise NotImplementedError

    def _split(self, part: Part, info: GraphErrorInfo | None, reason: str) -> None:
        """Halve by date; at one bucket by object (campaigns, ad sets, ads); then by field."""
        halves = split_dates(part.query)
        if halves is not None:
            self._replace(part, halves, "date", info, reason)
        elif depth(part.query.level) > 0 and not part.remainder:
            self._tasks.submit(
                part.account,
                functools.partial(self._lister.split_plan, part.query),
                functools.partial(self._on_split_plan, part, info=info, reason=reason),
            )
        else:
            self._split_fields(part, info, reason)

    def _on_split_plan(
        self,
        part: Part,
        plan: Any,
        exc: Exception | None,
        *,
        info: GraphErrorInfo | None,
        reason: str,
    ) -> None:
        if exc is not None:
            self._fail(part, exc)
        elif plan is None:
            self._split_fields(part, info, reason)
        else:
            halves, rest = split_entities(part.query, plan)
            self._replace(part, halves, "entity", info, reason, rest)

    def _split_fields(self, part: Part, info: GraphErrorInfo | None, reason: str) -> None:
        halves = split_fields(part.query, part.key)
        if halves is not None:
            self._replace(part, halves, "fields", info, reason)
        else:
            self._fail(part, too_large_error(part.group, part.query, part.key, info, reason))

    def _replace(
        self,
        part: Part,
        queries: tuple[ReportQuery, ...],
        kind: str,
        info: GraphErrorInfo | None,
        reason: str,
        rest: ReportQuery | None = None,
    ) -> None:
        """Replace a part by disjoint parts."""
        if self._ledger.is_failed(part.group):
            self._ledger.close_part(part.group, [])
            return
        children = [Part(part.group, q, part.key, remainder=part.remainder) for q in queries]
        if rest is not None:
            children.append(Part(part.group, rest, part.key, remainder=True))
        self._deadlines.inherit(part, children)
        self._logger.info(
            "%s: %s%s; split %s by %s into %s",
            part.group,
            reason,
            codes(info),
            part.query.describe(),
            kind,
            " and ".join(c.query.describe() for c in children),
        )
        self._ledger.count_split(kind)
        self._ledger.open_parts(part.group, part.key, len(children))
        for child in reversed(children):
            self._pending.add(child, front=True)
        self._ledger.close_part(part.group, [])
