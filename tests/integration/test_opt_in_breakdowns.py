"""Opt-in breakdowns (2026): one warning naming the rule, and an empty result once Meta's daily
quota of report runs for them is used, never a crash or a retry that spends more of it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from meta_ads_sandbox.config import DatasetConfig

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)
#: One ad group: the account that did not opt in gets min(10, 1) = 1 report run a day.
DATASET = DatasetConfig(seed=14, accounts=1, campaigns=1, adsets=1, ads=1, days=5, end_date=END)
REPORT = {
    "name": "by_device",
    "level": "ad",
    "fields": ["impressions", "spend"],
    "breakdowns": ["publisher_platform", "impression_device"],
}


def _run(tmp: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "start_date": (END - dt.timedelta(days=4)).isoformat(),
        "end_date": END.isoformat(),
        "insights_reports": [REPORT],
        "job_poll_seconds": 0.2,
        "requests_per_second": 50,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    catalog = json.loads(
        subprocess.run(
            [TAP, "--config", str(tmp / "config.json"), "--discover"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "by_device"
    (tmp / "catalog.json").write_text(json.dumps(catalog))
    return subprocess.run(
        [TAP, "--config", str(tmp / "config.json"), "--catalog", str(tmp / "catalog.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_opt_in_breakdowns_warn_and_an_exhausted_daily_quota_gives_an_empty_result(
    tmp_path, start_sandbox
):
    api = start_sandbox(DATASET, job_seconds=0.0)
    first = _run(tmp_path, api.base_url)
    assert first.returncode == 0, first.stderr[-3000:]
    rule = [line for line in first.stderr.splitlines() if "need the ad account's opt-in" in line]
    assert len(rule) == 1, rule
    assert "impression_device" in rule[0]

    second = _run(tmp_path, api.base_url)  # the day's one report run is used
    assert second.returncode == 0, second.stderr[-3000:]
    quota = [line for line in second.stderr.splitlines() if "nothing is lost" in line]
    assert quota, second.stderr[-3000:]
    assert "code 613" in quota[0]
    assert "Traceback" not in second.stderr
    assert "retry" not in second.stderr.lower()  # the quota is not spent on retries
    assert "throttled" not in second.stderr  # nor waited on
    rows = [line for line in second.stdout.splitlines() if '"stream":"by_device"' in line]
    assert not [line for line in rows if '"type":"RECORD"' in line]
