"""Hourly insights (``hourly_stats_aggregated_by_advertiser_time_zone``): 24 hour buckets per
object-day whose counts and spend add up exactly to the daily row, and no reach, frequency or
cpp, as Meta serves them."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.sandbox.versions_support import poll

HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
BUCKET = re.compile(r"(\d\d):00:00 - \1:59:59")
FIELDS = "account_id,ad_id,impressions,clicks,spend,reach,frequency,cpp"


def _day(dataset):
    return (dataset.end_date - timedelta(days=3)).isoformat()


def _hourly(client, act, day, level="ad"):
    return client.walk(
        f"/{act}/insights",
        level=level,
        fields=FIELDS,
        breakdowns=[HOURLY],
        time_range={"since": day, "until": day},
        time_increment="1",
        limit=500,
    )


def _sums(rows, key):
    sums = defaultdict(lambda: [0, 0, Decimal(0)])
    for row in rows:
        total = sums[row[key]]
        total[0] += int(row["impressions"])
        total[1] += int(row["clicks"])
        total[2] += Decimal(row["spend"])
    return dict(sums)


@pytest.mark.parametrize(("level", "key"), [("ad", "ad_id"), ("account", "account_id")])
def test_hourly_rows_add_up_to_the_daily_rows(client, accounts, truth, jsonl, dataset, level, key):
    day = _day(dataset)
    act = accounts[0]["id"]
    rows = _hourly(client, act, day, level)
    assert rows
    hours = defaultdict(list)
    for row in rows:
        assert row["date_start"] == row["date_stop"] == day
        assert BUCKET.fullmatch(row[HOURLY]), row[HOURLY]
        assert not {"reach", "frequency", "cpp"} & set(row)  # not available hourly
        hours[row[key]].append(row[HOURLY])
    for buckets in hours.values():
        assert len(buckets) == len(set(buckets)) <= 24
    assert len(set().union(*map(set, hours.values()))) == 24  # every hour has delivery somewhere
    daily = [
        r
        for r in jsonl(truth / f"insights_{level}.jsonl")
        if r["date_start"] == day and r["account_id"] == act.removeprefix("act_")
    ]
    assert _sums(rows, key) == _sums(daily, key)


def test_an_hourly_report_run_serves_the_same_rows(client, accounts, dataset):
    day = _day(dataset)
    act = accounts[0]["id"]
    started = client.post(
        f"/{act}/insights",
        level="ad",
        fields=FIELDS,
        breakdowns=[HOURLY],
        time_range={"since": day, "until": day},
        time_increment="1",
    )
    assert started.status == 200, started.body
    run_id = started.body["report_run_id"]
    assert poll(client, run_id)["async_status"] == "Job Completed"
    served = client.walk(f"/{run_id}/insights", limit=500)
    key = ("ad_id", HOURLY)
    assert sorted(tuple(r[k] for k in key) for r in served) == sorted(
        tuple(r[k] for k in key) for r in _hourly(client, act, day)
    )
    assert not any("reach" in r for r in served)
