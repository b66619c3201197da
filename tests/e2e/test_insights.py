"""Daily insights through Meltano into PostgreSQL equal the sandbox's truth."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.common import END, fast
from tests.support import warehouse_check

pytestmark = pytest.mark.e2e

DAYS = 12
START = END - dt.timedelta(days=DAYS - 1)
DATASET = [
    "--seed",
    "21",
    "--accounts",
    "3",
    "--campaigns",
    "3",
    "--adsets",
    "2",
    "--ads",
    "2",
    "--days",
    str(DAYS),
    "--end-date",
    END.isoformat(),
    "--restate-days",
    "3",
]
FAST = fast(START)
INSIGHTS = ["account_insights", "campaign_insights", "adset_insights", "ad_insights"]


def _truth(api, advance: int = 0) -> warehouse_check.Truth:
    truth = warehouse_check.Truth(api.truth(advance), [], insights_since=START)
    truth.account_ids = truth.active_account_ids()
    return truth


def test_insights_match_truth_and_follow_restatement(warehouse, sandbox_process):
    with sandbox_process(DATASET, ["--job-seconds", "1.5"]) as api:
        first = warehouse.run(api.base_url, **FAST)
        assert first.returncode == 0, first.stderr[-4000:]
        truth = _truth(api)
        assert warehouse.compare(truth) == []
        # deleted and archived ads' spend is there, so account totals match Ads Manager
        deleted = warehouse.query(
            "SELECT count(*), sum(i.spend) FROM {schema}.ad_insights i JOIN {schema}.ads a "
            "ON a.id = i.ad_id WHERE a.effective_status IN ('DELETED', 'ARCHIVED')"
        )
        assert deleted[0][0] > 0
        assert deleted[0][1] > 0
        totals = warehouse.query(
            "SELECT a.account_id, a.date_start, a.spend, sum(i.spend) FROM "
            "{schema}.account_insights a JOIN {schema}.ad_insights i ON i.account_id = "
            "a.account_id AND i.date_start = a.date_start GROUP BY 1, 2, 3"
        )
        assert totals
        assert all(row[2] == row[3] for row in totals)
        assert api.admin("stats")["jobs"]["created"] > 0

        api.admin("advance", method="POST")
        second = warehouse.run(api.base_url, **FAST)
        assert second.returncode == 0, second.stderr[-4000:]
        restated = _truth(api, 1)
        assert warehouse.compare(restated) == []
        before = {(r["ad_id"], r["date_start"]): r["spend"] for r in truth.load("insights_ad")}
        after = {(r["ad_id"], r["date_start"]): r["spend"] for r in restated.load("insights_ad")}
        assert any(before.get(k) != v for k, v in after.items()), "advance restated nothing"


def test_failed_jobs_and_oversized_reports_are_split_without_loss(warehouse, sandbox_process):
    behaviour = [
        "--job-seconds",
        "0.5",
        "--job-failure-rate",
        "0.3",
        "--job-skip-rate",
        "0.1",
        "--async-row-limit",
        "40",
    ]
    with sandbox_process(DATASET, behaviour) as api:
        result = warehouse.run(api.base_url, select_filter='["ad_account","*_insights"]', **FAST)
        assert result.returncode == 0, result.stderr[-4000:]
        assert warehouse.compare(_truth(api), INSIGHTS) == []
        jobs = api.admin("stats")["jobs"]
        assert jobs["failed"] > 0
        assert jobs["skipped"] > 0
        assert "split" in result.stderr.lower()


REPORTS = [
    {
        "name": "ads_by_age_gender",
        "level": "ad",
        "fields": ["impressions", "spend", "actions"],
        "breakdowns": ["age", "gender"],
    },
    {
        "name": "campaign_monthly",
        "level": "campaign",
        "fields": ["impressions", "spend"],
        "time_increment": "monthly",
    },
]


def test_custom_reports_and_flat_actions_add_up_to_the_truth(warehouse, sandbox_process):
    import json
    from collections import defaultdict
    from decimal import Decimal

    with sandbox_process(DATASET, ["--job-seconds", "0.5"]) as api:
        result = warehouse.run(
            api.base_url,
            select_filter='["ad_account","ads_by_age_gender","campaign_monthly",'
            '"insights_actions"]',
            insights_reports=json.dumps(REPORTS),
            **FAST,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        truth = _truth(api)
        daily = [
            r
            for r in truth.in_scope(truth.load("insights_ad"))
            if dt.date.fromisoformat(r["date_start"]) >= START
        ]

        # breakdown rows are distinct on the key and add up exactly to the daily ad rows
        rows = warehouse.query(
            "SELECT ad_id, date_start, age, gender, impressions, spend "
            "FROM {schema}.ads_by_age_gender"
        )
        assert len(rows) == len({r[:4] for r in rows})
        sums: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(lambda: [0, Decimal(0)])
        for ad_id, day, _age, _gender, impressions, spend in rows:
            sums[(ad_id, day)][0] += impressions
            sums[(ad_id, day)][1] += spend
        expected = {
            (r["ad_id"], dt.date.fromisoformat(r["date_start"])): [
                int(r["impressions"]),
                Decimal(r["spend"]),
            ]
            for r in daily
        }
        assert dict(sums) == expected

        # monthly campaign rows equal the sums of the truth's daily campaign rows per month
        monthly = warehouse.query(
            "SELECT campaign_id, date_start, impressions, spend FROM {schema}.campaign_monthly"
        )
        by_month: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(lambda: [0, Decimal(0)])
        for r in truth.in_scope(truth.load("insights_campaign")):
            day = dt.date.fromisoformat(r["date_start"])
            if day >= START:
                key = (r["campaign_id"], max(day.replace(day=1), START.replace(day=1)))
                by_month[key][0] += int(r["impressions"])
                by_month[key][1] += Decimal(r["spend"])
        got = {(c, d): [i, s] for c, d, i, s in monthly}
        assert got == {k: v for k, v in by_month.items() if v[0]}

        # insights_actions: one row per ad, day and action type for the total window
        flat = warehouse.query(
            "SELECT ad_id, date_start, action_type, value FROM "
            "{schema}.insights_actions WHERE attribution_window = 'total'"
        )
        expected_flat = {
            (r["ad_id"], dt.date.fromisoformat(r["date_start"]), a["action_type"]): Decimal(
                a["value"]
            )
            for r in daily
            for a in r.get("actions") or []
        }
        assert {(a, d, t): v for a, d, t, v in flat} == expected_flat
