"""Sync insights: exact sums over levels and breakdowns, windows, deleted rows, presets, errors."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from meta_ads_sandbox.insights_rows import PRODUCED_FIELDS

# Counts that add up across levels and breakdown parts (reach does not: it is deduplicated,
# see test_sandbox_insights_2026.py).
COUNTS = ("impressions", "clicks", "unique_clicks", "inline_link_clicks")
EVERY_AD_STATUS = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]


def totals(rows, key):
    """Sum counts, spend and action values per key(row)."""
    out = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        acc = out[key(row)]
        for name in COUNTS:
            acc[name] += int(row[name])
        acc["spend"] += Decimal(row["spend"])
        for entry in row.get("actions", []):
            acc["action:" + entry["action_type"]] += int(entry["value"])
        for entry in row.get("action_values", []):
            acc["value:" + entry["action_type"]] += Decimal(entry["value"])
    return {k: dict(v) for k, v in out.items()}


def history(dataset):
    end = dataset.end_date
    return {"since": (end - timedelta(days=dataset.days - 1)).isoformat(), "until": end.isoformat()}


def test_truth_levels_are_exact_sums(truth, jsonl):
    levels = {
        lv: jsonl(truth / f"insights_{lv}.jsonl") for lv in ("account", "campaign", "adset", "ad")
    }
    by_account = totals(levels["account"], lambda r: (r["account_id"], r["date_start"]))
    for lower in ("campaign", "adset", "ad"):
        assert totals(levels[lower], lambda r: (r["account_id"], r["date_start"])) == by_account
    camp = totals(levels["campaign"], lambda r: (r["campaign_id"], r["date_start"]))
    assert totals(levels["ad"], lambda r: (r["campaign_id"], r["date_start"])) == camp
    for row in levels["account"]:
        imps, reach, clicks = (int(row[k]) for k in ("impressions", "reach", "clicks"))
        spend = Decimal(row["spend"])
        assert row["ctr"] == str((Decimal(clicks) * 100 / imps).quantize(Decimal("0.000001")))
        assert row["frequency"] == str((Decimal(imps) / reach).quantize(Decimal("0.000001")))
        assert row["cpm"] == str((spend * 1000 / imps).quantize(Decimal("0.000001")))


def test_zero_delivery_rows_are_omitted(truth, jsonl):
    for level in ("account", "campaign", "adset", "ad"):
        rows = jsonl(truth / f"insights_{level}.jsonl")
        assert rows
        assert all(int(r["impressions"]) > 0 for r in rows)
        assert all(r["date_start"] == r["date_stop"] for r in rows)
        for r in rows:
            for name in ("actions", "action_values", "conversions", "unique_actions"):
                assert r.get(name, None) != []


def test_api_matches_truth_daily_ad_rows(client, truth, jsonl, accounts, dataset):
    act = accounts[1]
    expected = [
        r for r in jsonl(truth / "insights_ad.jsonl") if r["account_id"] == act["account_id"]
    ]
    got = client.walk(
        f"/{act['id']}/insights",
        level="ad",
        fields=",".join(PRODUCED_FIELDS),
        time_increment=1,
        time_range=history(dataset),
        filtering=[{"field": "ad.effective_status", "operator": "IN", "value": EVERY_AD_STATUS}],
        limit=500,
    )
    key = lambda r: (r["ad_id"], r["date_start"])  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)


def test_deleted_rows_need_the_filter_but_count_in_totals(client, truth, jsonl, accounts, dataset):
    ads = {a["id"]: a for a in jsonl(truth / "ads.jsonl")}
    for act in accounts:
        params = {"time_range": history(dataset), "fields": "ad_id,impressions", "limit": 500}
        hidden_default = client.walk(f"/{act['id']}/insights", level="ad", **params)
        with_filter = client.walk(
            f"/{act['id']}/insights",
            level="ad",
            filtering=[
                {"field": "ad.effective_status", "operator": "IN", "value": EVERY_AD_STATUS}
            ],
            **params,
        )
        gone = {ads[r["ad_id"]]["effective_status"] for r in hidden_default}
        assert not gone & {"DELETED", "ARCHIVED"}
        shown = {ads[r["ad_id"]]["effective_status"] for r in with_filter}
        assert shown & {"DELETED", "ARCHIVED"}, (
            "each account has a deleted or archived ad with rows"
        )
        total = client.get(
            f"/{act['id']}/insights", fields="impressions", time_range=history(dataset)
        )
        assert int(total.body["data"][0]["impressions"]) == sum(
            int(r["impressions"]) for r in with_filter
        )


@pytest.mark.parametrize(
    "breakdowns",
    [
        ["age"],
        ["gender"],
        ["age", "gender"],
        ["country"],
        ["region"],
        ["publisher_platform"],
        ["publisher_platform", "platform_position"],
        ["device_platform"],
    ],
)
def test_breakdowns_sum_exactly(client, accounts, breakdowns):
    act = accounts[0]["id"]
    common = {
        "level": "campaign",
        "time_increment": 1,
        "date_preset": "last_14d",
        "limit": 1000,
        "fields": "campaign_id,impressions,reach,clicks,unique_clicks,inline_link_clicks,spend,"
        "actions,action_values",
    }
    plain = client.walk(f"/{act}/insights", **common)
    split = client.walk(f"/{act}/insights", breakdowns=breakdowns, **common)
    assert split
    assert all(all(b in r for b in breakdowns) for r in split)
    key = lambda r: (r["campaign_id"], r["date_start"])  # noqa: E731
    assert totals(split, key) == totals(plain, key)
    assert len({tuple(r[b] for b in breakdowns) for r in split}) > 1


@pytest.mark.parametrize(
    ("breakdowns", "needle"),
    [
        (["age", "country"], "Current combination of data breakdown columns"),
        (["impression_device"], "Current combination"),
        (["platform_position"], "Current combination"),
        (["not_a_breakdown"], "must be one of the following values"),
    ],
)
def test_invalid_breakdowns(client, accounts, breakdowns, needle):
    resp = client.get(f"/{accounts[0]['id']}/insights", breakdowns=breakdowns)
    assert resp.status == 400
    assert resp.error["code"] == 100
    assert needle in resp.error["message"]


def test_attribution_windows(client, accounts):
    act = accounts[0]["id"]
    asked = ["1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view"]
    rows = client.walk(
        f"/{act}/insights",
        level="ad",
        fields="actions,action_values,attribution_setting",
        action_attribution_windows=asked,
        date_preset="last_30d",
        filtering=[{"field": "ad.effective_status", "operator": "IN", "value": EVERY_AD_STATUS}],
    )
    seen = set()
    for row in rows:
        for entry in row.get("actions", []):
            keys = set(entry) - {"action_type", "value"}
            seen |= keys
            assert keys <= {"1d_click", "7d_click", "28d_click", "1d_view"}
            value = int(entry["value"])  # the windows of the ad set's attribution setting
            windows = row["attribution_setting"].replace("_click", "_click,").split(",")
            assert value == sum(int(entry.get(w.strip("_"), 0)) for w in windows if w)
            assert (
                int(entry.get("1d_click", 0))
                <= int(entry.get("7d_click", 0))
                <= int(entry.get("28d_click", 0))
                or "7d_click" not in entry
            )
    assert {"1d_click", "7d_click", "28d_click"} <= seen
    default = client.get(f"/{act}/insights", fields="actions")
    for entry in default.body["data"][0]["actions"]:
        assert set(entry) == {"action_type", "value"}


def test_action_device_breakdown_sums(client, accounts):
    act = accounts[0]["id"]
    plain = client.get(f"/{act}/insights", fields="actions").body["data"][0]["actions"]
    split = client.get(
        f"/{act}/insights", fields="actions", action_breakdowns=["action_type", "action_device"]
    ).body["data"][0]["actions"]
    sums = defaultdict(int)
    for entry in split:
        assert entry["action_device"]
        sums[entry["action_type"]] += int(entry["value"])
    assert sums == {e["action_type"]: int(e["value"]) for e in plain}


def test_sync_row_ceiling(start, client_for, accounts):
    c = client_for(start(sync_row_limit=10))
    resp = c.get(f"/{accounts[0]['id']}/insights", level="ad", time_increment=1)
    assert resp.status == 400
    assert (resp.error["code"], resp.error["error_subcode"]) == (100, 1487534)
    assert c.get(f"/{accounts[0]['id']}/insights").status == 200


def test_date_presets(client, accounts, dataset):
    end = dataset.end_date
    act = accounts[0]["id"]

    def span(**p):
        row = client.get(f"/{act}/insights", fields="impressions", **p).body["data"][0]
        return row["date_start"], row["date_stop"]

    assert span(date_preset="yesterday") == (end.isoformat(),) * 2
    assert span(date_preset="last_7d") == ((end - timedelta(days=6)).isoformat(), end.isoformat())
    assert span() == ((end - timedelta(days=29)).isoformat(), end.isoformat())
    assert span(date_preset="last_30d") == span()
    assert client.get(f"/{act}/insights", date_preset="today").body == {"data": []}
    assert client.get(f"/{act}/insights", date_preset="last_decade").status == 400


def test_time_increments(client, accounts, dataset):
    act = accounts[0]["id"]
    rng = {"since": "2026-10-01", "until": "2026-11-20"}
    monthly = client.get(f"/{act}/insights", time_range=rng, time_increment="monthly").body["data"]
    assert [(r["date_start"], r["date_stop"]) for r in monthly] == [
        ("2026-10-01", "2026-10-31"),
        ("2026-11-01", "2026-11-20"),
    ]
    weekly = client.walk(f"/{act}/insights", time_range=rng, time_increment=7)
    since = date.fromisoformat(rng["since"])
    for row in weekly:
        start, stop = date.fromisoformat(row["date_start"]), date.fromisoformat(row["date_stop"])
        assert (start - since).days % 7 == 0
        assert stop == min(start + timedelta(days=6), date.fromisoformat(rng["until"]))
    total = client.get(f"/{act}/insights", time_range=rng, fields="impressions").body["data"][0]
    assert (total["date_start"], total["date_stop"]) == ("2026-10-01", "2026-11-20")
    assert int(total["impressions"]) == sum(int(r["impressions"]) for r in weekly)
    ranges = client.get(
        f"/{act}/insights", time_ranges=[rng, {"since": "2026-11-01", "until": "2026-11-02"}]
    )
    assert len(ranges.body["data"]) == 2


def test_start_beyond_37_months_and_before_history(client, accounts, dataset):
    act = accounts[0]["id"]
    old = client.get(f"/{act}/insights", time_range={"since": "2023-01-01", "until": "2023-02-01"})
    assert old.status == 400
    assert old.error["code"] == 3018
    early = client.get(
        f"/{act}/insights", time_range={"since": "2024-01-01", "until": "2024-02-01"}
    )
    assert early.status == 200
    assert early.body == {"data": []}


def test_unknown_insights_field(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}/insights", fields="impressions,bogus")
    assert resp.status == 400
    assert (
        resp.error["message"]
        == "(#100) Tried accessing nonexisting field (bogus) on node type (AdsInsights)"
    )


def test_metric_filter_and_object_edges(client, truth, jsonl, accounts):
    act = accounts[0]
    rows = client.walk(
        f"/{act['id']}/insights",
        level="ad",
        time_increment=1,
        fields="ad_id,impressions",
        filtering=[{"field": "ad.impressions", "operator": "GREATER_THAN", "value": 1000}],
    )
    assert rows
    assert all(int(r["impressions"]) > 1000 for r in rows)
    camp_rows = client.get(
        f"/{act['id']}/insights", level="campaign", fields="campaign_id,impressions"
    ).body["data"]
    for row in camp_rows:
        own = client.get(f"/{row['campaign_id']}/insights", fields="campaign_id,impressions").body[
            "data"
        ]
        assert own == [row]


def test_insights_paging_cursors(client, accounts):
    act = accounts[0]["id"]
    first = client.get(f"/{act}/insights", level="ad", time_increment=1, limit=3)
    assert first.body["paging"]["cursors"]["before"] == "MAZDZD"
    rows = client.walk(f"/{act}/insights", level="ad", time_increment=1, limit=3)
    every = client.get(f"/{act}/insights", level="ad", time_increment=1, limit=1000).body
    assert rows == every["data"]
    assert "next" not in every["paging"]
