"""Graph API versions: v25.0, v26.0 and v27.0 each with its own fields, expired versions, the
app's creation version (2635), the version headers, and the v26 catalogue's generator."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from meta_ads_sandbox import fields, versions
from meta_ads_sandbox.cli import build_parser
from meta_ads_sandbox.config import dataset_config_from_args, server_config_from_args
from tests.sandbox.versions_support import VERSIONS, batch

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "meta_ads_sandbox"
# Fields the v26 SDK declares and the v25 one does not (and one it dropped), per node type.
ONLY_V26 = {"Campaign": "is_pca_unified", "Ad": "dataset_split_specs", "AdVideo": "is_ai_generated"}
ONLY_V25 = {"AdSet": "budget_source"}


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_graph_fields", ROOT / "scripts" / "generate_graph_fields.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_served_versions_and_their_header(client):
    for version in VERSIONS:
        resp = client.get(f"/{version}/me")
        assert resp.status == 200, version
        assert resp.headers["facebook-api-version"] == version
    plain = client.fetch(f"{client.base_url}/me?access_token={client.token}")
    assert plain.headers["facebook-api-version"] == "v25.0"


@pytest.mark.parametrize("version", ["v19.0", "v22.0", "v23.0", "v24.0", "v28.0", "v25.1"])
def test_other_versions_answer_2635(client, version):
    resp = client.get(f"/{version}/me")
    assert resp.status == 400
    assert resp.error["code"] == 2635
    assert resp.error["type"] == "OAuthException"
    assert resp.error["message"] == (
        "(#2635) You are calling a deprecated version of the Ads API. "
        "Please update to the latest version: v27.0."
    )
    assert "error_subcode" not in resp.error


def test_fields_only_in_v26_are_refused_on_v25(client, accounts, truth, jsonl):
    first = {
        "Campaign": jsonl(truth / "campaigns.jsonl")[0]["id"],
        "Ad": jsonl(truth / "ads.jsonl")[0]["id"],
        "AdVideo": jsonl(truth / "advideos.jsonl")[0]["id"],
        "AdSet": jsonl(truth / "adsets.jsonl")[0]["id"],
    }
    for node_type, name in ONLY_V26.items():
        old = client.get(f"/v25.0/{first[node_type]}", fields=f"id,{name}")
        assert old.status == 400
        assert old.error["message"] == (
            f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
        )
        for version in ("v26.0", "v27.0"):
            new = client.get(f"/{version}/{first[node_type]}", fields=f"id,{name}")
            assert new.status == 200, (version, new.body)
            assert new.body["id"] == first[node_type]
    for node_type, name in ONLY_V25.items():
        assert client.get(f"/v25.0/{first[node_type]}", fields=name).status == 200
        gone = client.get(f"/v26.0/{first[node_type]}", fields=name)
        assert gone.status == 400
        assert f"nonexisting field ({name})" in gone.error["message"]
    act = accounts[0]["id"]
    listed = client.get(f"/v25.0/{act}/campaigns", fields="id,is_pca_unified")
    assert listed.status == 400
    assert client.get(f"/v26.0/{act}/campaigns", fields="id,is_pca_unified").status == 200


def test_insights_fields_and_enums_follow_the_version(client, accounts):
    act = accounts[0]["id"]
    old = client.get(f"/v25.0/{act}/insights", fields="impressions,mmp_credited_install")
    assert old.status == 400
    assert "(mmp_credited_install) on node type (AdsInsights)" in old.error["message"]
    assert client.get(f"/v26.0/{act}/insights", fields="mmp_credited_install").status == 200
    dropped = "marketing_messages_website_purchase"
    assert client.get(f"/v25.0/{act}/insights", fields=dropped).status == 200
    assert client.get(f"/v27.0/{act}/insights", fields=dropped).status == 400
    window = ["1d_sequenced"]  # an attribution window first declared in v26
    assert client.get(f"/v25.0/{act}/insights", action_attribution_windows=window).status == 400
    assert client.get(f"/v26.0/{act}/insights", action_attribution_windows=window).status == 200


def test_batch_items_use_their_own_version(client, accounts):
    campaign = client.get(f"/{accounts[0]['id']}/campaigns").body["data"][0]["id"]
    items = [
        {"method": "GET", "relative_url": f"v26.0/{campaign}?fields=is_pca_unified"},
        {"method": "GET", "relative_url": f"{campaign}?fields=is_pca_unified"},
        {"method": "GET", "relative_url": "v24.0/me"},
    ]
    v26, inherited, expired = batch(client, items, version="v25.0").body
    assert v26["code"] == 200
    assert {"name": "facebook-api-version", "value": "v26.0"} in v26["headers"]
    assert inherited["code"] == 400  # served as the batch's v25.0
    assert json.loads(expired["body"])["error"]["code"] == 2635
    assert batch(client, items[:2], version="v26.0").body[1]["code"] == 200
    assert batch(client, items, version="v24.0").error["code"] == 2635


def test_app_created_version(start, client_for):
    c = client_for(start(app_created_version="v26.0"))
    old = c.get("/v25.0/me")
    assert old.status == 400
    assert old.error["code"] == 2635
    assert old.error["message"] == (
        "(#2635) You are calling a deprecated version of the Ads API. "
        "Please update to the latest version: v26.0."
    )
    for version in ("v26.0", "v27.0"):
        assert c.get(f"/{version}/me").status == 200
    plain = c.fetch(f"{c.base_url}/me?access_token={c.token}")
    assert plain.status == 200
    assert plain.headers["facebook-api-version"] == "v26.0"
    assert batch(c, [{"method": "GET", "relative_url": "me"}], version="v25.0").status == 400
    items = [{"method": "GET", "relative_url": "v25.0/me"}, {"method": "GET", "relative_url": "me"}]
    old_item, plain_item = batch(c, items, version=None).body
    assert json.loads(old_item["body"])["error"]["code"] == 2635
    assert plain_item["code"] == 200
    newest = client_for(start(app_created_version="v27.0"))
    assert newest.get("/v26.0/me").error["message"].endswith("latest version: v27.0.")
    older = client_for(start(app_created_version="v22.0"))  # older than every served version
    assert all(older.get(f"/{v}/me").status == 200 for v in VERSIONS)


def test_version_warning_header(start, client_for, dataset):
    header = "X-Ad-Api-Version-Warning"
    quiet = client_for(start())  # today 2026-11-22 is 93 days before v25 expires: no warning
    assert header not in quiet.get("/v25.0/me").headers
    near = client_for(start(replace(dataset, end_date=date(2026, 12, 20))))
    warned = near.get("/v25.0/me")
    assert warned.headers[header] == (
        "The Ads API version v25.0 will be deprecated on 2027-02-23. "
        "Please update to the latest version: v27.0."
    )
    assert header in near.get("/v25.0/act_100000000000000").headers  # errors too
    assert header not in near.get("/v26.0/me").headers
    item = batch(near, [{"method": "GET", "relative_url": "me"}]).body[0]
    assert header in {h["name"] for h in item["headers"]}
    off = client_for(start(replace(dataset, end_date=date(2026, 12, 20)), version_warning_days=0))
    assert header not in off.get("/v25.0/me").headers
    forced = client_for(start(version_warnings=("v26.0",)))
    assert forced.get("/v26.0/me").headers[header].startswith("The Ads API version v26.0")
    assert header not in forced.get("/v27.0/me").headers


def test_version_options_on_the_command_line():
    args = build_parser().parse_args(
        [
            "serve",
            "--app-created-version",
            "v26.0",
            "--new-app",
            "--version-warning",
            "v26.0",
            "--version-warning-days",
            "30",
            "--reach-overlap",
            "0.5",
            "--opt-in-accounts",
            "1-2",
        ]
    )
    server = server_config_from_args(args)
    assert server.app_created_version == "v26.0"
    assert server.new_app is True
    assert server.version_warnings == ("v26.0",)
    assert server.version_warning_days == 30
    dataset = dataset_config_from_args(args)
    assert dataset.reach_overlap == 0.5
    assert dataset.opted_in_accounts == (1, 2)
    defaults = build_parser().parse_args(["serve"])
    assert server_config_from_args(defaults).new_app is False
    assert server_config_from_args(defaults).app_created_version is None
    assert dataset_config_from_args(defaults).opted_in_accounts == ()
    everyone = build_parser().parse_args(["serve", "--opt-in-accounts", "all"])
    assert dataset_config_from_args(everyone).opted_in_accounts is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--app-created-version", "27"])


def test_v26_catalogue_matches_the_v25_layout():
    v25 = json.loads((CATALOGUES / "graph_fields_v25.json").read_text(encoding="utf-8"))
    v26 = json.loads((CATALOGUES / "graph_fields_v26.json").read_text(encoding="utf-8"))
    assert list(v26) == list(v25)
    assert v26["_about"]["api_version"] == "v26.0"
    assert "facebook-business Python SDK 26.0.3" in v26["_about"]["source"]
    for name, obj in v26.items():
        if name.startswith("_"):
            continue
        assert set(obj) == {"fields", "enums"}
        assert list(obj["fields"]) == sorted(obj["fields"])
    generator = _generator()
    text = (CATALOGUES / "graph_fields_v26.json").read_text(encoding="utf-8")
    assert generator.render(json.loads(text)) == text
    assert versions.catalogue_file("v27.0") == "graph_fields_v26.json"
    assert fields.field_type("Campaign", "is_pca_unified", "v27.0") == "bool"
    assert fields.field_type("Campaign", "is_pca_unified") is None


def test_generated_objects_exist_in_every_catalogue(truth, jsonl):
    types = {"campaigns": "Campaign", "adsets": "AdSet", "ads": "Ad", "adcreatives": "AdCreative"}
    types |= {"adaccounts": "AdAccount", "adimages": "AdImage", "advideos": "AdVideo"}
    types |= {"customaudiences": "CustomAudience", "businesses": "Business", "me": "User"}
    for version in VERSIONS:
        for kind, node_type in types.items():
            for obj in jsonl(truth / f"{kind}.jsonl"):
                for name in obj:
                    assert fields.field_type(node_type, name, version), (version, node_type, name)


def test_generator_reads_the_sdk_classes(tmp_path):
    generator = _generator()
    adobjects = tmp_path / "adobjects"
    adobjects.mkdir()
    (adobjects / "advideo.py").write_text(
        "class AdVideo(AbstractCrudObject):\n"
        "    class Field(AbstractObject.Field):\n"
        "        title = 'title'\n"
        "        id = 'id'\n"
        "        filepath = 'filepath'\n"
        "    class Status:\n"
        "        value_10 = '10'\n"
        "        value_2 = '2'\n"
        "    _field_types = {\n"
        "        'title': 'string',\n"
        "        'id': 'string',\n"
        "    }\n",
        encoding="utf-8",
    )
    got = generator.read_class(tmp_path, "AdVideo")
    assert got == {"fields": {"id": "string", "title": "string"}, "enums": {"Status": ["10", "2"]}}
    (tmp_path / "apiconfig.py").write_text(
        "ads_api_config = {'API_VERSION': 'v26.0', 'SDK_VERSION': 'v26.0.3'}\n", encoding="utf-8"
    )
    assert generator.api_version(tmp_path) == ("v26.0", "26.0.3")
