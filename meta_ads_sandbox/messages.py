"""The request and answer of one Graph call, shared by the server, batch and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meta_ads_sandbox import versions
from meta_ads_sandbox.errors import GraphError

API_VERSION = versions.DEFAULT


@dataclass
class ApiRequest:
    """One call as received (an HTTP request or one batch item)."""

    method: str
    path: str  # without the query string
    query: list[tuple[str, str]]  # query-string pairs, in order (echoed in `next` links)
    params: dict[str, str]  # query string and form body merged (body wins)
    authorization: str | None = None
    base_url: str = ""
    in_batch: bool = False
    default_version: str | None = None  # a batch's version, for items without one
    method_override: str | None = None  # the X-HTTP-Method-Override header, if sent
    version: str = API_VERSION  # the version serving the call (set when it is routed)


@dataclass
class Reply:
    """A JSON answer (status, body) and its extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    error: GraphError | None = None
    version: str = API_VERSION
    trace: str = ""  # x-fb-trace-id, also the fbtrace_id of an error body


@dataclass
class Outcome:
    """What to send back: a reply, possibly altered by a transport fault."""

    reply: Reply | None
    fault: str | None = None  # one of TRANSPORT_FAULTS, or None
    delay: float = 0.0


def error_reply(err: GraphError, trace: str, version: str = API_VERSION) -> Reply:
    """The Reply carrying a Graph error (fbtrace_id seeded by `trace`)."""
    body = err.body(trace)
    return Reply(
        err.http_status, body, error=err, version=version, trace=body["error"]["fbtrace_id"]
    )
