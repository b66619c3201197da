"""ScopedSession: a ``requests.Session`` bound to one CallScope, plugged into the SDK's loop.

Each ``send`` is signed with the scope's token, paced by the scope's pacer, observed (usage
headers, API version), and repeated after a throttle or a "reduce the amount of data".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from tap_meta_ads.graph.errors import Action, GraphErrorInfo, GraphFatalError
from tap_meta_ads.graph.pacing import RateLimitWaitExceededError
from tap_meta_ads.graph.retries import UNREACHABLE_WAITS, unreachable, unreachable_reason
from tap_meta_ads.graph.scope import CallScope, usage_type_of
from tap_meta_ads.graph.usage import read_usage

if TYPE_CHECKING:
    from tap_meta_ads.graph.client import GraphClient

#: Why an account spent its rate-limit budget, and what to do.
WAIT_FIX = (
    "lower requests_per_second or max_accounts_in_flight, raise max_rate_limit_wait_seconds, "
    "or run when the account's other apps are quiet"
)


class ScopedSession(requests.Session):
    """A session bound to one scope: each ``send`` is signed, paced and observed.

    Throttles are waited out here, as long as Meta says and within
    ``max_rate_limit_wait_seconds``, without spending the retry budget; "reduce the amount
    of data" halves ``limit`` and sends again at once. Other failures are returned for
    ``GraphClient.check_response`` to raise. Every request has a connect timeout of its own
    (``CONNECT_SECONDS``) and the read timeout of the settings; a host that cannot be reached
    is tried a few times quickly, then given up with one line.

    Its connections are the client's: every session mounts the client's one ``HTTPAdapter``,
    so the connections kept open are bounded by the calls in flight, not by the number of
    accounts and streams a thread has read.
    """

    def __init__(self, client: GraphClient, scope: CallScope, adapter: HTTPAdapter) -> None:
        super().__init__()
        self._client = client
        self._scope = scope
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def close(self) -> None:
        """Nothing to close: the connections are the client's (``GraphClient.close``)."""

    def _acquire(self, usage_type: str | None) -> None:
        pacer = self._client.pacer(self._scope)
        try:
            pacer.acquire(usage_type, self._scope.calls)
        except RateLimitWaitExceededError as exc:
            scope = self._scope
            where = f"account {scope.account_id}" if scope.account_id else "Meta API"
            line = (
                f"{where}: {scope.what or scope.stream} failed: Meta's rate limits would hold "
                f"it past max_rate_limit_wait_seconds ({pacer.max_wait_seconds:.0f} s; "
                f"{pacer.waited_seconds:.0f} s waited or slowed so far). Fix: {WAIT_FIX}"
            )
            info = GraphErrorInfo(http_status=0, message="rate-limit wait budget spent")
            raise GraphFatalError(info, scope.account_id, scope.what, line=line) from exc

    def _transmit(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """One request on the wire; a host that cannot be reached is tried a few times."""
        client = self._client
        kwargs["timeout"] = client.policy.timeouts
        for wait in (*UNREACHABLE_WAITS, None):
            try:
                response: requests.Response = super().send(request.copy(), **kwargs)
            except requests.exceptions.ConnectionError as exc:
                reason = unreachable_reason(exc, client.policy.connect_seconds)
                if reason is None:
                    raise
                if wait is None:
                    raise unreachable(self._scope, request.url or "", reason) from exc
                client.sleep(wait)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        client, scope = self._client, self._scope
        pacer = client.pacer(scope)
        usage_type = usage_type_of(request.url or "", scope)
        auth = client.auth(scope)
        while True:
            before = pacer.waited_seconds
            try:
                self._acquire(usage_type)
            finally:  # the app's hold and slow-downs of the acquire: rate-limit waits too
                client.count_wait(scope, pacer.waited_seconds - before)
            client.log.count(scope.subject, scope.stream, requests=1)
            try:
                response = self._transmit(auth(request.copy()), **kwargs)
            except BaseException:
                pacer.release(usage_type, scope.calls)
                raise
            client.observe_version(response, scope)
            waited = pacer.waited_seconds
            pacer.observe(read_usage(response.headers, scope.account_id), usage_type, scope.calls)
            action = client.action_of(response)
            if action is Action.THROTTLE and scope.quota_limited:
                return response  # check_response raises DailyQuotaError: no wait, no retry
            if action is Action.THROTTLE:
                try:
                    client.wait_out_throttle(response, scope, pacer, usage_type)
                finally:
                    client.count_wait(scope, pacer.waited_seconds - waited)
                continue
            client.count_wait(scope, pacer.waited_seconds - waited)
            if action is Action.SHRINK_PAGE:
                request = client.shrink_page(request, scope)
                continue
            if action is None:  # a page that worked: grow a shrunk limit back
                client.restore_page_size(scope)
            return response
