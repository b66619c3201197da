"""Legacy Graph protocol features, and their refusal for apps created from 2026-11-04.

The v27 launch blog (2026-11-04): apps created from that day may not use, on any version,
multi-ID requests, `date_format`, HTTP method override, field aliases, JSONP or asynchronous
batch requests. For other apps the sandbox serves them: multi-ID reads (`/?ids=a,b`,
`/<edge>?ids=a,b`), the `method` parameter and the `X-HTTP-Method-Override` header, aliases
(`name.as(title)`), and JSONP (`callback=`); `date_format` is accepted and ignored; the
asynchronous batch API (`POST /act_<id>/async_batch_requests`) is a write, which the read-only
sandbox does not serve.

The refusal is Meta's usual invalid-parameter envelope (100, "Invalid parameter"); Meta has
published no code for it, so the code is the sandbox's choice (docs/sandbox.md).
"""

from __future__ import annotations

import re

from meta_ads_sandbox import errors, fields, params
from meta_ads_sandbox.messages import ApiRequest

METHODS = ("GET", "POST", "DELETE")
ASYNC_BATCH_EDGE = "async_batch_requests"
_CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]*$")
_ID_LIKE = re.compile(r"^(me|act_\d+|\d+(:\w+)?)$")


def override(req: ApiRequest) -> str | None:
    """The method asked for with `method=` or `X-HTTP-Method-Override`, if any."""
    raw = req.params.get("method") or req.method_override
    return raw.strip().upper() if raw and raw.strip() else None


def effective_method(req: ApiRequest) -> str:
    """The method the call is served as (an override wins when it names GET, POST or DELETE)."""
    asked = override(req)
    return asked if asked in METHODS else req.method.upper()


def callback(req: ApiRequest) -> str | None:
    """The JSONP callback name, when `callback` is a valid JavaScript name."""
    name = req.params.get("callback", "").strip()
    return name if name and _CALLBACK.match(name) else None


def is_multi_id(parts: list[str], p: dict[str, str]) -> bool:
    """`/?ids=...` or `/<edge>?ids=...` (parts: the path after the version)."""
    if "ids" not in p:
        return False
    return not parts or (len(parts) == 1 and not _ID_LIKE.match(parts[0]))


def multi_ids(p: dict[str, str]) -> list[str]:
    """The IDs of a multi-ID request, in order, without duplicates."""
    raw = p.get("ids", "")
    try:
        listed = params.string_list(raw, "ids")
    except errors.GraphError:
        listed = raw.split(",")
    return list(dict.fromkeys(i.strip() for i in listed if i.strip()))


def _aliased(p: dict[str, str]) -> bool:
    if ".as(" not in p.get("fields", ""):
        return False
    try:
        return fields.has_alias(fields.parse_fields(p["fields"]))
    except errors.GraphError:
        return False


def new_app_refusal(req: ApiRequest, edge: str | None) -> errors.GraphError | None:
    """The error an app created from 2026-11-04 gets for this call, if it uses a legacy feature."""
    p = req.params
    if "ids" in p:
        return errors.not_for_new_apps("ids", "Multi-ID lookup", "Multi-ID requests not supported")
    if "date_format" in p:
        return errors.not_for_new_apps(
            "date_format", "The date_format parameter", "date_format not supported"
        )
    if override(req) is not None:
        name = "method" if "method" in p else "X-HTTP-Method-Override"
        return errors.not_for_new_apps(
            name, "HTTP method override", "Method override not supported"
        )
    if "callback" in p:
        return errors.not_for_new_apps("callback", "JSONP", "JSONP not supported")
    if _aliased(p):
        return errors.not_for_new_apps("fields", "Field aliasing", "Field aliases not supported")
    if edge == ASYNC_BATCH_EDGE:
        return async_batch_refusal()
    return None


def async_batch_refusal() -> errors.GraphError:
    """The error for an asynchronous batch request from a new app."""
    return errors.not_for_new_apps(
        "adbatch", "Asynchronous batch requests", "Asynchronous batch requests not supported"
    )
