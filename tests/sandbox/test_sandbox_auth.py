"""Authentication and authorisation: exact error envelopes, token sources, appsecret_proof."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from meta_ads_sandbox.auth import appsecret_proof
from meta_ads_sandbox.config import TokenSpec
from meta_ads_sandbox.faults import FaultConfig

UNSUPPORTED = (
    "Unsupported get request. Object with ID '{}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)


def envelope(resp):
    err = dict(resp.error)
    assert err.pop("fbtrace_id")
    return err


def test_no_token_on_me_is_2500(client_for, sandbox):
    resp = client_for(sandbox, token=None).get("/me")
    assert resp.status == 400
    assert envelope(resp) == {
        "message": "An active access token must be used to query information about the current "
        "user.",
        "type": "OAuthException",
        "code": 2500,
    }
    assert resp.headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform"')


def test_no_token_elsewhere_is_104(client_for, sandbox, accounts):
    resp = client_for(sandbox, token=None).get(f"/{accounts[0]['id']}/campaigns")
    assert resp.status == 400
    assert envelope(resp) == {
        "message": "An access token is required to request this resource.",
        "type": "OAuthException",
        "code": 104,
    }


def test_unknown_token_is_190(client_for, sandbox, accounts):
    resp = client_for(sandbox, token="not-a-token").get(f"/{accounts[0]['id']}")
    assert resp.status == 400
    assert envelope(resp) == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
    }
    assert '"invalid_token"' in resp.headers["WWW-Authenticate"]


def test_bearer_header_and_param_precedence(client_for, sandbox):
    bearer = client_for(sandbox, token=None, headers={"Authorization": "Bearer sandbox-token"})
    assert bearer.get("/me").status == 200
    both = client_for(sandbox, token="wrong", headers={"Authorization": "Bearer sandbox-token"})
    assert both.get("/me").error["code"] == 190  # the parameter wins


def test_me_never_echoes_the_token(client_for, sandbox):
    # The sandbox's token names are the tokens: data naming the user after one would put
    # the credential in every warehouse that loads /me (Meta never returns it).
    me = client_for(sandbox).get("/me", fields="id,name")
    assert me.status == 200
    assert me.body["name"]
    assert "sandbox-token" not in json.dumps(me.body)


def test_expired_token_after_n_calls(start, client_for, accounts):
    running = start(faults=FaultConfig(expire_token="sandbox-token", expire_after=2))
    c = client_for(running)
    assert c.get("/me").status == 200
    assert c.get(f"/{accounts[0]['id']}").status == 200
    for _ in range(2):
        resp = c.get("/me")
        assert resp.status == 400
        err = envelope(resp)
        assert (err["code"], err["error_subcode"], err["type"]) == (190, 463, "OAuthException")
        assert err["message"].startswith("Error validating access token: Session has expired on ")


def scoped_dataset(dataset):
    return replace(
        dataset, tokens=(TokenSpec("agency", (1, 2)), TokenSpec("client", (3,)), TokenSpec("all"))
    )


def test_token_scopes_and_permission_error(start, client_for, accounts, truth, jsonl, dataset):
    running = start(scoped_dataset(dataset))
    agency, client = client_for(running, token="agency"), client_for(running, token="client")
    assert [a["id"] for a in agency.walk("/me/adaccounts")] == [
        accounts[0]["id"],
        accounts[1]["id"],
    ]
    assert [a["id"] for a in client.walk("/me/adaccounts")] == [accounts[2]["id"]]
    denied = client.get(f"/{accounts[0]['id']}/campaigns")
    assert denied.status == 403
    assert envelope(denied) == {
        "message": "(#200) Permissions error",
        "type": "OAuthException",
        "code": 200,
    }
    campaign = next(
        c for c in jsonl(truth / "campaigns.jsonl") if c["account_id"] == accounts[0]["account_id"]
    )
    assert client.get(f"/{campaign['id']}").status == 403
    assert client.get(f"/{campaign['id']}/insights").status == 403
    assert agency.get(f"/{campaign['id']}").status == 200


def test_revoke_by_admin(start, client_for, accounts):
    running = start()
    c = client_for(running)
    assert c.get(f"/{accounts[1]['id']}").status == 200
    admin = c.fetch(f"{running.base_url}/__admin/revoke?token=sandbox-token&account=2", "POST", {})
    assert admin.status == 200
    assert c.get(f"/{accounts[1]['id']}").status == 403
    assert c.get(f"/{accounts[0]['id']}").status == 200
    assert accounts[1]["id"] not in {a["id"] for a in c.walk("/me/adaccounts")}


@pytest.mark.parametrize("bad", ["act_100009999999999", "999999999999999999", "act_123", "hello"])
def test_missing_objects_are_100_33(client, bad):
    resp = client.get(f"/{bad}")
    assert resp.status == 400
    assert envelope(resp) == {
        "message": UNSUPPORTED.format(bad),
        "type": "GraphMethodException",
        "code": 100,
        "error_subcode": 33,
    }


def test_appsecret_proof(start, client_for):
    running = start(app_secret="s3cret")
    c = client_for(running)
    missing = c.get("/me")
    assert missing.status == 400
    assert envelope(missing) == {
        "message": "API calls from the server require an appsecret_proof argument",
        "type": "GraphMethodException",
        "code": 100,
    }
    wrong = c.get("/me", appsecret_proof="00" * 32)
    assert envelope(wrong) == {
        "message": "Invalid appsecret_proof provided in the API argument",
        "type": "GraphMethodException",
        "code": 100,
    }
    right = c.get("/me", appsecret_proof=appsecret_proof("s3cret", "sandbox-token"))
    assert right.status == 200


def test_versions(client):
    for expired in ("v19.0", "v22.0", "v23.0", "v24.0"):
        assert client.get(f"/{expired}/me").error["code"] == 2635
    for version in ("v25.0", "v26.0", "v27.0"):
        resp = client.get(f"/{version}/me")
        assert resp.status == 200
        assert resp.headers["facebook-api-version"] == version
    unversioned = client.fetch(f"{client.base_url}/me/?access_token={client.token}")
    assert unversioned.status == 200
    assert unversioned.headers["facebook-api-version"] == "v25.0"


def test_read_only(client, accounts):
    resp = client.post(f"/{accounts[0]['id']}/campaigns", name="new")
    assert resp.status == 400
    assert (resp.error["code"], resp.error["error_subcode"]) == (100, 33)
