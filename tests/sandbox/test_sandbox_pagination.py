"""Cursor pagination: every object exactly once, no `next` on the last page, cursor shapes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

HIDDEN = ("DELETED", "ARCHIVED")


@pytest.mark.parametrize("edge", ["campaigns", "adsets", "ads", "adcreatives"])
def test_walk_every_object_once(client, truth, jsonl, accounts, edge):
    act = accounts[0]
    kind = {"adcreatives": "adcreatives"}.get(edge, edge)
    expected = [
        o["id"]
        for o in jsonl(truth / f"{kind}.jsonl")
        if o["account_id"] == act["account_id"] and o.get("effective_status") not in HIDDEN
    ]
    seen = client.walk(f"/{act['id']}/{edge}", limit=2, fields="id")
    ids = [o["id"] for o in seen]
    assert sorted(ids) == sorted(expected)
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids, reverse=True)  # documented order: id descending


def test_last_page_has_cursors_but_no_next(client, accounts):
    act = accounts[0]["id"]
    first = client.get(f"/{act}/campaigns", limit=1)
    total = client.get(f"/{act}/campaigns", summary="true").body["summary"]["total_count"]
    resp = first
    pages = 1
    while "next" in resp.body["paging"]:
        resp = client.fetch(resp.body["paging"]["next"])
        pages += 1
    assert pages == total
    assert set(resp.body["paging"]["cursors"]) == {"before", "after"}
    after = resp.body["paging"]["cursors"]["after"]
    empty = client.get(f"/{act}/campaigns", limit=1, after=after)
    assert empty.status == 200
    assert empty.body == {"data": []}


def test_next_echoes_params_and_token(client, accounts):
    act = accounts[0]["id"]
    resp = client.get(
        f"/{act}/ads", limit=1, fields="id,name", effective_status='["ACTIVE","PAUSED"]'
    )
    nxt = resp.body["paging"]["next"]
    assert nxt.startswith(f"{client.base_url}/v25.0/{act}/ads?")
    query = parse_qs(urlsplit(nxt).query)
    assert query["access_token"] == [client.token]
    assert query["fields"] == ["id,name"]
    assert query["limit"] == ["1"]
    assert query["effective_status"] == ['["ACTIVE","PAUSED"]']
    assert query["after"] == [resp.body["paging"]["cursors"]["after"]]


def test_bearer_token_is_not_put_in_next(client, client_for, accounts):
    bearer = client_for(
        client.base_url, token=None, headers={"Authorization": f"Bearer {client.token}"}
    )
    resp = bearer.get(f"/{accounts[0]['id']}/ads", limit=1)
    assert resp.status == 200
    assert "access_token" not in resp.body["paging"]["next"]
    assert bearer.fetch(resp.body["paging"]["next"]).status == 200


def test_previous_and_before(client, accounts):
    act = accounts[0]["id"]
    first = client.get(f"/{act}/ads", limit=2)
    assert "previous" not in first.body["paging"]
    second = client.fetch(first.body["paging"]["next"])
    assert "previous" in second.body["paging"]
    back = client.fetch(second.body["paging"]["previous"])
    assert [o["id"] for o in back.body["data"]] == [o["id"] for o in first.body["data"]]


def test_summary_total_count(client, truth, jsonl, accounts):
    act = accounts[0]
    listed = [
        o
        for o in jsonl(truth / "ads.jsonl")
        if o["account_id"] == act["account_id"] and o.get("effective_status") not in HIDDEN
    ]
    assert len(listed) > 1  # so a count of the page (one ad) cannot pass for the total
    resp = client.get(f"/{act['id']}/ads", summary="true", limit=1)
    assert len(resp.body["data"]) == 1
    assert resp.body["summary"]["total_count"] == len(listed)


def test_limit_default_and_cap(start, client_for, accounts):
    c = client_for(start(max_limit=3))
    assert len(c.get(f"/{accounts[0]['id']}/adcreatives", limit=100).body["data"]) == 3
    assert len(c.get(f"/{accounts[0]['id']}/adcreatives").body["data"]) == 3


def test_heavy_pages_fail_with_reduce_data(client, accounts):
    act = accounts[0]["id"]
    heavy = "id,name,object_story_spec,asset_feed_spec,thumbnail_url"
    assert client.get(f"/{act}/adcreatives", fields=heavy, limit=25).status == 200
    assert client.get(f"/{act}/adcreatives", fields=heavy, limit=100).status == 200
    assert client.get(f"/{act}/adcreatives", fields="id,name", limit=5000).status == 200
    resp = client.get(f"/{act}/adcreatives", fields=heavy, limit=5000)
    assert resp.status == 500
    assert resp.error["code"] == 1
    assert resp.error["message"].startswith("Please reduce the amount of data")
    ads = client.get(
        f"/{act}/ads", fields="id,creative{object_story_spec,asset_feed_spec}", limit=5000
    )
    assert ads.status == 500


def test_bad_cursor(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}/campaigns", after="bm90LWFuLWlk")
    assert resp.status == 400
    assert resp.error["code"] in (100, 2642)
