"""Progress lines: at most one per interval on long runs, none on short ones, never per record.

The tap's command line against an in-process sandbox (no Meltano, no PostgreSQL). Nothing
here measures the spacing of two lines: a loaded machine may delay a line, and that is
fine. The count of lines is bounded by the run's length instead, which a loaded machine only
makes longer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from meta_ads_sandbox.config import DatasetConfig

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)  # the tap reads up to end_date: the run does not follow the calendar
EVERY = 0.75  # progress_seconds of the long run


def _sync(tmp: Path, base_url: str, **extra: object) -> tuple[str, int, float]:
    """Run the tap; its log, the records it wrote and how long it took (seconds)."""
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "job_poll_seconds": 0.2,
        "requests_per_second": 20,
        "start_date": (END - dt.timedelta(days=9)).isoformat(),
        "end_date": END.isoformat(),
        **extra,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    began = time.monotonic()
    result = subprocess.run(
        [TAP, "--config", str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr[-3000:]
    records = sum(1 for line in result.stdout.splitlines() if '"type":"RECORD"' in line)
    return result.stderr, records, took


def _progress_lines(log: str) -> list[str]:
    return re.findall(r"^\S+ \S+ \| INFO .*progress: .*$", log, re.MULTILINE)


def test_progress_is_periodic_and_quiet_on_short_runs(tmp_path, start_sandbox):
    dataset = DatasetConfig(seed=8, accounts=2, campaigns=2, adsets=2, ads=2, days=10, end_date=END)
    # each report run takes the sandbox 1 s: the run lasts several intervals on any machine
    api = start_sandbox(dataset, job_seconds=1.0, latency_ms=40)
    log, records, took = _sync(tmp_path, api.base_url, progress_seconds=EVERY)
    lines = _progress_lines(log)
    assert len(lines) >= 2
    assert len(lines) <= took / EVERY  # at most one per interval, however slow the run
    assert len(lines) < records / 20  # nowhere near a line per record
    assert "rows" in lines[0]
    assert "waited on rate limits" in lines[0]
    assert any("report runs running" in line for line in lines)
    assert "Summary per account" in log

    quiet, _, _ = _sync(tmp_path, api.base_url, progress_seconds=600.0)
    assert _progress_lines(quiet) == []
    assert "Summary per account" in quiet
