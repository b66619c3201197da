"""`GET /debug_token?input_token=T`: Meta's metadata about an access token (Graph API "Debug
access tokens"), asked for with the app's access token `<app_id>|<app_secret>` (as
`access_token` or `Authorization: Bearer`).

Each configured token has a type (`USER` or `SYSTEM_USER`), an expiry and scopes
(`--token-info NAME=TYPE[:EXPIRES_IN_DAYS[:scope+scope]]`; default: a SYSTEM_USER token that
never expires, with ads_read, business_management and read_insights). Expiry counts from the
server's start (wall clock) and applies to every call made with the token (190/463 once past).

Answer (key order of Meta's doc example):
`{"data": {"app_id", "type", "application", "data_access_expires_at", "expires_at", "is_valid",
"scopes", "user_id"}}`; an expired token has `is_valid: false` and an `error` object
(`code` 190, `subcode` 463); an unknown one `{"error": {...}, "is_valid": false, "scopes": []}`.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from meta_ads_sandbox import errors, ids
from meta_ads_sandbox.auth import token_of
from meta_ads_sandbox.errors import GraphError
from meta_ads_sandbox.messages import ApiRequest, Reply
from meta_ads_sandbox.token_info import APPLICATION, DAY, USER_DATA_ACCESS_DAYS

if TYPE_CHECKING:
    from meta_ads_sandbox.api import Sandbox

PATH = "debug_token"


def check_app_token(app_token: str | None, app_id: str | None, secret: str | None) -> str:
    """The app id of a valid app access token `<app_id>|<app_secret>`; raises the error."""
    if not app_token:
        raise errors.access_token_required()
    given_id, bar, given_secret = app_token.partition("|")
    if not bar:
        return ""  # not an app token: the caller decides (a user token, or garbage)
    id_ok = bool(given_id) and (app_id is None or hmac.compare_digest(given_id, app_id))
    secret_ok = bool(given_secret) and (secret is None or hmac.compare_digest(given_secret, secret))
    if not (id_ok and secret_ok):
        raise errors.invalid_app_token()
    return given_id


def refusal(sb: Sandbox, req: ApiRequest) -> GraphError | None:
    """Why the call may not debug a token (no app token, a wrong one, no input_token)."""
    app_token = token_of(req.params, req.authorization)
    try:
        app_id = check_app_token(app_token, sb.config.app_id, sb.config.app_secret)
    except GraphError as err:
        return err
    if not app_id:
        assert app_token is not None
        return errors.not_an_app_token() if sb.tokens.known(app_token) else errors.invalid_token()
    if req.method != "GET":
        return errors.unsupported_method(req.method, PATH)
    if not req.params.get("input_token"):
        return errors.invalid_parameter("The parameter input_token is required")
    return None


def answer(sb: Sandbox, req: ApiRequest) -> Reply:
    """The debug_token answer for the call's input_token (after `refusal` found nothing)."""
    app_token = token_of(req.params, req.authorization) or ""
    app_id = app_token.partition("|")[0]
    token = req.params["input_token"]
    if token == app_token:
        data: dict[str, Any] = {
            "app_id": app_id,
            "type": "APP",
            "application": APPLICATION,
            "is_valid": True,
        }
        return Reply(200, {"data": data})
    if not sb.tokens.known(token):
        invalid = {"code": 190, "message": "Invalid OAuth access token."}
        return Reply(200, {"data": {"error": invalid, "is_valid": False, "scopes": []}})
    info = sb.tokens.info(token)
    started = sb.tokens.started
    data = {"app_id": app_id, "type": info.type, "application": APPLICATION}
    data["data_access_expires_at"] = (
        started + USER_DATA_ACCESS_DAYS * DAY if info.type == "USER" else 0
    )
    expired = sb.tokens.expired_at(token)
    if expired is not None:
        data["error"] = {
            "code": 190,
            "message": errors.expired_token(expired).message,
            "subcode": 463,
        }
    data["expires_at"] = sb.tokens.expires_at(token)
    data["is_valid"] = expired is None
    data["scopes"] = list(info.scopes)
    data["user_id"] = ids.user_id(token)
    return Reply(200, {"data": data})
