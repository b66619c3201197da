"""Recent days first: how a long first sync is cut, how a resumed run finds its missing days,
and the rules of hourly reports (one report run per day, no reach).

The streams are the tap's own, with state set as the SDK keeps it; no request is made.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from tap_meta_ads.graph.errors import DailyQuotaError, GraphErrorInfo
from tap_meta_ads.insights import InsightsJobManager
from tap_meta_ads.settings.checks import check_reports
from tap_meta_ads.streams.insights import FULL_LOOKBACK_DAYS_KEY, FULL_LOOKBACK_KEY
from tap_meta_ads.streams.insights_plan import (
    HISTORY_FROM_KEY,
    RECENT_FIRST_DAYS,
    history_gap,
    loaded_from,
    one_day_each,
    recent_first,
)
from tap_meta_ads.tap import TapMetaAds
from tap_meta_ads.timezones import today_in
from tests.unit.insights_fake import DAY, LOGGER, PK, FakeClock, FakeGraph, make_tree, query

TOKEN = "unit-test-token"
HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
D = dt.date


def _stream(name: str = "ad_insights", **config: Any) -> Any:
    tap = TapMetaAds(config={"access_token": TOKEN, "account_ids": ["1"], **config})
    return tap.streams[name]


def _days(query: Any) -> tuple[dt.date, dt.date] | None:
    return None if query is None else (query.since, query.until)


# -- the cut of a first sync ------------------------------------------------------------------


def test_a_long_first_sync_is_cut_30_days_before_its_last_day():
    recent, history = recent_first(D(2026, 1, 1), D(2026, 11, 30), "1")
    assert recent == (D(2026, 10, 31), D(2026, 11, 30))
    assert (recent[1] - recent[0]).days == RECENT_FIRST_DAYS
    assert history == (D(2026, 1, 1), D(2026, 10, 30))  # adjacent: no gap, no overlap


@pytest.mark.parametrize("days", [0, 1, 29, 30])
def test_a_first_sync_from_30_days_back_or_less_is_one_pass(days):
    until = D(2026, 11, 30)  # 30 days back: the default start_date's window
    since = until - dt.timedelta(days=days)
    assert recent_first(since, until, "1") == ((since, until), None)


def test_a_first_sync_from_31_days_back_leaves_one_day_of_history():
    assert recent_first(D(2026, 10, 30), D(2026, 11, 30), "1") == (
        (D(2026, 10, 31), D(2026, 11, 30)),
        (D(2026, 10, 30), D(2026, 10, 30)),
    )


def test_monthly_reports_are_cut_on_a_month_start_and_all_days_never():
    recent, history = recent_first(D(2026, 1, 1), D(2026, 11, 10), "monthly")
    assert recent == (D(2026, 10, 1), D(2026, 11, 10))
    assert history == (D(2026, 1, 1), D(2026, 9, 30))
    assert recent_first(D(2026, 1, 1), D(2026, 11, 10), "all_days")[1] is None
    # the month start falls on the window's first day: nothing older to read
    assert recent_first(D(2026, 10, 1), D(2026, 11, 10), "monthly")[1] is None


def test_the_history_gap_ends_where_loaded_days_or_the_lookback_window_begin():
    start = D(2026, 1, 1)
    assert history_gap(start, D(2026, 11, 1), D(2026, 11, 20)) == (start, D(2026, 10, 31))
    # a lookback reaching before history_loaded_from: the gap stops before the window
    assert history_gap(start, D(2026, 11, 1), D(2026, 10, 15)) == (start, D(2026, 10, 14))
    assert history_gap(start, start, D(2026, 11, 20)) is None  # all loaded
    assert history_gap(start, None, D(2026, 11, 20)) is None  # state from before the scheme
    assert history_gap(D(2026, 3, 1), D(2026, 2, 1), None) is None  # start_date moved later


def test_history_loaded_from_is_read_leniently():
    assert loaded_from({HISTORY_FROM_KEY: "2026-10-01"}) == D(2026, 10, 1)
    assert loaded_from({HISTORY_FROM_KEY: "not a day"}) is None
    assert loaded_from({}) is None


def test_one_day_each_covers_every_day_once():
    days = one_day_each(D(2026, 2, 27), D(2026, 3, 2))
    assert days == [(d, d) for d in (D(2026, 2, 27), D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 2))]


# -- the streams' plans -----------------------------------------------------------------------


def test_a_first_sync_plans_the_recent_pass_and_the_history_pass():
    today = today_in(None)
    start = today - dt.timedelta(days=99)
    stream = _stream(start_date=start.isoformat())
    recent, history = stream.plan("1", None)
    assert _days(recent) == (today - dt.timedelta(days=RECENT_FIRST_DAYS), today)
    assert _days(history) == (start, today - dt.timedelta(days=RECENT_FIRST_DAYS + 1))
    assert stream.history_group("1") == "ad_insights/1/history"


def test_a_run_stopped_after_the_recent_pass_resumes_with_the_older_days():
    today = today_in(None)
    start = today - dt.timedelta(days=99)
    stream = _stream(start_date=start.isoformat(), lookback_days=28, recent_lookback_days=2)
    loaded = today - dt.timedelta(days=RECENT_FIRST_DAYS)
    stream.get_context_state({"account_id": "1"}).update(
        {
            "replication_key": "date_start",
            "replication_key_value": (today - dt.timedelta(days=1)).isoformat(),
            "report_signature": stream.signature(),
            FULL_LOOKBACK_KEY: dt.datetime.now(dt.UTC).isoformat(),
            FULL_LOOKBACK_DAYS_KEY: 28,
            HISTORY_FROM_KEY: loaded.isoformat(),
        }
    )
    recent, history = stream.plan("1", None)
    assert _days(recent) == (today - dt.timedelta(days=3), today)  # the recent lookback only
    assert _days(history) == (start, loaded - dt.timedelta(days=1))


def test_a_complete_history_plans_no_history_pass():
    today = today_in(None)
    start = today - dt.timedelta(days=99)
    stream = _stream(start_date=start.isoformat())
    stream.get_context_state({"account_id": "1"}).update(
        {
            "replication_key_value": today.isoformat(),
            "report_signature": stream.signature(),
            HISTORY_FROM_KEY: start.isoformat(),
        }
    )
    assert stream.plan("1", None)[1] is None


def test_an_earlier_start_date_later_loads_the_days_before_what_was_loaded():
    today = today_in(None)
    stream = _stream(start_date=(today - dt.timedelta(days=199)).isoformat())
    loaded = today - dt.timedelta(days=99)
    stream.get_context_state({"account_id": "1"}).update(
        {
            "replication_key_value": today.isoformat(),
            "report_signature": stream.signature(),
            HISTORY_FROM_KEY: loaded.isoformat(),
        }
    )
    history = stream.plan("1", None)[1]
    assert _days(history) == (today - dt.timedelta(days=199), loaded - dt.timedelta(days=1))


def test_a_first_sync_within_30_days_is_one_query():
    stream = _stream()  # start_date unset: 30 days before today
    recent, history = stream.plan("1", None)
    assert recent is not None
    assert history is None


def test_a_custom_report_is_cut_like_the_built_in_levels():
    today = today_in(None)
    report = {"name": "by_country", "level": "campaign", "fields": ["spend"]}
    stream = _stream(
        "by_country",
        start_date=(today - dt.timedelta(days=59)).isoformat(),
        insights_reports=[{**report, "breakdowns": ["country"]}],
    )
    recent, history = stream.plan("1", None)
    assert _days(history) == (today - dt.timedelta(days=59), today - dt.timedelta(days=31))
    assert _days(recent) == (today - dt.timedelta(days=30), today)


# -- hourly reports -----------------------------------------------------------------------------


def _hourly(**extra: Any) -> dict[str, Any]:
    return {"name": "hourly", "level": "ad", "fields": ["impressions", "spend"], **extra}


def test_an_hourly_report_is_one_report_run_per_day_keyed_on_the_hour():
    today = today_in(None)
    stream = _stream(
        "hourly",
        start_date=(today - dt.timedelta(days=2)).isoformat(),
        insights_reports=[_hourly(breakdowns=[HOURLY])],
    )
    recent, _ = stream.plan("1", None)
    runs = stream.report_runs(recent)
    assert [(q.since, q.until) for q in runs] == [
        (today - dt.timedelta(days=n), today - dt.timedelta(days=n)) for n in (2, 1, 0)
    ]
    assert all(q.time_increment() == "1" for q in runs)
    assert stream.primary_keys == ("account_id", "ad_id", "date_start", HOURLY)
    assert _stream("ad_insights").report_runs(recent) == [recent]  # not hourly: one run


def test_an_hourly_report_is_accepted_and_its_restrictions_refused():
    assert check_reports([_hourly(breakdowns=[HOURLY])], reserved=()) == []
    assert check_reports(
        [_hourly(breakdowns=[HOURLY], fields=["impressions", "reach", "frequency"])],
        reserved=(),
    ) == [
        f"insights_reports[0].fields: frequency, reach are not available with {HOURLY}; remove them"
    ]
    assert check_reports([_hourly(breakdowns=[HOURLY], time_increment="monthly")], reserved=()) == [
        f"insights_reports[0].time_increment: {HOURLY} is read one day per report run; use 1"
    ]
    assert check_reports([_hourly(breakdowns=[HOURLY, "age"])], reserved=()) != []


# -- a report run Meta withholds leaves its group incomplete (state must not move) -------------


class _QuotaGraph(FakeGraph):
    """The engine's fake Graph, refusing report runs of one day with a used-up daily quota."""

    def __init__(self, clock: FakeClock, refused: dt.date) -> None:
        super().__init__(clock, {"1": make_tree("1")})
        self.refused = refused

    def post(self, account_id: str, path: str, params: dict[str, str], **kw: Any) -> Any:
        if json.loads(params["time_range"])["since"] == self.refused.isoformat():
            info = GraphErrorInfo(http_status=400, code=80000, message="daily quota used up")
            raise DailyQuotaError(info, account_id, "creating an insights report run")
        return super().post(account_id, path, params, **kw)


def test_a_group_with_a_withheld_report_run_is_incomplete_and_the_others_are_not():
    clock = FakeClock()
    refused = DAY + dt.timedelta(days=1)
    fake = _QuotaGraph(clock, refused)
    one = query("1", "ad", days=1)
    days = [
        replace(one, since=DAY + dt.timedelta(n), until=DAY + dt.timedelta(n)) for n in range(3)
    ]
    with InsightsJobManager(
        fake, logger=logging.getLogger(LOGGER), clock=clock, sleep=clock.sleep
    ) as manager:
        for part in days:  # an hourly report's three one-day runs
            manager.submit("hourly/1", part, PK["ad"])
        manager.submit("daily/1", one, PK["ad"])
        manager.start()
        rows = list(manager.results("hourly/1"))
        assert list(manager.results("daily/1"))
        assert {r["date_start"] for r in rows} == {
            DAY.isoformat(),
            (DAY + dt.timedelta(2)).isoformat(),
        }
        assert manager.incomplete("hourly/1")
        assert not manager.incomplete("daily/1")
