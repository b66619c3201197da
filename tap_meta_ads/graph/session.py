"""ScopedSession: a ``requests.Session`` bound to one CallScope, plugged into the SDK's loop.

Each ``send`` is signed with the scope's token, paced by the scope's pacer, observed (usage
headers, API version), and repeated after a throttle or a "reduce the amount of data".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from tap_meta_ads.graph.errors import Action
from tap_meta_ads.graph.scope import CallScope, usage_type_of
from tap_meta_ads.graph.usage import read_usage

if TYPE_CHECKING:
    from tap_meta_ads.graph.client import GraphClient


class ScopedSession(requests.Session):
    """A session bound to one scope: each ``send`` is signed, paced and observed.

    Throttles are waited out here, as long as Meta says and within
    ``max_rate_limit_wait_seconds``, without spending the retry budget; "reduce the amount
    of data" halves ``limit`` and sends again at once. Other failures are returned for
    ``GraphClient.check_response`` to raise.
    """

    def __init__(self, client: GraphClient, scope: CallScope) -> None:
        super().__init__()
        self._client = client
        self._scope = scope

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        client, scope = self._client, self._scope
        pacer = client.pacer(scope)
        usage_type = usage_type_of(request.url or "", scope)
        auth = client.auth(scope)
        while True:
            pacer.acquire(usage_type, scope.calls)
            client.log.count(scope.subject, scope.stream, requests=1)
            try:
                response: requests.Response = super().send(auth(request.copy()), **kwargs)
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
