"""InsightsCalls: the insights engine's view of the Graph client (its ``GraphCalls``).

Every call is for one account and charged to its ads_insights budget, and counted in the run
log under "insights report runs" for that account.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tap_meta_ads.graph.answers import Expect
from tap_meta_ads.graph.client import GraphClient
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.graph.usage import ADS_INSIGHTS


class InsightsCalls:
    """The engine's view of the client: calls for one account, charged to ads_insights."""

    STREAM = "insights report runs"
    WHAT = "running insights report runs"

    def __init__(self, client: GraphClient) -> None:
        self._client = client

    def _scope(self, account_id: str) -> CallScope:
        return CallScope(
            account_id=account_id, stream=self.STREAM, what=self.WHAT, usage_type=ADS_INSIGHTS
        )

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        return self._client.get(self._scope(account_id), path, params, expect=Expect.PAGE)

    def post(
        self, account_id: str, path: str, params: dict[str, str], *, quota_limited: bool = False
    ) -> Any:
        scope = replace(self._scope(account_id), quota_limited=quota_limited)
        return self._client.post(scope, path, params)

    def batch(self, account_id: str, requests: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        return self._client.batch(self._scope(account_id), requests)

    def insights_throttle(self, account_id: str) -> float | None:
        return self._client.pacer(self._scope(account_id)).insights_pct

    def reach_throttle(self, account_id: str) -> float | None:
        """The share of the account's daily reach report runs used (the reach throttle)."""
        return self._client.pacer(self._scope(account_id)).reach_pct
