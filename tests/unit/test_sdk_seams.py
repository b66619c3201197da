"""The singer-sdk behaviour the tap relies on, pinned so an SDK upgrade fails loudly here.

The tap plugs into RESTStream's public seams (requests_session, request_decorator,
validate_response) rather than overriding ``_request``; it overrides the final ``sync_all``
only to add the summary and exit status, and drops a failed partition's progress markers.
"""

from __future__ import annotations

from typing import Any

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.streams import RESTStream

from tap_meta_ads.tap import TapMetaAds


class _Session(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"data": [{"id": "1"}]}'
        response.request = request
        return response


class _Stream(RESTStream[Any]):
    name = "pinned"
    path = "/things"
    url_base = "http://example.invalid"
    schema = th.PropertiesList(th.Property("id", th.StringType)).to_dict()
    records_jsonpath = "$.data[*]"

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap=tap)
        self.session = _Session()
        self.validated: list[requests.Response] = []
        self.decorated: list[Any] = []

    @property
    def requests_session(self) -> requests.Session:
        return self.session

    def validate_response(self, response: requests.Response) -> None:
        self.validated.append(response)

    def request_decorator(self, func: Any) -> Any:
        self.decorated.append(func)
        return func


class _Tap(Tap):
    name = "tap-pinned"
    config_jsonschema = th.PropertiesList().to_dict()

    def discover_streams(self) -> list[Any]:
        return [_Stream(self)]


def test_the_sdk_request_loop_sends_through_requests_session_and_validates_each_response():
    stream = _Tap(config={}, validate_config=False).streams["pinned"]
    assert isinstance(stream, _Stream)
    records = list(stream.request_records(None))
    assert records == [{"id": "1"}]
    assert len(stream.session.sent) == 1  # our scoped session did the sending
    assert stream.validated
    assert stream.validated[0].request is stream.session.sent[0]
    # request_records wraps the SDK's own _request with request_decorator (our retry policy).
    assert stream.decorated
    assert stream.decorated[0].__name__ == "_request"


def test_partitioned_streams_keep_their_bookmark_as_a_progress_marker_until_finalized():
    """get_records drops ``progress_markers`` of a failed partition: that key must exist."""
    tap = TapMetaAds(config={"access_token": "x", "account_ids": ["1"]}, validate_config=False)
    stream = tap.streams["campaigns"]
    context = {"account_id": "1"}
    stream._increment_stream_state({"updated_time": "2026-11-01T00:00:00+00:00"}, context=context)
    state = stream.get_context_state(context)
    assert "progress_markers" in state
    assert "replication_key_value" not in state  # is_sorted is ignored with partitioning keys
    stream._finalize_state(state)
    assert state["replication_key_value"] == "2026-11-01T00:00:00+00:00"


def test_record_counts_are_logged_per_account(caplog):
    """The SDK counts a partitioned stream's records in one counter (``_sync_records``
    switches its context per partition); ours logs each account's count on the switch."""
    import logging

    from tap_meta_ads.streams.base import PartitionCounter

    tap = TapMetaAds(config={"access_token": "x", "account_ids": ["1", "2"]}, validate_config=False)
    counter = tap.streams["campaigns"].get_record_counter()
    assert isinstance(counter, PartitionCounter)
    with caplog.at_level(logging.INFO, logger="singer_sdk.metrics"), counter:
        for account, records in (("1", 3), ("2", 2)):
            counter.with_context({"account_id": account})
            for _ in range(records):
                counter.increment()
    lines = [r.getMessage() for r in caplog.records if "record_count" in r.getMessage()]
    assert len(lines) == 2
    assert '"value":3' in lines[0]
    assert '"account_id":"1"' in lines[0]
    assert '"value":2' in lines[1]
    assert '"account_id":"2"' in lines[1]
