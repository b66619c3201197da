"""Batch requests: POST / with `batch=[{method, relative_url, body?, name?}, ...]` (max 50).

Each item is routed, authenticated, faulted and charged on its own and answered as
{"code", "headers": [{"name", "value"}], "body": "<JSON text>"}. A dropped or truncated item is
`null` (as when Meta's batch runs out of time); an item fault carrying an error becomes that
error's item. Transport faults (drop, truncate, HTML, slow) act on the whole batch response only
when drawn for the batch call itself.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from meta_ads_sandbox import errors, params, protocol
from meta_ads_sandbox.auth import token_of
from meta_ads_sandbox.calls import APP, Call
from meta_ads_sandbox.messages import ApiRequest, Outcome, Reply, error_reply

if TYPE_CHECKING:
    from meta_ads_sandbox.api import Sandbox

MAX_ITEMS = 50
ITEM_CONTENT_TYPE = "text/javascript; charset=UTF-8"


def item_headers(reply: Reply) -> list[dict[str, str]]:
    """The per-item header list (content type, version, usage headers, WWW-Authenticate)."""
    headers = [
        {"name": "Content-Type", "value": ITEM_CONTENT_TYPE},
        {"name": "facebook-api-version", "value": reply.version},
    ]
    headers += [{"name": k, "value": v} for k, v in reply.headers.items()]
    auth = www_authenticate(reply)
    if auth:
        headers.append({"name": "WWW-Authenticate", "value": auth})
    return headers


def www_authenticate(reply: Reply) -> str | None:
    """`OAuth "Facebook Platform" "<kind>" "<message>"` for OAuthException errors."""
    err = reply.error
    if err is None or err.type != errors.OAUTH:
        return None
    kind = "invalid_token" if err.code == 190 else "invalid_request"
    return f'OAuth "Facebook Platform" "{kind}" "{err.message}"'


def _item(reply: Reply, with_headers: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"code": reply.status}
    if with_headers:
        out["headers"] = item_headers(reply)
    out["body"] = json.dumps(reply.body, separators=(",", ":"))
    return out


def is_async(req: ApiRequest, items: list[Any]) -> bool:
    """A batch marked asynchronous: `async=true` at the top level or on an item."""
    if params.truthy(req.params.get("async")):
        return True
    return any(isinstance(i, dict) and params.truthy(str(i.get("async", ""))) for i in items)


def run_batch(sb: Sandbox, req: ApiRequest, path_version: str | None) -> Outcome:
    """Answer a batch request posted to `/` or `/<version>/`."""
    version = path_version or sb.config.default_version
    trace = sb.trace_id()
    token = token_of(req.params, req.authorization)
    auth_error = sb.version_refusal(version) or sb.tokens.authenticate(
        token, req.params, user_path=False
    )
    if auth_error is not None:
        reply = error_reply(auth_error, trace, version)
        sb.count("batch", reply)
        return Outcome(reply)
    try:
        raw = json.loads(req.params.get("batch", ""))
    except ValueError:
        raw = None
    if not isinstance(raw, list):
        reply = error_reply(
            errors.batch_invalid("param batch must be a JSON array"), trace, version
        )
        sb.count("batch", reply)
        return Outcome(reply)
    if len(raw) > MAX_ITEMS:
        reply = error_reply(errors.batch_too_large(len(raw)), trace, version)
        sb.count("batch", reply)
        return Outcome(reply)
    if sb.config.new_app and is_async(req, raw):
        reply = error_reply(protocol.async_batch_refusal(), trace, version)
        sb.count("batch", reply)
        return Outcome(reply)
    call = Call(token, None, APP, "POST", req.path or "/", f"{req.path}?batch", in_batch=False)
    fault = sb.faults.pick(call)
    if fault is not None and fault.kind in ("drop", "html_502", "html_503"):
        sb.count("batch", None)
        return Outcome(None, fault.kind)
    if fault is not None and fault.kind == "expire_token":
        reply = error_reply(sb.tokens.expire(token or ""), trace, version)
        sb.count("batch", reply)
        return Outcome(reply)
    if fault is not None and fault.error is not None:
        reply = error_reply(fault.error, trace, version)
        sb.count("batch", reply)
        return Outcome(reply)
    with_headers = req.params.get("include_headers", "true").lower() != "false"
    answers = [_answer(sb, req, item, token or "", path_version, with_headers) for item in raw]
    reply = Reply(200, answers, version=version, trace=trace)
    sb.count("batch", reply)
    if fault is not None:
        return Outcome(reply, fault.kind, fault.delay)
    return Outcome(reply)


def _answer(
    sb: Sandbox,
    top: ApiRequest,
    item: Any,
    token: str,
    path_version: str | None,
    with_headers: bool,
) -> dict[str, Any] | None:
    trace = sb.trace_id()
    version = path_version or sb.config.default_version
    if not isinstance(item, dict) or not isinstance(item.get("relative_url"), str):
        err = errors.batch_invalid("Each batch item must be an object with a relative_url")
        return _item(error_reply(err, trace, version), with_headers)
    method = str(item.get("method", "GET")).upper()
    url = urlsplit(item["relative_url"])
    query = parse_qsl(url.query, keep_blank_values=True)
    params = dict(query)
    body = item.get("body")
    if isinstance(body, str) and body:
        params.update(parse_qsl(body, keep_blank_values=True))
    elif isinstance(body, dict):
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    authorization = None
    if "access_token" not in params:
        authorization = f"Bearer {token}"
        if "appsecret_proof" not in params and top.params.get("appsecret_proof"):
            params["appsecret_proof"] = top.params["appsecret_proof"]
    sub = ApiRequest(
        method=method,
        path=url.path if url.path.startswith("/") else "/" + url.path,
        query=query,
        params=params,
        authorization=authorization,
        base_url=top.base_url,
        in_batch=True,
        default_version=path_version,
    )
    outcome = sb.serve(sub)
    if outcome.fault in ("drop", "truncate"):
        return None
    if outcome.fault in ("html_502", "html_503"):
        return _item(error_reply(errors.service_unavailable(), trace, version), with_headers)
    if outcome.fault == "slow":
        time.sleep(outcome.delay)
    assert outcome.reply is not None
    return _item(outcome.reply, with_headers)
