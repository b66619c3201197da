"""`fields=`: exact selection, defaults, unknown fields, nested expansion, edge expansion."""

from __future__ import annotations

import pytest


def test_only_requested_fields_plus_id(client, accounts):
    act = accounts[0]["id"]
    resp = client.get(f"/{act}/campaigns", fields="name,objective")
    assert resp.status == 200
    for item in resp.body["data"]:
        assert set(item) == {"id", "name", "objective"}
        assert list(item)[:2] == ["name", "objective"]


def test_defaults_without_fields(client, accounts):
    act = accounts[0]["id"]
    assert set(client.get(f"/{act}/campaigns").body["data"][0]) == {"id"}
    assert set(client.get(f"/{act}").body) == {"id"}
    me = client.get("/me").body
    assert set(me) == {"id", "name"}
    listed = client.get("/me/adaccounts").body["data"][0]
    assert list(listed) == ["account_id", "id"]


@pytest.mark.parametrize("spec", ['["id","name"]', "['id', 'name']", "id, name"])
def test_json_and_python_repr_lists(client, accounts, spec):
    resp = client.get(f"/{accounts[0]['id']}/campaigns", fields=spec)
    assert set(resp.body["data"][0]) == {"id", "name"}


@pytest.mark.parametrize(
    ("path_kind", "field", "node_type"),
    [
        ("campaigns", "bogus_field", "Campaign"),
        ("adsets", "not_a_field", "AdSet"),
        ("ads", "nope", "Ad"),
        ("adcreatives", "updated_time", "AdCreative"),
        ("adcreatives", "created_time", "AdCreative"),
    ],
)
def test_unknown_field_error(client, accounts, path_kind, field, node_type):
    resp = client.get(f"/{accounts[0]['id']}/{path_kind}", fields=f"id,{field}")
    assert resp.status == 400
    assert resp.error["code"] == 100
    assert resp.error["type"] == "OAuthException"
    assert resp.error["message"] == (
        f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"
    )


def test_unknown_edge_is_an_unknown_field(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}/widgets")
    assert resp.status == 400
    assert "nonexisting field (widgets) on node type (AdAccount)" in resp.error["message"]


def test_creative_expansion(client, accounts):
    resp = client.get(
        f"/{accounts[0]['id']}/ads",
        fields="id,creative{id,name,body,title,image_url,thumbnail_url,object_story_spec}",
        limit=5,
    )
    assert resp.status == 200
    for ad in resp.body["data"]:
        creative = ad["creative"]
        assert creative["id"].startswith("124")
        assert {"id", "name", "body", "title", "thumbnail_url", "object_story_spec"} <= set(
            creative
        )
        assert "page_id" in creative["object_story_spec"]
    plain = client.get(f"/{accounts[0]['id']}/ads", fields="creative", limit=1).body["data"][0]
    assert set(plain["creative"]) == {"id"}


def test_business_expansion_and_nested_validation(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}", fields="name,business{id,name}")
    assert set(resp.body["business"]) == {"id", "name"}
    bad = client.get(f"/{accounts[0]['id']}/ads", fields="creative{id,bogus}")
    assert bad.status == 400
    assert "(bogus) on node type (AdCreative)" in bad.error["message"]
    targeting = client.get(
        f"/{accounts[0]['id']}/adsets", fields="targeting{geo_locations,age_min}"
    )
    for item in targeting.body["data"]:
        assert set(item["targeting"]) <= {"geo_locations", "age_min"}


def test_edge_expansion_with_limit(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}", fields="name,campaigns.limit(1){id,name}")
    nested = resp.body["campaigns"]
    assert len(nested["data"]) == 1
    assert set(nested["data"][0]) == {"id", "name"}
    assert nested["paging"]["next"].startswith(client.base_url)
    following = client.fetch(nested["paging"]["next"])
    assert following.status == 200
    assert following.body["data"][0]["id"] != nested["data"][0]["id"]


def test_syntax_error(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}/campaigns", fields="id,creative{id")
    assert resp.status == 400
    assert resp.error["code"] == 2500
