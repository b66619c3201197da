"""The command line: discovery offline, bad settings fail in one line without secrets.

The front door's other cases (files, catalog, state, environment, signals) are in
test_front_door.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
SECRET = "EAAB-very-secret-token-value"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TAP_META_ADS_")}
    # an unroutable proxy: any network access would fail loudly
    clean.update({"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    return subprocess.run(
        [TAP, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        check=False,
    )


def test_discover_needs_no_network_and_no_token():
    result = run("--discover")
    assert result.returncode == 0, result.stderr
    catalog = json.loads(result.stdout)
    assert {s["tap_stream_id"] for s in catalog["streams"]} >= {
        "ad_account",
        "campaigns",
        "adsets",
        "ads",
    }


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"account_ids": ["act_x1"]}, "account_ids[0]"),
        ({"api_version": "v12.0"}, "api_version"),
        ({"page_size": 0}, "page_size"),
        ({"start_date": "2999-01-01"}, "start_date"),
        ({"lookback_days": 500}, "lookback_days"),
        ({"action_attribution_windows": ["7d_view"]}, "action_attribution_windows"),
    ],
)
def test_bad_setting_is_one_clear_line(tmp_path, config, setting):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"access_token": SECRET, "app_secret": SECRET + "2", **config}))
    result = run("--config", str(path))
    assert result.returncode != 0
    assert result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert f"| {setting}" in last or f" {setting}:" in last, last  # the last line names it
    assert "Config validation failed" not in last
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr


def test_wrongly_typed_secret_is_not_echoed(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"access_token": ["not", SECRET]}))
    result = run("--config", str(path))
    assert result.returncode != 0
    assert SECRET not in result.stderr + result.stdout


def test_missing_token_names_the_setting(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"account_ids": ["1"]}))
    result = run("--config", str(path))
    assert result.returncode != 0
    assert "access_token: missing" in result.stderr
