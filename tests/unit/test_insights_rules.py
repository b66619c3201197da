"""Meta's 2026 insights rules as the engine applies them: daily quotas are not spent on retries,
and the reach throttle header stops report runs Meta would refuse."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tap_meta_ads.graph.errors import DailyQuotaError
from tap_meta_ads.graph.usage import read_usage
from tap_meta_ads.insights.calls import CountingCalls
from tap_meta_ads.insights.query import ReportQuery
from tap_meta_ads.insights.runs import create_run

TODAY = dt.date(2026, 12, 1)


def _query(since: dt.date, breakdowns: list[str], fields: tuple[str, ...]) -> ReportQuery:
    params = (("breakdowns", json.dumps(breakdowns)),) if breakdowns else ()
    return ReportQuery("7", "ad", since, since, fields, params)


def test_reach_with_breakdowns_older_than_13_months_is_reach_limited():
    old, recent = dt.date(2025, 10, 1), dt.date(2025, 11, 15)
    assert _query(old, ["age"], ("reach",)).reach_limited(TODAY)
    assert not _query(recent, ["age"], ("reach",)).reach_limited(TODAY)
    assert not _query(old, [], ("reach",)).reach_limited(TODAY)  # no breakdowns: no rule
    assert not _query(old, ["age"], ("spend",)).reach_limited(TODAY)  # no reach fields
    assert _query(recent, ["impression_device", "publisher_platform"], ("spend",)).quota_limited(
        TODAY
    )  # opt-in breakdowns


def test_the_reach_throttle_header_is_read():
    usage = read_usage({"x-fb-ads-insights-reach-throttle": '{"acc_id_util_pct":100}'}, "7")
    assert usage.reach_pct == 100.0
    assert read_usage({}, "7").reach_pct is None


class _Calls:
    def __init__(self, reach: float | None) -> None:
        self.reach = reach
        self.posts: list[dict[str, Any]] = []

    def post(self, account_id: str, path: str, params: dict[str, str], **kw: Any) -> Any:
        self.posts.append({"path": path, **kw})
        return {"report_run_id": "123"}

    def reach_throttle(self, account_id: str) -> float | None:
        return self.reach


@pytest.mark.parametrize("reach", [None, 40.0])
def test_a_reach_limited_run_is_created_while_the_header_allows(reach):
    calls = _Calls(reach)
    query = _query(dt.date(2024, 1, 1), ["age"], ("reach",))
    assert create_run(CountingCalls(calls, lambda **_: None), query) == "123"  # type: ignore[arg-type]
    assert calls.posts == [{"path": "/act_7/insights", "quota_limited": True}]


def test_a_used_up_reach_throttle_skips_the_run_without_asking_meta():
    calls = _Calls(100.0)
    query = _query(dt.date(2024, 1, 1), ["age"], ("reach",))
    with pytest.raises(DailyQuotaError, match="daily reach report runs are used"):
        create_run(CountingCalls(calls, lambda **_: None), query)  # type: ignore[arg-type]
    assert calls.posts == []
