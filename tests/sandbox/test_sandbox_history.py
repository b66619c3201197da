"""Custom conversions and activities: served as the truth says, paged, filtered, joinable."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from meta_ads_sandbox import fields
from meta_ads_sandbox.objects_conversions import CUSTOM_PREFIX
from tests.conftest import TAP_DATASET

ACTIVITY_FIELDS = ",".join(sorted(fields.catalogue()["AdActivity"]))


def _unix(text: str) -> int:
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def test_custom_conversions_match_the_truth_page_by_page(client, truth, jsonl, accounts):
    objs = jsonl(truth / "customconversions.jsonl")
    names = ",".join(sorted({k for o in objs for k in o}))
    for act in accounts:
        served = client.walk(f"/{act['id']}/customconversions", fields=names, limit=1)
        mine = [o for o in objs if o["account_id"] == act["account_id"]]
        assert len(mine) in (2, 3)
        assert sorted(served, key=lambda o: o["id"]) == sorted(mine, key=lambda o: o["id"])
        assert {o["custom_event_type"] for o in mine} >= {"PURCHASE", "LEAD"}
    one = objs[0]
    assert client.get(f"/{one['id']}", fields="name,pixel").body == {
        "name": one["name"],
        "pixel": one["pixel"],
        "id": one["id"],
    }
    bad = client.get(f"/{accounts[0]['id']}/customconversions", fields="id,no_such_field")
    assert bad.status == 400


def test_activities_newest_first_without_id_and_windowed_by_since_until(client, truth, jsonl):
    lines = jsonl(truth / "activities.jsonl")
    assert lines
    assert all("id" not in line for line in lines)
    act = client.get("/me/adaccounts", fields="id").body["data"][0]["id"]
    served = client.walk(f"/{act}/activities", fields=ACTIVITY_FIELDS, limit=7)
    assert served
    assert all("id" not in row for row in served)
    times = [_unix(row["event_time"]) for row in served]
    assert times == sorted(times, reverse=True)
    number = act.removeprefix("act_")
    mine = [row for row in lines if row["object_id"][3:8] == number[1:6]]
    assert sorted(served, key=str) == sorted(mine, key=str)
    middle = times[len(times) // 2]
    since = client.walk(f"/{act}/activities", fields="event_time", since=str(middle))
    assert since
    assert all(_unix(row["event_time"]) >= middle for row in since)
    assert len(since) == sum(t >= middle for t in times)
    until = client.walk(f"/{act}/activities", fields="event_time", until=str(middle))
    assert len(until) == sum(t <= middle for t in times)
    both = client.walk(
        f"/{act}/activities", fields="event_time", since=str(middle), until=str(middle)
    )
    assert len(both) == times.count(middle)


def test_advance_adds_one_activity_per_change(start, client_for):
    server = start(replace(TAP_DATASET, accounts=1))
    client = client_for(server)
    act = client.get("/me/adaccounts", fields="id").body["data"][0]["id"]
    before = client.walk(f"/{act}/activities", fields=ACTIVITY_FIELDS)
    latest = max(_unix(row["event_time"]) for row in before)
    client.fetch(f"{server.base_url}/__admin/advance", "POST", {})
    after = client.walk(f"/{act}/activities", fields=ACTIVITY_FIELDS, since=str(latest + 1))
    assert {row["event_type"] for row in after} == {
        "update_campaign_run_status",
        "update_ad_set_name",
        "update_ad_run_status",
    }
    assert all(row["actor_name"] and row["extra_data"].startswith("{") for row in after)


def test_insights_actions_name_the_custom_conversions(truth, jsonl):
    conversions = {o["id"]: o for o in jsonl(truth / "customconversions.jsonl")}
    seen: set[str] = set()
    for row in jsonl(truth / "insights_ad.jsonl"):
        for entry in row.get("actions", []):
            if entry["action_type"].startswith(CUSTOM_PREFIX):
                seen.add(entry["action_type"].removeprefix(CUSTOM_PREFIX))
    assert seen, "some ads count custom conversions"
    assert seen <= set(conversions)
    assert "PURCHASE" in {conversions[i]["custom_event_type"] for i in seen}
    assert {conversions[i]["custom_event_type"] for i in seen} <= {"PURCHASE", "LEAD"}
    assert not any(conversions[i]["is_archived"] for i in seen)


def test_accounts_have_a_default_attribution_spec(client, accounts):
    for act in accounts:
        body = client.get(
            f"/{act['id']}", fields="attribution_spec,is_attribution_spec_system_default"
        ).body
        assert body["attribution_spec"][0]["event_type"] == "CLICK_THROUGH"
        assert isinstance(body["is_attribution_spec_system_default"], bool)
