"""GET /debug_token: the app's token, each token's type, expiry and scopes, and the errors."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from meta_ads_sandbox.auth import appsecret_proof
from meta_ads_sandbox.cli import build_parser, serve
from meta_ads_sandbox.config import TokenSpec, server_config_from_args
from meta_ads_sandbox.faults import FaultConfig
from meta_ads_sandbox.token_info import DEFAULT_SCOPES, TokenInfo

APP_ID = "1234567890123456"
SECRET = "s3cr3t"
APP_TOKEN = f"{APP_ID}|{SECRET}"
DAY = 86_400


def debug(c, input_token, app_token=APP_TOKEN, bearer=True, version="v27.0"):
    headers = {"Authorization": f"Bearer {app_token}"} if bearer and app_token else {}
    params = {"input_token": input_token} if input_token is not None else {}
    if not bearer and app_token:
        params["access_token"] = app_token
    url = c.url(f"/{version}/debug_token" if version else "/debug_token", params, token=False)
    return c.fetch(url, headers=headers)


@pytest.fixture
def app(start, client_for, dataset):
    tokens = (TokenSpec("sandbox-token"), TokenSpec("agency", (1, 2)), TokenSpec("old"))
    infos = (
        TokenInfo.parse("agency=USER:30:ads_read+read_insights"),
        TokenInfo.parse("old=USER:-1:ads_read"),
    )
    running = start(
        replace(dataset, tokens=tokens), app_id=APP_ID, app_secret=SECRET, token_info=infos
    )
    return running, client_for(running, token=None)


def test_default_token_is_a_system_user_that_never_expires(sandbox, client_for):
    c = client_for(sandbox, token=None)
    resp = debug(c, "sandbox-token", app_token="42|anything")  # no --app-id/--app-secret: any
    assert resp.status == 200, resp.body
    me = client_for(sandbox).get("/me").body
    assert resp.body == {
        "data": {
            "app_id": "42",
            "type": "SYSTEM_USER",
            "application": "Meta Ads Sandbox",
            "data_access_expires_at": 0,
            "expires_at": 0,
            "is_valid": True,
            "scopes": list(DEFAULT_SCOPES),
            "user_id": me["id"],
        }
    }
    assert list(resp.body["data"]) == [
        "app_id",
        "type",
        "application",
        "data_access_expires_at",
        "expires_at",
        "is_valid",
        "scopes",
        "user_id",
    ]
    assert resp.headers["facebook-api-version"] == "v27.0"
    assert "X-App-Usage" in resp.headers  # charged to the app, like /me
    assert debug(c, "sandbox-token", app_token="42|x", version=None).status == 200


def test_configured_types_expiry_and_scopes(app):
    running, c = app
    started = running.sandbox.tokens.started
    before = time.time()
    agency = debug(c, "agency").body["data"]
    assert agency["type"] == "USER"
    assert agency["app_id"] == APP_ID
    assert agency["is_valid"] is True
    assert agency["scopes"] == ["ads_read", "read_insights"]
    assert agency["expires_at"] == started + 30 * DAY
    assert before - 5 <= started <= before
    assert agency["data_access_expires_at"] == started + 90 * DAY
    system = debug(c, "sandbox-token", bearer=False).body["data"]  # app token as a parameter
    assert (system["type"], system["expires_at"], system["is_valid"]) == ("SYSTEM_USER", 0, True)


def test_an_expired_token_is_not_valid_and_fails_calls(app, client_for):
    running, c = app
    old = debug(c, "old").body["data"]
    assert old["is_valid"] is False
    assert old["expires_at"] == running.sandbox.tokens.started - DAY
    assert (old["error"]["code"], old["error"]["subcode"]) == (190, 463)
    assert "Session has expired on" in old["error"]["message"]
    assert old["scopes"] == ["ads_read"]
    user = client_for(running, token="old")
    resp = user.get("/me", appsecret_proof=appsecret_proof(SECRET, "old"))
    assert resp.status == 400
    assert (resp.error["code"], resp.error["error_subcode"]) == (190, 463)
    fine = client_for(running, token="agency")
    assert fine.get("/me", appsecret_proof=appsecret_proof(SECRET, "agency")).status == 200


def test_unknown_input_token_and_the_app_token_itself(app):
    _, c = app
    unknown = debug(c, "nobody")
    assert unknown.status == 200
    assert unknown.body == {
        "data": {
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "is_valid": False,
            "scopes": [],
        }
    }
    itself = debug(c, APP_TOKEN).body["data"]
    assert itself == {
        "app_id": APP_ID,
        "type": "APP",
        "application": "Meta Ads Sandbox",
        "is_valid": True,
    }


@pytest.mark.parametrize(
    ("app_token", "status", "code", "needle"),
    [
        (f"{APP_ID}|wrong", 400, 190, "Invalid OAuth access token signature."),
        (f"999|{SECRET}", 400, 190, "Invalid OAuth access token signature."),
        (f"|{SECRET}", 400, 190, "Invalid OAuth access token signature."),
        ("sandbox-token", 400, 100, "You must provide an app access token"),
        ("garbage", 400, 190, "Cannot parse access token"),
        (None, 400, 104, "An access token is required"),
    ],
)
def test_wrong_app_tokens(app, app_token, status, code, needle):
    _, c = app
    resp = debug(c, "agency", app_token=app_token)
    assert resp.status == status
    assert resp.error["code"] == code
    assert needle in resp.error["message"]
    assert resp.error["type"] == "OAuthException"
    assert "X-App-Usage" not in resp.headers  # refused before it is charged


def test_missing_input_token_and_old_versions(app):
    _, c = app
    missing = debug(c, None)
    assert (missing.status, missing.error["code"]) == (400, 100)
    assert "input_token" in missing.error["message"]
    assert debug(c, "agency", version="v24.0").error["code"] == 2635


def test_a_token_expired_by_the_fault_option(start, client_for):
    running = start(faults=FaultConfig(expire_token="sandbox-token", expire_after=1))
    user = client_for(running)
    assert user.get("/me").status == 200
    assert debug(client_for(running, token=None), "sandbox-token").body["data"]["is_valid"]
    assert user.get("/me").error["error_subcode"] == 463
    data = debug(client_for(running, token=None), "sandbox-token").body["data"]
    assert data["is_valid"] is False
    assert abs(data["expires_at"] - time.time()) < 60
    assert data["error"]["subcode"] == 463


def test_cli_options():
    args = build_parser().parse_args(
        [
            "serve",
            "--app-id",
            APP_ID,
            "--app-secret",
            SECRET,
            "--token-info",
            "a=USER:60:ads_read+business_management",
            "--token-info",
            "b=system_user",
            "--token-info",
            "c=USER:1.5:",
        ]
    )
    cfg = server_config_from_args(args)
    assert cfg.app_id == APP_ID
    assert cfg.token_info == (
        TokenInfo("a", "USER", 60.0, ("ads_read", "business_management")),
        TokenInfo("b", "SYSTEM_USER", 0.0, DEFAULT_SCOPES),
        TokenInfo("c", "USER", 1.5, ()),
    )
    assert server_config_from_args(build_parser().parse_args(["serve"])).token_info == ()
    for bad in ("a", "a=ROBOT", "a=USER:soon", "=USER"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--token-info", bad])
    unknown = build_parser().parse_args(["serve", "--token-info", "nobody=USER"])
    assert serve(unknown) == 2  # names no configured token
