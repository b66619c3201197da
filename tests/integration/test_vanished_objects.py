"""Full-table streams end with ACTIVATE_VERSION, only when every account was read.

The tap's command line against an in-process sandbox: the records of a full-table stream
carry one table version and the stream's last message activates it (target-postgres then
marks the rows it did not see); incremental streams carry none; a run in which an account
fails sends no activation for it, so that account's rows are never marked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from meta_ads_sandbox import ids
from tests.conftest import TAP_DATASET

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
FULL_TABLE = ("adcreatives", "adimages", "advideos", "custom_audiences", "custom_conversions")


def _sync(tmp: Path, base_url: str, **extra: Any) -> tuple[int, list[dict[str, Any]]]:
    config = {
        **extra,
        "api_url": base_url,
        "access_token": "sandbox-token",
        "start_date": "2026-11-19",
        "end_date": "2026-11-21",
        "job_poll_seconds": 0.2,
        "requests_per_second": 50,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    result = subprocess.run(
        [TAP, "--config", str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()]


def test_full_table_streams_activate_their_version_after_their_last_record(tmp_path, start_sandbox):
    server = start_sandbox(TAP_DATASET)
    code, messages = _sync(tmp_path, server.base_url)
    assert code == 0
    for stream in FULL_TABLE:
        mine = [m for m in messages if m.get("stream") == stream and m["type"] != "SCHEMA"]
        versions = {m.get("version") for m in mine if m["type"] == "RECORD"}
        assert len(versions) == 1, stream
        assert None not in versions, stream
        assert mine[-1] == {"type": "ACTIVATE_VERSION", "stream": stream, "version": versions.pop()}
        assert sum(m["type"] == "ACTIVATE_VERSION" for m in mine) == 1
    activities = [m for m in messages if m.get("stream") == "activities"]
    assert any(m["type"] == "RECORD" for m in activities)
    assert all("version" not in m and m["type"] != "ACTIVATE_VERSION" for m in activities)


def test_a_failed_account_means_no_activation(tmp_path, start_sandbox):
    server = start_sandbox(replace(TAP_DATASET, accounts=3))
    request = urllib.request.Request(
        f"{server.base_url}/__admin/revoke?token=sandbox-token&account=2", method="POST", data=b""
    )
    with urllib.request.urlopen(request, timeout=30):
        pass
    every = [ids.account_id(a) for a in range(3)]
    code, messages = _sync(tmp_path, server.base_url, account_ids=every)
    assert code == 1
    assert any(m["type"] == "RECORD" and m["stream"] == "adcreatives" for m in messages)
    assert not [m for m in messages if m["type"] == "ACTIVATE_VERSION"]
