"""Progress lines: at most one per interval on long runs, none on short ones, never per record."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.server import start_in_thread

pytestmark = pytest.mark.e2e
TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date.today() - dt.timedelta(days=1)


def _sync(tmp: Path, base_url: str, **extra: object) -> tuple[str, int]:
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "job_poll_seconds": 0.2,
        "requests_per_second": 20,
        "start_date": (END - dt.timedelta(days=9)).isoformat(),
        **extra,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    result = subprocess.run(
        [TAP, "--config", str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = sum(1 for line in result.stdout.splitlines() if '"type":"RECORD"' in line)
    return result.stderr, records


def _stamps(log: str) -> list[dt.datetime]:
    return [
        dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for m in re.finditer(r"^(\S+ \S+) \| INFO .*progress: ", log, re.MULTILINE)
    ]


def test_progress_is_periodic_and_quiet_on_short_runs(tmp_path):
    dataset = DatasetConfig(seed=8, accounts=2, campaigns=2, adsets=2, ads=2, days=10, end_date=END)
    with start_in_thread(dataset, ServerConfig(job_seconds=1.0, latency_ms=40)) as api:
        log, records = _sync(tmp_path, api.base_url, progress_seconds=1.0)
        stamps = _stamps(log)
        assert len(stamps) >= 2
        assert all((b - a).total_seconds() >= 0.99 for a, b in itertools.pairwise(stamps))
        assert len(stamps) < records / 20  # nowhere near a line per record
        line = next(line for line in log.splitlines() if "progress: " in line)
        assert "rows" in line
        assert "waited on rate limits" in line
        assert any("report runs running" in line for line in log.splitlines())
        assert "Summary per account" in log

        quiet, _ = _sync(tmp_path, api.base_url, progress_seconds=600.0)
        assert _stamps(quiet) == []
        assert "Summary per account" in quiet
