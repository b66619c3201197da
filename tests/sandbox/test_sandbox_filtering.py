"""Edge filtering: updated_time, effective_status, hidden DELETED/ARCHIVED, invalid statuses."""

from __future__ import annotations

from datetime import datetime

import pytest


def ts(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


@pytest.mark.parametrize("kind", ["campaigns", "adsets", "ads"])
def test_updated_time_greater_than(client, truth, jsonl, accounts, kind):
    act = accounts[1]
    objs = [o for o in jsonl(truth / f"{kind}.jsonl") if o["account_id"] == act["account_id"]]
    times = sorted(ts(o["updated_time"]) for o in objs)
    bound = times[len(times) // 2]
    entity = kind[:-1]
    statuses = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]
    statuses = {"campaign": statuses[:4], "adset": statuses[:5]}.get(entity, statuses)
    filtering = [
        {"field": f"{entity}.updated_time", "operator": "GREATER_THAN", "value": bound},
        {"field": f"{entity}.effective_status", "operator": "IN", "value": statuses},
    ]
    got = client.walk(f"/{act['id']}/{kind}", fields="id,updated_time", filtering=filtering)
    expected = {o["id"] for o in objs if ts(o["updated_time"]) > bound}
    assert {o["id"] for o in got} == expected
    assert all(ts(o["updated_time"]) > bound for o in got)


def test_relaxed_json_filtering(client, accounts):
    act = accounts[0]["id"]
    strict = client.get(
        f"/{act}/campaigns",
        filtering='[{"field":"campaign.updated_time","operator":"GREATER_THAN","value":0}]',
    )
    relaxed = client.get(
        f"/{act}/campaigns",
        filtering='[{field:"campaign.updated_time",operator:"GREATER_THAN",value:0}]',
    )
    assert strict.status == relaxed.status == 200
    assert strict.body["data"] == relaxed.body["data"]


def test_deleted_and_archived_hidden_by_default(client, truth, jsonl, accounts):
    for act in accounts:
        ads = [o for o in jsonl(truth / "ads.jsonl") if o["account_id"] == act["account_id"]]
        listed = {o["id"] for o in client.walk(f"/{act['id']}/ads", fields="id", limit=50)}
        hidden = {o["id"] for o in ads if o["effective_status"] in ("DELETED", "ARCHIVED")}
        assert hidden, "the default dataset has deleted/archived ads in every account"
        assert not listed & hidden
        assert listed == {o["id"] for o in ads} - hidden


def test_status_filter_lists_deleted(client, truth, jsonl, accounts):
    act = accounts[0]
    ads = [o for o in jsonl(truth / "ads.jsonl") if o["account_id"] == act["account_id"]]
    filtering = [
        {"field": "ad.effective_status", "operator": "IN", "value": ["DELETED", "ARCHIVED"]}
    ]
    got = client.walk(f"/{act['id']}/ads", fields="id,effective_status", filtering=filtering)
    assert {o["id"] for o in got} == {
        o["id"] for o in ads if o["effective_status"] in ("DELETED", "ARCHIVED")
    }
    param = client.walk(f"/{act['id']}/ads", fields="id", effective_status=["DELETED"])
    assert {o["id"] for o in param} == {o["id"] for o in ads if o["effective_status"] == "DELETED"}


def test_hidden_mode_never_lists_deleted(start, client_for, accounts):
    c = client_for(start(deleted_in_edges="hidden"))
    got = c.walk(
        f"/{accounts[0]['id']}/ads",
        fields="effective_status",
        effective_status=["DELETED", "ARCHIVED", "ACTIVE"],
    )
    statuses = {o["effective_status"] for o in got}
    assert "DELETED" not in statuses
    assert statuses <= {"ARCHIVED", "ACTIVE"}


@pytest.mark.parametrize(
    ("edge", "status"),
    [
        ("campaigns", "ADSET_PAUSED"),
        ("campaigns", "CAMPAIGN_PAUSED"),
        ("adsets", "ADSET_PAUSED"),
        ("ads", "RUNNING"),
    ],
)
def test_invalid_status_for_level(client, accounts, edge, status):
    resp = client.get(f"/{accounts[0]['id']}/{edge}", effective_status=[status])
    assert resp.status == 400
    err = resp.error
    assert (err["code"], err["error_subcode"]) == (100, 1487561)
    assert err["message"] == "(#100) Invalid parameter"
    assert err["error_user_title"] == "Run Status not valid"
    assert err["is_transient"] is False


def test_id_in_filter(client, truth, jsonl, accounts):
    act = accounts[0]
    camps = [o for o in jsonl(truth / "campaigns.jsonl") if o["account_id"] == act["account_id"]]
    wanted = [camps[0]["id"], camps[-1]["id"]]
    got = client.get(
        f"/{act['id']}/campaigns",
        filtering=[
            {"field": "campaign.id", "operator": "IN", "value": wanted},
            {
                "field": "campaign.effective_status",
                "operator": "IN",
                "value": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"],
            },
        ],
    )
    assert sorted(o["id"] for o in got.body["data"]) == sorted(wanted)


def test_child_edges(client, truth, jsonl, accounts):
    act = accounts[0]
    ads = [o for o in jsonl(truth / "ads.jsonl") if o["account_id"] == act["account_id"]]
    adset_id = ads[0]["adset_id"]
    every = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]
    got = client.walk(f"/{adset_id}/ads", effective_status=every)
    assert {o["id"] for o in got} == {o["id"] for o in ads if o["adset_id"] == adset_id}
    camp = ads[0]["campaign_id"]
    got = client.walk(f"/{camp}/ads", effective_status=every)
    assert {o["id"] for o in got} == {o["id"] for o in ads if o["campaign_id"] == camp}


