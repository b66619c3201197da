"""The `meta-ads-sandbox` command: serve prints its URL first; truth writes the files."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

END = "2026-11-21"
CLI = [sys.executable, "-m", "meta_ads_sandbox.cli"]


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def served():
    proc = subprocess.Popen(
        [*CLI, "serve", "--end-date", END, "--port", "0", "--token", "cli-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        yield proc, first
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_serve_prints_url_and_walks_campaigns(served, truth, jsonl):
    proc, first = served
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first), first
    accounts = fetch(f"{first}/v25.0/me/adaccounts?access_token=cli-token")["data"]
    hidden = ("DELETED", "ARCHIVED")
    expected = {
        c["id"] for c in jsonl(truth / "campaigns.jsonl") if c["effective_status"] not in hidden
    }
    seen: list[str] = []
    for account in accounts:
        page = fetch(f"{first}/v25.0/{account['id']}/campaigns?limit=2&access_token=cli-token")
        while True:
            seen += [c["id"] for c in page["data"]]
            if "next" not in page.get("paging", {}):
                break
            page = fetch(page["paging"]["next"])
    assert sorted(seen) == sorted(expected)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_refuses_non_loopback_host():
    done = subprocess.run(
        [*CLI, "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr
    assert done.stdout == ""


def test_truth_command(tmp_path, truth):
    done = subprocess.run(
        [*CLI, "truth", "--out", str(tmp_path), "--end-date", END],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = json.loads(done.stdout)
    assert summary["lines"]["ads"] == 36
    for name in ("campaigns.jsonl", "insights_ad.jsonl", "tokens.json"):
        assert (tmp_path / name).read_bytes() == (truth / name).read_bytes()


def test_bad_token_spec():
    done = subprocess.run(
        [*CLI, "truth", "--out", "/nonexistent", "--token", "x=9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "names account 9" in done.stderr
