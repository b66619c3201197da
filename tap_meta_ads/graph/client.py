"""GraphClient: every HTTP call to Meta, for the streams and the insights engine alike.

Each call carries a ``CallScope`` (``graph.scope``). A scoped ``requests.Session`` signs,
paces, observes the usage headers, waits out throttles and shrinks ``limit``; retries
(transient errors) wrap the whole call with backoff, within ``max_retries`` and
``max_retry_seconds``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from tap_meta_ads.graph.answers import (
    CursorMemory,
    Expect,
    MalformedAnswerError,
    call_name,
    problem,
)
from tap_meta_ads.graph.auth import GraphAuth
from tap_meta_ads.graph.errors import (
    MAX_BATCH,
    Action,
    DailyQuotaError,
    GraphFatalError,
    GraphRetriableError,
    GraphThrottleError,
    ShrinkPageError,
    TooMuchDataError,
    classify,
    error_info_from_response,
    parse_error,
    response_json,
)
from tap_meta_ads.graph.pacing import Pacer, PacerRegistry, RateLimitWaitExceededError
from tap_meta_ads.graph.pagination import GraphCursorPaginator, data_rows, with_limit
from tap_meta_ads.graph.retries import RETRIED, Retrying
from tap_meta_ads.graph.scope import CallLog, CallScope, ClientPolicy, TokenSource
from tap_meta_ads.graph.session import ScopedSession
from tap_meta_ads.graph.usage import read_usage
from tap_meta_ads.graph.versions import NEWEST

#: "Please reduce the amount of data" halves ``limit`` down to this, then is a retry.
MIN_PAGE_SIZE = 5
T = TypeVar("T")
#: Sessions a thread keeps (each is a few objects; its connections are the client's).
SESSIONS_PER_THREAD = 16
#: Scopes whose listings' cursors a thread remembers (``graph.answers.CursorMemory``).
CURSOR_SCOPES_PER_THREAD = 64
__all__ = ["RETRIED", "GraphClient", "data_rows"]


def _recent(
    local: threading.local, name: str, scope: CallScope, keep: int, make: Callable[[CallScope], T]
) -> T:
    """The calling thread's ``name`` entry for ``scope``, made on first use; each thread keeps
    its ``keep`` most recently used entries."""
    entries: OrderedDict[CallScope, T] | None = getattr(local, name, None)
    if entries is None:
        entries = OrderedDict()
        setattr(local, name, entries)
    entry = entries.get(scope)
    if entry is None:
        entry = entries[scope] = make(scope)
        if len(entries) > keep:
            entries.popitem(last=False)
    else:
        entries.move_to_end(scope)
    return entry


class GraphClient:
    """One client per run, shared by every stream and the insights engine."""

    def __init__(
        self,
        policy: ClientPolicy,
        tokens: TokenSource,
        log: CallLog,
        *,
        logger: Any,
        redact: Callable[[str], str],
        pacers: PacerRegistry | None = None,
    ) -> None:
        self.policy = policy
        self.log = log
        self.logger = logger
        self.redact = redact
        self._tokens = tokens
        self._pacers = pacers or PacerRegistry(
            policy.requests_per_second, policy.max_rate_limit_wait_seconds, logger=logger
        )
        self._retrying = Retrying(policy, log, logger, redact)
        #: How the client waits between quick tries of an unreachable host (tests fake it).
        self.sleep: Callable[[float], None] = time.sleep
        self._auths: dict[str, GraphAuth] = {}
        self._shrunk: dict[tuple[str, str], int] = {}
        self._version_warnings: set[str] = set()
        self._lock = threading.Lock()
        self._local = threading.local()
        #: One pool of connections for every session of every thread (urllib3's pools are
        #: thread-safe); more calls at once than ``connections`` would open extra ones.
        self._adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(1, policy.connections))

    # -- per-scope services ------------------------------------------------------------------

    def auth(self, scope: CallScope) -> GraphAuth:
        token = self._tokens.token(scope)
        with self._lock:
            auth = self._auths.get(token)
            if auth is None:
                auth = self._auths[token] = GraphAuth(token, self.policy.app_secret)
            return auth

    def pacer(self, scope: CallScope) -> Pacer:
        """The pacer of the scope's account and token (token-level calls: the token's own)."""
        account = None if scope.token_index is not None else scope.account_id
        return self._pacers.get(account, self._tokens.token(scope))

    def session(self, scope: CallScope) -> requests.Session:
        """The calling thread's session for ``scope`` (sessions are not shared by threads).

        A thread keeps its ``SESSIONS_PER_THREAD`` most recent ones: a worker reads many
        accounts, one after the other, and a session holds no connection of its own.
        """
        return _recent(self._local, "sessions", scope, SESSIONS_PER_THREAD, self._new_session)

    def _new_session(self, scope: CallScope) -> ScopedSession:
        return ScopedSession(self, scope, self._adapter)

    def close(self) -> None:
        """Close the connections kept open (at the end of the run)."""
        self._adapter.close()

    # -- responses ---------------------------------------------------------------------------

    def action_of(self, response: requests.Response) -> Action | None:
        """What a response asks for; None when it is no error. Bodies that are not JSON are
        left for ``check_response``, which retries them."""
        if response.status_code < 400:
            try:
                body = response_json(response)
            except GraphRetriableError:
                return None
            info = parse_error(response.status_code, body)
            return classify(info) if info else None
        return classify(error_info_from_response(response))

    def check_response(
        self,
        response: requests.Response,
        scope: CallScope,
        expect: Expect = Expect.ANY,
        *,
        keys: tuple[str, ...] = (),
        items: int = 0,
    ) -> None:
        """Raise the exception that says what to do with a failed response, if it failed.

        A successful answer must have the shape ``expect`` says (``graph.answers``): a
        malformed one is retried like a transient error; a page whose cursor loops is fatal.
        """
        if response.status_code < 400:
            try:
                body = response_json(response)
            except GraphRetriableError as exc:  # truncated or non-JSON bodies are retried
                msg = f"{call_name(response.request)} answered {exc}"
                raise MalformedAnswerError(msg, response) from exc
            info = parse_error(response.status_code, body)
            if info is None:
                wrong = problem(body, expect, keys=keys, items=items)
                if wrong is not None:
                    msg = f"{call_name(response.request)} answered HTTP 200 but {wrong}"
                    raise MalformedAnswerError(msg, response)
                if expect is Expect.PAGE:
                    self._cursors(scope).check(
                        response.request, body, scope.account_id, scope.what or scope.stream
                    )
                return
        else:
            info = error_info_from_response(response)
        action = classify(info)
        what = scope.what or scope.stream
        if action is Action.THROTTLE and scope.quota_limited:
            raise DailyQuotaError(info, scope.account_id, what)
        if action is Action.THROTTLE:
            wait = read_usage(response.headers, scope.account_id).regain_seconds or None
            raise GraphThrottleError(info.describe(), response, info, wait)
        if action is Action.SHRINK_PAGE:
            raise ShrinkPageError(info.describe(), response)
        if action is Action.RETRY:
            raise GraphRetriableError(info.describe(), response)
        if action is Action.SPLIT:
            raise TooMuchDataError(info, scope.account_id, what)
        raise GraphFatalError(info, scope.account_id, what)

    def wait_out_throttle(
        self, response: requests.Response, scope: CallScope, pacer: Pacer, usage_type: str | None
    ) -> None:
        """Wait as long as Meta says (or the pacer's backoff); fatal past the wait budget."""
        try:
            self.check_response(response, scope)
        except GraphThrottleError as exc:
            self.log.count(scope.subject, scope.stream, throttles=1)
            self.logger.info(
                "%s: throttled (%s); waiting %s",
                scope.what or scope.stream,
                exc.info.describe(),
                f"{exc.wait_seconds:.0f}s as Meta estimates"
                if exc.wait_seconds
                else "before retrying",
            )
            try:
                pacer.on_throttle(exc.wait_seconds, usage_type, exc.info.code)
            except RateLimitWaitExceededError as wait_exc:
                raise GraphFatalError(
                    exc.info, scope.account_id, scope.what or scope.stream
                ) from wait_exc

    def _cursors(self, scope: CallScope) -> CursorMemory:
        """The calling thread's cursor memory for ``scope`` (listings are read on one thread).

        A thread keeps the memories of its ``CURSOR_SCOPES_PER_THREAD`` latest scopes: a
        listing is read to its end before its thread reads many others.
        """
        return _recent(
            self._local, "cursors", scope, CURSOR_SCOPES_PER_THREAD, lambda _: CursorMemory()
        )

    def count_wait(self, scope: CallScope, seconds: float) -> None:
        """Pauses the pacer took for Meta's limits (headers or throttles), in the run log."""
        if seconds > 0:
            self.log.count(scope.subject, scope.stream, rate_limit_wait=seconds)

    def observe_version(self, response: requests.Response, scope: CallScope) -> None:
        """Record the version Meta answered with; warn once per run when Meta says it ends."""
        served = response.headers.get("facebook-api-version")
        if served:
            self.log.note(scope.subject, scope.stream, api_version=served)
        warning = response.headers.get("X-Ad-Api-Version-Warning")
        if warning:
            with self._lock:
                first = warning not in self._version_warnings
                self._version_warnings.add(warning)
            if first:
                self.logger.warning(
                    "Meta warns about the API version (%s): %s. Set api_version to %s.",
                    served or "unknown",
                    " ".join(warning.split())[:300],
                    NEWEST,
                )

    # -- page size ---------------------------------------------------------------------------

    def page_size(self, scope: CallScope) -> int:
        """``limit`` for the scope's next page: the setting, or less after Meta asked."""
        key = (scope.account_id or "", scope.stream)
        with self._lock:
            return self._shrunk.get(key, self.policy.page_size)

    def shrink_page(
        self, prepared: requests.PreparedRequest, scope: CallScope
    ) -> requests.PreparedRequest:
        key = (scope.account_id or "", scope.stream)
        current = self.page_size(scope)
        if current <= MIN_PAGE_SIZE:
            msg = f"Meta still asks for less data at limit={current}"
            raise GraphRetriableError(msg)
        smaller = max(MIN_PAGE_SIZE, current // 2)
        with self._lock:
            self._shrunk[key] = smaller
        self.logger.info(
            "%s: Meta asked for less data; page size %d -> %d",
            scope.what or scope.stream,
            current,
            smaller,
        )
        return with_limit(prepared, smaller)

    def restore_page_size(self, scope: CallScope) -> None:
        """Grow a shrunk ``limit`` back towards the setting after a page that worked."""
        key = (scope.account_id or "", scope.stream)
        with self._lock:
            if key in self._shrunk:
                grown = min(self.policy.page_size, self._shrunk[key] * 2)
                if grown >= self.policy.page_size:
                    del self._shrunk[key]
                else:
                    self._shrunk[key] = grown

    # -- retries -----------------------------------------------------------------------------

    def retrying(
        self, func: Callable[..., Any], scope_of: Callable[[Sequence[Any]], CallScope]
    ) -> Callable[..., Any]:
        """``func`` retried on transient failures within ``max_retries`` and
        ``max_retry_seconds`` (``graph.retries``); ``scope_of`` gets the call's positional
        arguments, so each retry is counted for the account it happened for."""
        return self._retrying.wrap(func, scope_of)

    # -- calls outside a stream's own paging -------------------------------------------------

    def request(
        self,
        scope: CallScope,
        path: str,
        params: Mapping[str, Any],
        method: str = "GET",
        expect: Expect = Expect.ANY,
        items: int = 0,
        keys: tuple[str, ...] = (),
    ) -> requests.Response:
        """One paced, retried Graph call (a node read, a report run, a poll)."""
        prepared = requests.Request(
            method,
            f"{self.policy.base_url}{path}",
            params=dict(params) if method == "GET" else None,
            data=dict(params) if method != "GET" else None,
            headers={"User-Agent": self.policy.user_agent, "Accept": "application/json"},
        ).prepare()

        def send(request: requests.PreparedRequest, scope: CallScope) -> requests.Response:
            response = self.session(scope).send(request, allow_redirects=True)
            self.check_response(response, scope, expect, items=items, keys=keys)
            return response

        response: requests.Response = self.retrying(send, lambda args: args[1])(prepared, scope)
        return response

    def get(
        self,
        scope: CallScope,
        path: str,
        params: Mapping[str, Any],
        expect: Expect = Expect.OBJECT,
        keys: tuple[str, ...] = (),
    ) -> Any:
        """A node (``expect``: an object with ``keys``) or a page (``Expect.PAGE``), decoded."""
        return response_json(self.request(scope, path, params, expect=expect, keys=keys))

    def post(self, scope: CallScope, path: str, params: Mapping[str, Any]) -> Any:
        return response_json(self.request(scope, path, params, method="POST", expect=Expect.OBJECT))

    def debug_token(self, scope: CallScope, app_id: str, app_secret: str) -> dict[str, Any]:
        """Meta's view of the scope's token (``GET /debug_token``, signed with the app's token).

        The inspected token goes in ``input_token`` as Meta requires; error lines never quote
        the URL, and the log filter masks the token wherever it could appear.
        """
        app_token = f"{app_id}|{app_secret}"
        prepared = requests.Request(
            "GET",
            f"{self.policy.base_url}/debug_token",
            params={"input_token": self._tokens.token(scope)},
            headers={
                "User-Agent": self.policy.user_agent,
                "Accept": "application/json",
                "Authorization": f"Bearer {app_token}",
            },
        ).prepare()

        def send(request: requests.PreparedRequest, scope: CallScope) -> requests.Response:
            response = requests.Session().send(request, timeout=self.policy.timeouts)
            self.log.count(scope.subject, scope.stream, requests=1)
            self.check_response(response, scope)
            return response

        response = self.retrying(send, lambda args: args[1])(prepared, scope)
        body = response_json(response)
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def iter_edge(
        self, scope: CallScope, path: str, params: Mapping[str, Any], keys: tuple[str, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Graph edge, page by page (the SDK paginator stops a stuck cursor)."""
        paginator = GraphCursorPaginator()
        while not paginator.finished:
            page = {**params, "limit": self.page_size(scope)}
            if paginator.current_value:
                page["after"] = paginator.current_value
            response = self.request(scope, path, page, expect=Expect.PAGE, keys=keys)
            yield from data_rows(response)
            paginator.advance(response)

    def batch(self, scope: CallScope, items: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        """One Graph batch call; every item's usage headers feed the scope's pacer."""
        if len(items) > MAX_BATCH:
            msg = f"a Graph batch holds at most {MAX_BATCH} requests"
            raise ValueError(msg)
        response = self.request(
            replace(scope, calls=len(items)),
            "/",
            {"batch": json.dumps(items, separators=(",", ":")), "include_headers": "true"},
            method="POST",
            expect=Expect.BATCH,
            items=len(items),
        )
        body = response_json(response)  # a list of one entry per item (checked on arrival)
        answered = body if isinstance(body, list) else []
        pacer = self.pacer(scope)
        waited = pacer.waited_seconds
        answers: list[dict[str, Any] | None] = []
        for index, item in enumerate(answered):
            if not isinstance(item, dict):
                answers.append(None)
                continue
            headers = {
                h.get("name", ""): h.get("value", "")
                for h in item.get("headers") or []
                if isinstance(h, dict)
            }
            later = len(answered) - 1 - index  # items are charged in order
            pacer.observe(read_usage(headers, scope.account_id), scope.usage_type, later=later)
            try:
                decoded = json.loads(item.get("body") or "null")
            except ValueError:
                decoded = None
            answers.append(
                {"code": item.get("code"), "headers": item.get("headers") or [], "body": decoded}
            )
        self.count_wait(scope, pacer.waited_seconds - waited)  # the items' headers' pauses
        answers += [None] * (len(items) - len(answers))
        return answers
