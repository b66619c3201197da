"""New-app mode: what apps created from 2026-11-04 may not use, on every version, next to what
the same calls do for an older app."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.versions_support import VERSIONS, batch, refused_as_new_app


@pytest.fixture
def new_app(start, client_for):
    return client_for(start(new_app=True, job_seconds=0))


@pytest.fixture
def old_app(start, client_for):
    return client_for(start(job_seconds=0))


@pytest.fixture
def ids(truth, jsonl):
    campaigns = jsonl(truth / "campaigns.jsonl")
    return [campaigns[0]["id"], campaigns[1]["id"]]


def test_multi_id_requests(new_app, old_app, ids):
    joined = ",".join(ids)
    both = old_app.get("/", ids=joined, fields="id,name")
    assert both.status == 200
    assert set(both.body) == set(ids)
    assert both.body[ids[0]]["id"] == ids[0]
    assert "name" in both.body[ids[1]]
    edge = old_app.get("/insights", ids=joined, fields="impressions")
    assert edge.status == 200
    assert set(edge.body) == set(ids)
    assert "data" in edge.body[ids[0]]
    missing = old_app.get("/", ids=f"{ids[0]},120999999999999999")
    assert missing.status == 404
    assert missing.error["code"] == 803
    assert "120999999999999999" in missing.error["message"]
    for version in VERSIONS:
        refused_as_new_app(new_app.get(f"/{version}/", ids=joined), "ids")
        refused_as_new_app(new_app.get(f"/{version}/insights", ids=joined), "ids")
    refused_as_new_app(new_app.get(f"/{ids[0]}", ids=joined), "ids")
    assert new_app.get(f"/{ids[0]}", fields="id,name").status == 200


def test_date_format(new_app, old_app, ids):
    assert old_app.get(f"/{ids[0]}", fields="created_time", date_format="U").status == 200
    for version in VERSIONS:
        resp = new_app.get(f"/{version}/{ids[0]}", fields="created_time", date_format="U")
        refused_as_new_app(resp, "date_format")
        assert resp.error["error_user_title"] == "date_format not supported"


def test_field_aliases(new_app, old_app, ids, accounts):
    aliased = old_app.get(f"/{ids[0]}", fields="name.as(title),status")
    assert aliased.status == 200
    assert set(aliased.body) == {"title", "status", "id"}
    act = accounts[0]["id"]
    nested = old_app.get(f"/{act}/adsets", fields="id,targeting{age_min.as(youngest)}")
    assert set(nested.body["data"][0]["targeting"]) == {"youngest"}
    for version in VERSIONS:
        refused_as_new_app(new_app.get(f"/{version}/{ids[0]}", fields="name.as(title)"), "fields")
        nested = new_app.get(f"/{version}/{act}/adsets", fields="targeting{age_min.as(x)}")
        refused_as_new_app(nested, "fields")
    assert new_app.get(f"/{ids[0]}", fields="name,adsets.limit(1){id}").status == 200


def test_method_override(new_app, old_app, accounts):
    act = accounts[0]["id"]
    started = old_app.get(f"/{act}/insights", method="post", fields="impressions")
    assert started.status == 200
    assert "report_run_id" in started.body
    header = old_app.fetch(
        old_app.url(f"/{act}/insights", {"fields": "impressions"}),
        headers={"X-HTTP-Method-Override": "POST"},
    )
    assert "report_run_id" in header.body
    for version in VERSIONS:
        resp = new_app.get(f"/{version}/{act}/insights", method="post")
        refused_as_new_app(resp, "method")
        by_header = new_app.fetch(
            new_app.url(f"/{version}/{act}/insights"), headers={"X-HTTP-Method-Override": "POST"}
        )
        refused_as_new_app(by_header, "X-HTTP-Method-Override")
    assert "report_run_id" in new_app.post(f"/{act}/insights", fields="impressions").body


def test_jsonp(new_app, old_app):
    wrapped = old_app.get("/me", callback="handle")
    assert wrapped.status == 200
    assert wrapped.headers["Content-Type"] == "text/javascript; charset=UTF-8"
    text = wrapped.raw.decode()
    assert text.startswith("/**/ handle(")
    assert text.endswith(");")
    assert json.loads(text[len("/**/ handle(") : -2])["id"]
    for version in VERSIONS:
        resp = new_app.get(f"/{version}/me", callback="handle")
        refused_as_new_app(resp, "callback")
        assert resp.headers["Content-Type"].startswith("application/json")


def test_asynchronous_batches(new_app, old_app, accounts):
    act = accounts[0]["id"]
    adbatch = json.dumps([{"name": "a", "relative_url": f"{act}/ads", "body": "name=x"}])
    old = old_app.post(f"/{act}/async_batch_requests", adbatch=adbatch, name="batch")
    assert (old.error["code"], old.error["error_subcode"]) == (100, 33)  # a write: read-only
    items = [{"method": "GET", "relative_url": "me"}]
    assert batch(old_app, items, **{"async": "true"}).status == 200
    flagged = [{"method": "GET", "relative_url": "me", "async": True}]
    assert batch(old_app, flagged).status == 200
    for version in VERSIONS:
        resp = new_app.fetch(
            new_app.url(f"/{version}/{act}/async_batch_requests"),
            "POST",
            {"adbatch": adbatch, "name": "batch"},
        )
        refused_as_new_app(resp, "adbatch")
        refused_as_new_app(batch(new_app, items, version=version, **{"async": "true"}), "adbatch")
        refused_as_new_app(batch(new_app, flagged, version=version), "adbatch")


def test_synchronous_batches_keep_working(new_app, accounts):
    act = accounts[0]["id"]
    items = [
        {"method": "GET", "relative_url": "me?fields=id,name"},
        {"method": "GET", "relative_url": f"{act}/insights?fields=impressions"},
        {"method": "GET", "relative_url": f"{act}/campaigns?date_format=U"},
    ]
    for version in (*VERSIONS, None):
        resp = batch(new_app, items, version=version)
        assert resp.status == 200
        me, insights, dated = resp.body
        assert me["code"] == 200
        assert insights["code"] == 200
        assert dated["code"] == 400  # the item's own legacy parameter is still refused
        assert json.loads(dated["body"])["error"]["error_data"] == {
            "blame_field_specs": [["date_format"]]
        }


def test_plain_calls_are_unchanged(new_app, old_app, accounts):
    act = accounts[0]["id"]
    for path, query in (
        ("/me", {"fields": "id,name"}),
        (f"/{act}/campaigns", {"fields": "id,name,status", "limit": 5}),
        (f"/{act}/insights", {"fields": "impressions,spend", "level": "campaign"}),
    ):
        assert new_app.get(path, **query).body == old_app.get(path, **query).body
