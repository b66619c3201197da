"""The server carries out each fault kind; admin calls are never faulted; headers on answers."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

from meta_ads_sandbox.faults import FaultConfig


def raw_get(base_url, path):
    """One request on a fresh connection: (status, headers, body) or the exception raised."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def faulty(start, kind, **extra):
    return start(
        faults=FaultConfig(fault_rate=1.0, faults=(kind,), max_consecutive_faults=1, **extra)
    )


PATH = "/v25.0/me?access_token=sandbox-token"


def test_drop_closes_without_answer(start):
    running = faulty(start, "drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        raw_get(running.base_url, PATH)
    assert raw_get(running.base_url, PATH)[0] == 200  # the streak cap lets the retry through


def test_truncate_sends_half_the_body(start):
    running = faulty(start, "truncate")
    with pytest.raises(http.client.IncompleteRead):
        raw_get(running.base_url, PATH)
    assert raw_get(running.base_url, PATH)[0] == 200


@pytest.mark.parametrize(("kind", "status"), [("html_502", 502), ("html_503", 503)])
def test_html_pages(start, kind, status):
    running = faulty(start, kind)
    got, headers, body = raw_get(running.base_url, PATH)
    assert got == status
    assert headers["Content-Type"].startswith("text/html")
    assert body.startswith(b"<!DOCTYPE html>")


def test_slow(start):
    running = faulty(start, "slow", slow_seconds=0.4)
    began = time.monotonic()
    status, _, _ = raw_get(running.base_url, PATH)
    assert status == 200
    assert time.monotonic() - began >= 0.4


@pytest.mark.parametrize(("kind", "code"), [("error_1", 1), ("error_2", 2)])
def test_error_faults(start, kind, code):
    running = faulty(start, kind)
    status, headers, body = raw_get(running.base_url, PATH)
    assert status == 500
    err = json.loads(body)["error"]
    assert err["code"] == code
    assert err["is_transient"] is True
    assert "X-App-Usage" in headers


def test_admin_is_never_faulted_or_charged(start):
    running = faulty(start, "drop")
    for _ in range(3):
        status, _, body = raw_get(running.base_url, "/__admin/stats")
        assert status == 200
    stats = json.loads(body)
    assert stats["faults"]["calls"] == 0
    assert stats["rate_limits"]["admitted"] == 0


def test_standard_headers(client, accounts):
    resp = client.get(f"/{accounts[0]['id']}/campaigns")
    h = resp.headers
    assert h["Content-Type"] == "application/json; charset=UTF-8"
    assert h["facebook-api-version"] == "v25.0"
    assert h["x-fb-trace-id"]
    assert h["x-fb-rev"].isdigit()
    assert "X-Business-Use-Case-Usage" in h
    assert "X-Ad-Account-Usage" in h
    error = client.get(f"/{accounts[0]['id']}/campaigns", fields="nope")
    assert error.error["fbtrace_id"] == error.headers["x-fb-trace-id"]
    assert error.headers["WWW-Authenticate"].startswith(
        'OAuth "Facebook Platform" "invalid_request"'
    )


def test_stats_count_requests_and_errors(start, client_for, accounts):
    running = start()
    c = client_for(running)
    c.get(f"/{accounts[0]['id']}/campaigns")
    c.get(f"/{accounts[0]['id']}/campaigns", fields="nope")
    c.get("/act_100009999999999")
    stats = c.fetch(f"{running.base_url}/__admin/stats").body
    assert stats["requests"]["GET edge:AdAccount/campaigns"] == 2
    assert stats["errors"] == {"100": 1, "100/33": 1}
    assert stats["epoch"] == 0
    assert {"rate_limits", "faults", "jobs"} <= set(stats)
