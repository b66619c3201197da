"""Token health: with app_id and app_secret, debug_token says the token's type, scopes, expiry.

A token that expires within a week warns on every run and its expiry lands in sync_log; one
without ads_read, or that Meta says is not valid, fails the connection test in one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.token_info import TokenInfo

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
APP_ID, APP_SECRET = "1234567890", "app-secret-for-health-tests"
DATASET = DatasetConfig(seed=9, accounts=1, campaigns=1, adsets=1, ads=1, days=2)


def _tap(tmp: Path, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "requests_per_second": 50,
        "job_poll_seconds": 0.2,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(tmp / "config.json"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _server(**info: object) -> dict[str, object]:
    return {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "token_info": (TokenInfo("sandbox-token", **info),),  # type: ignore[arg-type]
    }


def test_a_token_expiring_within_a_week_warns_and_its_expiry_is_in_sync_log(
    tmp_path, start_sandbox
):
    api = start_sandbox(DATASET, job_seconds=0.0, **_server(type="USER", expires_in_days=3))
    result = _tap(tmp_path, api.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if "expires on" in line]
    assert len(warnings) == 1, warnings
    assert "token #1 (USER)" in warnings[0]
    assert "System User token" in warnings[0]
    rows = [
        json.loads(line)["record"]
        for line in result.stdout.splitlines()
        if '"stream":"sync_log"' in line and '"type":"RECORD"' in line
    ]
    expiry = [r["token_expires_at"] for r in rows if r["stream"] == "connection check"]
    assert any(e and e[:4].isdigit() for e in expiry), expiry
    assert "sandbox-token" not in result.stdout + result.stderr
    assert APP_SECRET not in result.stdout + result.stderr


def test_a_system_user_token_that_never_expires_gets_no_warning(tmp_path, start_sandbox):
    api = start_sandbox(DATASET, job_seconds=0.0, **_server())
    result = _tap(tmp_path, api.base_url, "--test")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "SYSTEM_USER token, never expires" in result.stderr
    assert "expires on" not in result.stderr


def test_a_token_without_ads_read_fails_the_connection_test_in_one_line(tmp_path, start_sandbox):
    api = start_sandbox(DATASET, job_seconds=0.0, **_server(scopes=("business_management",)))
    result = _tap(tmp_path, api.base_url, "--test")
    assert result.returncode == 1
    assert "token #1: the token lacks the ads_read permission" in result.stderr
    assert "Traceback" not in result.stderr
