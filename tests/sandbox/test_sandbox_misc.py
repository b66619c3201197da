"""Business edges, more action breakdowns and windows, polling in a batch, latency."""

from __future__ import annotations

import json
import time
from collections import defaultdict


def test_business_edges(client, truth, jsonl, accounts):
    businesses = jsonl(truth / "businesses.jsonl")
    owned: dict[str, list[str]] = defaultdict(list)
    for acct in accounts:
        if "business" in acct:
            owned[acct["business"]["id"]].append(acct["id"])
    for biz in businesses:
        listed = client.walk(f"/{biz['id']}/owned_ad_accounts", fields="id,name")
        assert [a["id"] for a in listed] == owned[biz["id"]]
        assert client.get(f"/{biz['id']}/client_ad_accounts").body == {"data": []}
        node = client.get(f"/{biz['id']}", fields="id,name,created_time,verification_status").body
        assert node == {k: biz[k] for k in ("id", "name", "created_time", "verification_status")}
        assert client.get(f"/{biz['id']}").body == {"id": biz["id"], "name": biz["name"]}


def test_destination_and_target_breakdowns(client, accounts):
    act = accounts[0]["id"]
    plain = client.get(f"/{act}/insights", fields="actions").body["data"][0]["actions"]
    split = client.get(
        f"/{act}/insights",
        fields="actions",
        action_breakdowns=["action_type", "action_destination", "action_target_id"],
    ).body["data"][0]["actions"]
    sums: dict[str, int] = defaultdict(int)
    for entry in split:
        assert entry["action_destination"]
        assert entry["action_target_id"].isdigit()
        sums[entry["action_type"]] += int(entry["value"])
    assert sums == {e["action_type"]: int(e["value"]) for e in plain}
    only_device = client.get(
        f"/{act}/insights", fields="actions", action_breakdowns=["action_device"]
    )
    for entry in only_device.body["data"][0]["actions"]:
        assert set(entry) == {"action_device", "value"}


def test_engaged_view_and_dda_windows(client, accounts):
    seen = set()
    for acct in accounts:
        rows = client.walk(
            f"/{acct['id']}/insights",
            level="campaign",
            fields="actions",
            action_attribution_windows=["1d_ev", "dda"],
            date_preset="last_90d",
        )
        for row in rows:
            for entry in row.get("actions", []):
                seen |= set(entry) - {"action_type", "value"}
    assert seen == {"1d_ev", "dda"}


def test_poll_report_runs_in_a_batch(client, accounts):
    runs = [
        client.post(f"/{accounts[0]['id']}/insights", level="campaign").body["report_run_id"]
        for _ in range(3)
    ]
    items = [
        {"method": "GET", "relative_url": f"{r}/?fields=async_status,async_percent_completion"}
        for r in runs
    ]
    resp = client.fetch(
        f"{client.base_url}/v25.0/",
        "POST",
        {"access_token": client.token, "batch": json.dumps(items)},
    )
    for item in resp.body:
        body = json.loads(item["body"])
        assert body["async_status"] == "Job Completed"
        assert body["async_percent_completion"] == 100


def test_latency(start, client_for):
    c = client_for(start(latency_ms=150))
    began = time.monotonic()
    assert c.get("/me").status == 200
    assert time.monotonic() - began >= 0.15
