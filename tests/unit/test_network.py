"""The network, as a new user meets it: a host that refuses, a server that never answers.

Each runs the command line in this process against a loopback port: the run ends with one
clear last line, a non-zero exit and no traceback or token, within a bound the line states.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap_meta_ads.graph.scope import CONNECT_SECONDS, ClientPolicy
from tests.unit.test_front_door import Result, cli

TOKEN = "EAABnetworkTOKEN0123456789"


@pytest.fixture(autouse=True)
def _direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy (these tests reach loopback ports), and no tap settings from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def run_against(tmp_path: Path, url: str, **settings: object) -> tuple[Result, float]:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"access_token": TOKEN, "api_url": url, "account_ids": ["act_1"], **settings})
    )
    started = time.monotonic()
    result = cli("--config", str(config))
    return result, time.monotonic() - started


def assert_clear(result: Result) -> str:
    everything = result.stdout + result.stderr
    assert result.code != 0
    assert "Traceback" not in everything
    assert TOKEN not in everything
    assert '"type": "STATE"' not in result.stdout
    return result.last


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


def test_every_request_has_a_connect_timeout_of_its_own():
    policy = ClientPolicy("https://x", None, 25, 120.0, 8, 600.0, 10.0, 3900.0)
    assert policy.timeouts == (CONNECT_SECONDS, 120.0)
    assert CONNECT_SECONDS <= 10
    assert ClientPolicy("https://x", None, 25, 2.0, 8, 600.0, 10.0, 3900.0).timeouts == (2.0, 2.0)


def test_a_refused_connection_ends_within_seconds_in_one_line(tmp_path, closed_port):
    url = f"http://127.0.0.1:{closed_port}"
    result, took = run_against(tmp_path, url)
    last = assert_clear(result)
    assert last.endswith(f"cannot reach {url}: connection refused; check api_url or the network")
    assert took < 30  # a few quick tries, not the whole retry budget


def test_a_silent_server_ends_within_read_timeout_times_retries_and_says_so(
    tmp_path, silent_server
):
    url = f"http://127.0.0.1:{silent_server}"
    result, took = run_against(
        tmp_path, url, request_timeout_seconds=1, max_retries=3, max_retry_seconds=60
    )
    last = assert_clear(result)
    assert "failed after 3 tries in " in last
    assert "ReadTimeout: no answer within 1 s (request_timeout_seconds)" in last
    assert "at most 3 s: request_timeout_seconds x max_retries" in last
    assert took < 3 * 1 + 10  # three read timeouts and backoff's short waits