def test_delivery_info_filter(client, truth, jsonl, accounts):
    act = accounts[0]
    ads = [o for o in jsonl(truth / "ads.jsonl") if o["account_id"] == act["account_id"]]
    got = client.walk(
        f"/{act['id']}/ads",
        filtering=[
            {"field": "ad.delivery_info", "operator": "IN", "value": ["deleted", "archived"]}
        ],
    )
    assert {o["id"] for o in got} == {
        o["id"] for o in ads if o["effective_status"] in ("DELETED", "ARCHIVED")
    }


def test_unknown_filter_field(client, accounts):
    resp = client.get(
        f"/{accounts[0]['id']}/campaigns",
        filtering=[{"field": "campaign.colour", "operator": "EQUAL", "value": "red"}],
    )
    assert resp.status == 400
    assert resp.error["message"] == "(#100) Filtering field campaign.colour is invalid."
    other = client.get(
        f"/{accounts[0]['id']}/campaigns",
        filtering=[{"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}],
    )
    assert other.status == 400


@pytest.mark.parametrize(
    ("kind", "parent"), [("adsets", "campaign"), ("ads", "campaign"), ("ads", "adset")]
)
def test_parent_id_filter_on_child_edges(client, truth, jsonl, accounts, kind, parent):
    act = accounts[0]
    objs = [o for o in jsonl(truth / f"{kind}.jsonl") if o["account_id"] == act["account_id"]]
    parents = sorted({o[f"{parent}_id"] for o in objs})[:2]
    statuses = {"adsets": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED"]}.get(
        kind, ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]
    )
    filtering = [
        {"field": f"{parent}.id", "operator": "IN", "value": parents},
        {"field": f"{kind[:-1]}.effective_status", "operator": "IN", "value": statuses},
    ]
    got = client.walk(f"/{act['id']}/{kind}", fields="id", filtering=filtering)
    expected = {
        o["id"] for o in objs if o[f"{parent}_id"] in parents and o["effective_status"] in statuses
    }
    assert expected
    assert {o["id"] for o in got} == expected


def test_parent_filter_on_other_fields_is_invalid(client, accounts):
    response = client.get(
        f"/{accounts[0]['id']}/ads",
        filtering=[{"field": "campaign.name", "operator": "EQUAL", "value": "x"}],
    )
    assert response.status == 400
    assert response.body["error"]["code"] == 100
