"""The insights engine's view of the Graph client: paced, retried calls per account."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tap_meta_ads.graph.errors import response_json
from tap_meta_ads.graph.pacing import ADS_INSIGHTS, read_usage

if TYPE_CHECKING:
    from tap_meta_ads.client import MetaAdsStream

#: Graph batch requests carry at most 50 items (Graph API "Batch Requests").
MAX_BATCH = 50


class StreamGraphCalls:
    """Implements ``insights_jobs.GraphCalls`` on top of a stream's request machinery."""

    def __init__(self, stream: MetaAdsStream) -> None:
        self._stream = stream

    def _context(self, account_id: str, calls: int = 1) -> dict[str, Any]:
        # Report runs, their polls and their rows are all charged to ads_insights.
        return {"account_id": account_id, "usage_type": ADS_INSIGHTS, "calls": calls}

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        return self._stream.request_json(path, dict(params), self._context(account_id))

    def post(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        return self._stream.request_json(
            path, dict(params), self._context(account_id), method="POST"
        )

    def batch(self, account_id: str, requests: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        """One Graph batch call; every item's usage headers feed the account's pacer."""
        if len(requests) > MAX_BATCH:
            msg = f"a Graph batch holds at most {MAX_BATCH} requests"
            raise ValueError(msg)
        response = self._stream.request_response(
            "/",
            {"batch": json.dumps(requests, separators=(",", ":")), "include_headers": "true"},
            self._context(account_id, calls=len(requests)),
            method="POST",
        )
        items = response_json(response)
        pacer = self._stream.tap.pacer_for(account_id)
        answers: list[dict[str, Any] | None] = []
        items = items if isinstance(items, list) else []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                answers.append(None)
                continue
            headers = {
                h.get("name", ""): h.get("value", "")
                for h in item.get("headers") or []
                if isinstance(h, dict)
            }
            later = len(items) - 1 - index  # items are charged in order
            pacer.observe(read_usage(headers, account_id), ADS_INSIGHTS, later=later)
            try:
                body = json.loads(item.get("body") or "null")
            except ValueError:
                body = None
            answers.append(
                {"code": item.get("code"), "headers": item.get("headers") or [], "body": body}
            )
        answers += [None] * (len(requests) - len(answers))
        return answers

    def insights_throttle(self, account_id: str) -> float | None:
        return self._stream.tap.pacer_for(account_id).insights_pct
