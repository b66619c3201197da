"""Batch requests: item shape, per-item auth and errors, the 50-item limit, item faults."""

from __future__ import annotations

import json

from meta_ads_sandbox.faults import FaultConfig
from meta_ads_sandbox.ratelimit import RateLimitConfig


def batch(client, items, version="v25.0", **extra):
    url = f"{client.base_url}/{version}/" if version else f"{client.base_url}/"
    data = {"access_token": client.token, "batch": json.dumps(items), **extra}
    return client.fetch(url, "POST", data)


def test_batch_shape(client, accounts):
    act = accounts[0]["id"]
    items = [
        {"method": "GET", "relative_url": f"{act}/campaigns?fields=id,name&limit=1"},
        {"method": "GET", "relative_url": "me/?fields=id,name"},
        {"method": "GET", "relative_url": f"v25.0/{act}/insights?fields=impressions,spend"},
        {"method": "GET", "relative_url": "act_100009999999999"},
    ]
    resp = batch(client, items)
    assert resp.status == 200
    assert isinstance(resp.body, list)
    assert len(resp.body) == 4
    for item in resp.body:
        assert set(item) == {"code", "headers", "body"}
        assert isinstance(item["code"], int)
        assert isinstance(item["body"], str)
        for header in item["headers"]:
            assert set(header) == {"name", "value"}
    first, me, insights, missing = resp.body
    assert first["code"] == 200
    assert len(json.loads(first["body"])["data"]) == 1
    names = {h["name"] for h in first["headers"]}
    assert {"X-Business-Use-Case-Usage", "X-Ad-Account-Usage", "facebook-api-version"} <= names
    assert json.loads(me["body"])["id"]
    assert "X-FB-Ads-Insights-Throttle" in {h["name"] for h in insights["headers"]}
    assert missing["code"] == 400
    assert json.loads(missing["body"])["error"]["error_subcode"] == 33
    nxt = json.loads(first["body"])["paging"]["next"]
    assert nxt.startswith(f"{client.base_url}/v25.0/{act}/campaigns?")


def test_item_tokens_and_errors(client, accounts):
    items = [
        {"method": "GET", "relative_url": "me?access_token=bogus"},
        {"method": "GET", "relative_url": f"{accounts[0]['id']}?fields=nope"},
        {"method": "GET", "relative_url": "me"},
    ]
    resp = batch(client, items, version=None)
    codes = [(i["code"], json.loads(i["body"]).get("error", {}).get("code")) for i in resp.body]
    assert codes == [(400, 190), (400, 100), (200, None)]
    auth = {h["name"]: h["value"] for h in resp.body[0]["headers"]}
    assert "WWW-Authenticate" in auth


def test_include_headers_false(client):
    resp = batch(client, [{"method": "GET", "relative_url": "me"}], include_headers="false")
    assert set(resp.body[0]) == {"code", "body"}


def test_more_than_50_is_refused(client):
    resp = batch(client, [{"method": "GET", "relative_url": "me"}] * 51)
    assert resp.status == 400
    assert resp.error["type"] == "GraphBatchException"
    assert "Maximum batch size is 50" in resp.error["message"]
    assert batch(client, [{"method": "GET", "relative_url": "me"}] * 50).status == 200


def test_top_level_token_required(client_for, client):
    resp = client_for(client.base_url, token=None).fetch(
        f"{client.base_url}/v25.0/",
        "POST",
        {"batch": json.dumps([{"method": "GET", "relative_url": "me"}])},
    )
    assert resp.status == 400
    assert resp.error["code"] == 104


def test_items_are_charged_separately(start, client_for, accounts):
    running = start(rate_limit=RateLimitConfig(management_budget=3, lockout_seconds=60))
    c = client_for(running)
    items = [{"method": "GET", "relative_url": f"{accounts[0]['id']}/campaigns"}] * 5
    resp = batch(c, items)
    assert resp.status == 200
    codes = [i["code"] for i in resp.body]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [400, 400]
    assert json.loads(resp.body[3]["body"])["error"]["code"] == 80004


def test_item_faults_become_error_items(start, client_for):
    running = start(
        faults=FaultConfig(fault_rate=1.0, faults=("error_1",), max_consecutive_faults=1)
    )
    c = client_for(running)
    items = [{"method": "GET", "relative_url": f"me?fields=id&n={n}"} for n in range(3)]
    url = f"{c.base_url}/v25.0/"
    resp = None
    for _ in range(2):  # the batch call itself faults first (its streak cap is 1): retry
        resp = c.fetch(url, "POST", {"access_token": c.token, "batch": json.dumps(items)})
        if resp.status == 200:
            break
    assert resp is not None
    assert resp.status == 200
    for item in resp.body:
        assert item["code"] == 500
        assert json.loads(item["body"])["error"]["code"] == 1
