"""The insights rules in force in 2026: attribution settings per ad set, retired view windows,
ignored parameters, deduplicated reach, the 13-month reach rule, opt-in breakdowns and the
error fields of failed report runs."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from meta_ads_sandbox.attribution import setting_of
from meta_ads_sandbox.timeutil import add_months
from meta_ads_sandbox.truth import write_truth
from tests.sandbox.versions_support import VERSIONS, poll

THROTTLE = "x-fb-ads-insights-reach-throttle"
EVERY_STATUS = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]
LEVEL_IDS = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}


def _today(dataset):
    return dataset.end_date + timedelta(days=1)


def _old_range(dataset, months=14):
    """A time range starting `months` before the dataset's today, ending on its last day."""
    since = add_months(_today(dataset), -months)
    return {"since": since.isoformat(), "until": dataset.end_date.isoformat()}


def _levels(path):
    def read(name):
        lines = (path / f"insights_{name}.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    return {lv: read(lv) for lv in ("account", *LEVEL_IDS)}


# -- attribution ----------------------------------------------------------------------------
def test_ad_sets_have_varied_attribution_specs(truth, jsonl):
    settings = [setting_of(a["attribution_spec"]) for a in jsonl(truth / "adsets.jsonl")]
    assert len(set(settings)) >= 3
    assert set(settings) <= {"7d_click_1d_view", "1d_click", "7d_click", "1d_click_1d_view"}
    first = jsonl(truth / "adsets.jsonl")[0]
    assert first["attribution_spec"][0]["event_type"] == "CLICK_THROUGH"


def test_attribution_setting_on_rows(client, accounts, truth, jsonl):
    adsets = {a["id"]: setting_of(a["attribution_spec"]) for a in jsonl(truth / "adsets.jsonl")}
    by_campaign = defaultdict(set)
    by_account = defaultdict(set)
    for a in jsonl(truth / "adsets.jsonl"):
        by_campaign[a["campaign_id"]].add(adsets[a["id"]])
        by_account[a["account_id"]].add(adsets[a["id"]])
    seen = set()
    for act in accounts:
        common = {
            "fields": "account_id,campaign_id,adset_id,attribution_setting,impressions",
            "filtering": [
                {"field": "adset.effective_status", "operator": "IN", "value": EVERY_STATUS[:5]}
            ],
            "date_preset": "maximum",
            "limit": 500,
        }
        for row in client.walk(f"/{act['id']}/insights", level="adset", **common):
            assert row["attribution_setting"] == adsets[row["adset_id"]]
        camp_filter = [
            {"field": "campaign.effective_status", "operator": "IN", "value": EVERY_STATUS[:4]}
        ]
        rows = client.walk(
            f"/{act['id']}/insights", level="campaign", **{**common, "filtering": camp_filter}
        )
        for row in rows:
            found = by_campaign[row["campaign_id"]]
            expected = next(iter(found)) if len(found) == 1 else "mixed"
            assert row["attribution_setting"] == expected
            seen.add(expected)
        top = client.get(f"/{act['id']}/insights", fields="attribution_setting").body["data"]
        found = by_account[act["account_id"]]
        assert top[0]["attribution_setting"] == ("mixed" if len(found) > 1 else found.pop())
    assert "mixed" in seen
    assert seen - {"mixed"}


def test_truth_rows_carry_the_attribution_setting(truth, jsonl):
    adsets = {a["id"]: setting_of(a["attribution_spec"]) for a in jsonl(truth / "adsets.jsonl")}
    for row in jsonl(truth / "insights_ad.jsonl"):
        assert row["attribution_setting"] == adsets[row["adset_id"]]


def test_retired_windows_and_ignored_parameters(client, accounts):
    act = accounts[0]["id"]
    query = {"level": "ad", "fields": "ad_id,actions,wish_bid", "date_preset": "last_7d"}
    plain = client.walk(f"/{act}/insights", **query)
    assert plain
    assert all(row["wish_bid"] is None for row in plain)
    retired = client.walk(
        f"/{act}/insights", action_attribution_windows=["7d_view", "28d_view"], **query
    )
    assert retired == plain  # the keys are accepted and give nothing
    ignored = client.walk(
        f"/{act}/insights",
        use_unified_attribution_setting="true",
        action_report_time="conversion",
        **query,
    )
    assert ignored == plain
    job = client.post(
        f"/{act}/insights", use_unified_attribution_setting="true", action_report_time="mixed"
    )
    assert job.status == 200


# -- reach ----------------------------------------------------------------------------------
def _reach_by(rows, key):
    out = defaultdict(list)
    for row in rows:
        out[key(row)].append(int(row["reach"]))
    return out


def test_reach_is_deduplicated_per_level(truth):
    levels = _levels(truth)
    pairs = (
        ("adset", "ad", "adset_id"),
        ("campaign", "adset", "campaign_id"),
        ("account", "campaign", "account_id"),
    )
    strict = 0
    for upper, lower, key in pairs:
        children = _reach_by(levels[lower], lambda r, k=key: (r[k], r["date_start"]))
        for row in levels[upper]:
            parts = children[(row[key], row["date_start"])]
            reach = int(row["reach"])
            assert max(parts) <= reach <= sum(parts), (upper, row[key], row["date_start"])
            strict += reach < sum(parts)
            imps = Decimal(row["impressions"])
            assert row["frequency"] == str((imps / reach).quantize(Decimal("0.000001")))
    assert strict > 100
    account_reach = {(r["account_id"], r["date_start"]): int(r["reach"]) for r in levels["account"]}
    ad_sums = _reach_by(levels["ad"], lambda r: (r["account_id"], r["date_start"]))
    assert any(sum(ad_sums[k]) > v for k, v in account_reach.items())


def test_api_reach_matches_truth_at_each_level(client, accounts, truth, dataset):
    levels = _levels(truth)
    act = accounts[0]
    since = (dataset.end_date - timedelta(days=9)).isoformat()
    for level, key in (("campaign", "campaign_id"), ("account", "account_id")):
        expected = {
            (r[key], r["date_start"]): r["reach"]
            for r in levels[level]
            if r["account_id"] == act["account_id"] and r["date_start"] >= since
        }
        got = client.walk(
            f"/{act['id']}/insights",
            level=level,
            fields=f"{key},reach",
            time_increment=1,
            time_range={"since": since, "until": dataset.end_date.isoformat()},
            filtering=[
                {"field": "campaign.effective_status", "operator": "IN", "value": EVERY_STATUS[:4]}
            ]
            if level == "campaign"
            else [],
            limit=500,
        )
        assert {(r[key], r["date_start"]): r["reach"] for r in got} == expected


def test_reach_over_days_is_deduplicated(client, accounts, dataset):
    act = accounts[0]["id"]
    window = {
        "since": (dataset.end_date - timedelta(days=6)).isoformat(),
        "until": dataset.end_date.isoformat(),
    }
    daily = client.walk(
        f"/{act}/insights", fields="impressions,reach", time_increment=1, time_range=window
    )
    week = client.get(f"/{act}/insights", fields="impressions,reach", time_range=window)
    total = week.body["data"][0]
    parts = [int(r["reach"]) for r in daily]
    assert max(parts) <= int(total["reach"]) < sum(parts)
    assert int(total["impressions"]) == sum(int(r["impressions"]) for r in daily)


def test_no_overlap_means_reach_adds_up(tmp_path, dataset):
    write_truth(tmp_path, replace(dataset, accounts=1, reach_overlap=0.0))
    levels = _levels(tmp_path)
    ads = _reach_by(levels["ad"], lambda r: (r["campaign_id"], r["date_start"]))
    for row in levels["campaign"]:
        assert int(row["reach"]) == sum(ads[(row["campaign_id"], row["date_start"])])


# -- the 13-month rule ----------------------------------------------------------------------
def test_old_breakdowns_omit_reach(client, accounts, dataset):
    act = accounts[0]["id"]
    fields = "impressions,reach,frequency,cpp,spend"
    old = client.get(
        f"/{act}/insights", fields=fields, breakdowns=["age"], time_range=_old_range(dataset)
    )
    assert old.status == 200
    assert old.body["data"]
    for row in old.body["data"]:
        assert not {"reach", "frequency", "cpp"} & set(row)
        assert "impressions" in row
    assert THROTTLE in old.headers
    recent = client.get(
        f"/{act}/insights", fields=fields, breakdowns=["age"], time_range=_old_range(dataset, 12)
    )
    assert all("reach" in r for r in recent.body["data"])
    assert THROTTLE not in recent.headers
    plain = client.get(f"/{act}/insights", fields=fields, time_range=_old_range(dataset))
    assert all("reach" in r and "frequency" in r for r in plain.body["data"])
    assert THROTTLE not in plain.headers


def test_old_breakdowns_async_quota(start, client_for, accounts, dataset):
    c = client_for(start(job_seconds=0))
    act, other = accounts[0]["id"], accounts[1]["id"]
    query = {
        "fields": "impressions,reach,frequency",
        "breakdowns": ["gender"],
        "time_range": _old_range(dataset),
    }
    runs = []
    for n in range(1, 11):
        resp = c.post(f"/{act}/insights", **query)
        assert resp.status == 200, (n, resp.body)
        throttle = json.loads(resp.headers[THROTTLE])
        assert throttle["acc_id_util_pct"] == n * 10
        assert 0 < throttle["reset_time_duration"] <= 86_400
        runs.append(resp.body["report_run_id"])
    over = c.post(f"/{act}/insights", **query)
    assert over.status == 400
    assert over.error["code"] == 613
    assert over.error["message"] == (
        "(#613) Reach-related metric breakdowns are unavailable due to rate limit threshold."
    )
    assert c.post(f"/{other}/insights", **query).status == 200  # per account
    no_reach = {**query, "fields": "impressions,spend"}
    assert c.post(f"/{act}/insights", **no_reach).status == 200  # reach not asked: not counted
    assert poll(c, runs[0])["async_status"] == "Job Completed"
    rows = c.walk(f"/{runs[0]}/insights")
    assert rows
    assert all("reach" in r and "frequency" in r for r in rows)  # async runs still fetch it


# -- opt-in breakdowns ----------------------------------------------------------------------
OPT_IN = (
    ["publisher_platform", "impression_device"],
    ["hourly_stats_aggregated_by_audience_time_zone"],
    ["frequency_value"],
)


@pytest.mark.parametrize("breakdowns", OPT_IN)
def test_opt_in_breakdowns_sync(client, start, client_for, accounts, dataset, breakdowns):
    act = accounts[0]["id"]
    query = {"fields": "impressions,spend", "breakdowns": breakdowns, "date_preset": "last_7d"}
    empty = client.get(f"/{act}/insights", **query)
    assert empty.status == 200
    assert empty.body == {"data": []}
    opted = client_for(start(replace(dataset, opted_in_accounts=(1,))))
    rows = opted.walk(f"/{act}/insights", **query)
    assert rows
    assert all(all(b in r for b in breakdowns) for r in rows)
    total = opted.get(f"/{act}/insights", fields="impressions", date_preset="last_7d")
    assert sum(int(r["impressions"]) for r in rows) == int(total.body["data"][0]["impressions"])
    assert opted.get(f"/{accounts[1]['id']}/insights", **query).body == {"data": []}


def test_breakdowns_without_opt_in_keep_working(client, accounts):
    act = accounts[0]["id"]
    for breakdowns in (["hourly_stats_aggregated_by_advertiser_time_zone"], ["age"]):
        rows = client.get(
            f"/{act}/insights", fields="impressions", breakdowns=breakdowns, date_preset="last_7d"
        ).body["data"]
        assert rows, breakdowns


def test_opt_in_breakdowns_async_quota(start, client_for, dataset):
    small = replace(dataset, accounts=2, campaigns=1, adsets=1, ads=3)
    c = client_for(start(small, job_seconds=0))
    act = "act_" + c.get("/me/adaccounts").body["data"][0]["account_id"]
    query = {"fields": "impressions", "breakdowns": ["frequency_value"], "date_preset": "last_7d"}
    runs = [c.post(f"/{act}/insights", **query) for _ in range(3)]  # min(10, 3 ads)
    assert all(r.status == 200 for r in runs)
    over = c.post(f"/{act}/insights", **query)
    assert over.status == 400
    assert over.error["code"] == 613
    assert over.error["error_user_title"] == "Breakdown requires opt-in"
    assert "3 asynchronous requests" in over.error["error_user_msg"]
    assert c.post(f"/{act}/insights", fields="impressions", breakdowns=["age"]).status == 200
    done = poll(c, runs[0].body["report_run_id"])
    assert done["async_status"] == "Job Completed"
    opted = client_for(start(replace(small, opted_in_accounts=None), job_seconds=0))
    assert all(opted.post(f"/{act}/insights", **query).status == 200 for _ in range(5))


def test_opt_in_quota_is_ten_with_many_ads(start, client_for, accounts):
    c = client_for(start(job_seconds=0))  # 12 ads per account
    act = accounts[0]["id"]
    query = {"fields": "impressions", "breakdowns": ["publisher_platform", "impression_device"]}
    assert all(c.post(f"/{act}/insights", **query).status == 200 for _ in range(10))
    assert c.post(f"/{act}/insights", **query).error["code"] == 613


# -- failed report runs ---------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_failed_report_runs_carry_error_fields(start, client_for, accounts, version):
    c = client_for(start(job_seconds=0, job_failure_rate=1.0), version=version)
    run = c.post(f"/{accounts[0]['id']}/insights", fields="impressions").body["report_run_id"]
    failed = poll(c, run)
    assert failed["async_status"] == "Job Failed"
    assert failed["error_code"] == -2
    assert failed["error_subcode"] == 2490547
    for name in ("error_message", "error_user_title", "error_user_msg"):
        assert isinstance(failed[name], str)
        assert failed[name]
    asked = c.get(f"/{run}", fields="async_status,error_code,error_user_msg").body
    assert set(asked) == {"id", "async_status", "error_code", "error_user_msg"}
    ok = client_for(start(job_seconds=0), version=version)
    done = poll(ok, ok.post(f"/{accounts[0]['id']}/insights").body["report_run_id"])
    assert not {k for k in done if k.startswith("error_")}


def test_dates_in_this_module_are_pinned(dataset):
    assert dataset.end_date == date(2026, 11, 21)  # the 13-month cases above rely on it
