"""Graph answers checked where they enter: the shape each call expects, and paging that loops.

A 200 whose body breaks the shape its call expects (not an object, a page without its ``data``
list, an item that is not an object or lacks its ``id``, a ``paging`` that is not an object, a
batch answer that is not a list of one entry per request) is a ``MalformedAnswerError``: it is
retried like a transient error (a proxy's page or a cut-off body goes away on a retry), and
ends the account with one line naming the call when it does not. A page whose ``after`` cursor
was already answered in the same listing (a page served twice, a cursor that cycles, an empty
page whose ``next`` is itself) is a ``CursorLoopError``: the listing cannot be read completely,
so it fails before any row of that page is taken.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError, GraphRetriableError
from tap_meta_ads.json_kinds import json_kind

#: Listings a cursor memory keeps (one per edge and parameters; a report run is one listing).
LISTINGS_KEPT = 64
#: Query parameters that page a listing rather than name it.
PAGING_PARAMS = frozenset({"after", "before", "limit", "access_token", "appsecret_proof"})
#: Query parameters that sign a call (a ``next`` URL may carry them; a request never does).
SIGNING_PARAMS = frozenset({"access_token", "appsecret_proof"})
#: Report it: a malformed answer that retries did not fix is Meta's (or a proxy's) fault.
MALFORMED_FIX = (
    "retry later; if it persists, check for a proxy between the tap and Meta (api_url), or "
    "report it to Meta with the call named here"
)


class Expect(enum.Enum):
    """The shape a successful answer must have."""

    ANY = "any JSON"
    OBJECT = "an object"
    PAGE = "a page"
    BATCH = "a batch answer"


class MalformedAnswerError(GraphRetriableError):
    """A 200 whose body breaks the shape its call expects: retried like a transient error."""


class CursorLoopError(GraphFatalError):
    """A listing's paging returns to a cursor already answered: reading on would repeat rows."""


def call_name(request: requests.PreparedRequest | None) -> str:
    """``GET /v25.0/act_1/campaigns``: the method and path, never the query (it may hold a
    token)."""
    if request is None:
        return "a Graph call"
    path = urlsplit(request.url or "").path or "/"
    return f"{request.method or 'GET'} {path}"


def problem(body: Any, expect: Expect, *, keys: tuple[str, ...] = (), items: int = 0) -> str | None:
    """What is wrong with a decoded successful body for ``expect``; None when nothing is.

    ``keys``: what every item of a page (or the object) must carry; ``items``: the entries a
    batch answer must hold (Meta answers each request, ``null`` for the unfinished ones).
    """
    if expect is Expect.ANY:
        return None
    if expect is Expect.BATCH:
        if not isinstance(body, list):
            return f"the batch answer is {json_kind(body)}, not a list"
        if len(body) != items:
            return f"the batch answer holds {len(body)} entries for {items} requests"
        bad = next((i for i, item in enumerate(body) if not _batch_item(item)), None)
        return None if bad is None else f"batch entry {bad + 1} is not a status and a body"
    if not isinstance(body, dict):
        return f"the body is {json_kind(body)}, not an object"
    if expect is Expect.OBJECT:
        missing = next((k for k in keys if body.get(k) in (None, "")), None)
        return None if missing is None else f"the object has no {missing}"
    data = body.get("data")
    if not isinstance(data, list):
        return "the body has no data list"
    if "paging" in body and not isinstance(body["paging"], dict):
        return f"paging is {json_kind(body['paging'])}, not an object"
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            return f"item {index + 1} of the data list is {json_kind(item)}, not an object"
        missing = next((k for k in keys if item.get(k) in (None, "")), None)
        if missing is not None:
            return f"item {index + 1} of the data list has no {missing}"
    return None


def _batch_item(item: Any) -> bool:
    if item is None:
        return True  # Meta's "not finished in time": asked again by the caller
    if not isinstance(item, dict):
        return False
    code = item.get("code")
    return isinstance(code, int) and not isinstance(code, bool) and "body" in item


class CursorMemory:
    """The ``after`` cursors each listing has answered, for one scope on one thread.

    A request without ``after`` starts its listing again. Only answers that passed every other
    check are remembered, so a retried page is never mistaken for a repeated one.
    """

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = OrderedDict()

    def check(
        self, request: requests.PreparedRequest | None, body: Any, account_id: str | None, what: str
    ) -> None:
        """Raise ``CursorLoopError`` when the page's next cursor was answered before."""
        if request is None or not isinstance(body, dict):
            return
        paging = body.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not (isinstance(paging, dict) and paging.get("next") and isinstance(after, str)):
            return  # the last page: nothing comes after it
        parts = urlsplit(request.url or "")
        query = parse_qsl(parts.query, keep_blank_values=True)
        sent = next((v for k, v in query if k == "after"), None)
        listing = (parts.path, tuple(sorted((k, v) for k, v in query if k not in PAGING_PARAMS)))
        nxt = urlsplit(str(paging["next"]))
        onward = parse_qsl(nxt.query, keep_blank_values=True)
        itself = nxt.path == parts.path and sorted(
            (k, v) for k, v in onward if k not in SIGNING_PARAMS
        ) == sorted((k, v) for k, v in query if k not in SIGNING_PARAMS)
        if sent is None:
            self._seen.pop(listing, None)
        seen = self._seen.setdefault(listing, set())
        self._seen.move_to_end(listing)
        while len(self._seen) > LISTINGS_KEPT:
            self._seen.popitem(last=False)
        if itself or after == sent or after in seen:
            info = GraphErrorInfo(http_status=200, message="paging cursor repeated")
            where = f"account {account_id}" if account_id else "Meta API"
            line = (
                f"{where}: {what} failed: {call_name(request)} answered a page whose next "
                "cursor was already read (a page served twice, a cursor loop, or a next page "
                "that is itself); the listing cannot be read completely, so none of this "
                f"page was taken. Fix: {MALFORMED_FIX}"
            )
            raise CursorLoopError(info, account_id, what, line=line)
        if sent is not None:
            seen.add(sent)
