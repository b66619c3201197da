"""Insights state: lookback from the bookmark, and state from other settings is not reused."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from meta_ads_sandbox.config import DatasetConfig
from tests.e2e.common import END

pytestmark = pytest.mark.e2e
TAP = str(Path(sys.executable).parent / "tap-meta-ads")
START = END - dt.timedelta(days=19)


def _run(tmp: Path, config: dict, state: dict | None) -> tuple[list[dict], dict, str]:
    (tmp / "config.json").write_text(json.dumps(config))
    catalog = json.loads(
        subprocess.run(
            [TAP, "--config", str(tmp / "config.json"), "--discover"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in (
                    "ad_account",
                    "account_insights",
                )
    (tmp / "catalog.json").write_text(json.dumps(catalog))
    args = [TAP, "--config", str(tmp / "config.json"), "--catalog", str(tmp / "catalog.json")]
    if state is not None:
        (tmp / "state.json").write_text(json.dumps(state))
        args += ["--state", str(tmp / "state.json")]
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    records = [
        m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "account_insights"
    ]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return records, states[-1], result.stderr


def test_lookback_and_changed_settings(tmp_path, start_sandbox):
    dataset = DatasetConfig(seed=4, accounts=2, campaigns=2, adsets=1, ads=2, days=20, end_date=END)
    with start_sandbox(dataset, job_seconds=0.2) as api:
        config = {
            "api_url": api.base_url,
            "access_token": "sandbox-token",
            "start_date": START.isoformat(),
            "lookback_days": 3,
            "full_lookback_hours": 0,  # every run re-reads the whole lookback_days
            "job_poll_seconds": 0.1,
            "requests_per_second": 50,
        }
        first, state, _ = _run(tmp_path, config, None)
        assert min(r["date_start"] for r in first) == START.isoformat()
        bookmarks = {
            p["context"]["account_id"]: p["replication_key_value"]
            for p in state["bookmarks"]["account_insights"]["partitions"]
        }
        assert set(bookmarks.values()) == {END.isoformat()}

        again, _, log = _run(tmp_path, config, state)
        assert "other report settings" not in log
        assert min(r["date_start"] for r in again) == (END - dt.timedelta(days=3)).isoformat()

        changed = {**config, "action_attribution_windows": ["1d_click"]}
        fresh, _, log = _run(tmp_path, changed, state)
        assert "saved state was made with other report settings" in log
        assert min(r["date_start"] for r in fresh) == START.isoformat()
