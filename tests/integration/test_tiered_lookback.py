"""The tiered lookback: recent days every run, the whole window once a period per account.

The tap's command line with state files against an in-process sandbox: a no-change run
re-reads a small share of what a full-window run reads, and a run whose account is due (its
last full re-read older than ``full_lookback_hours``) reads the whole window again and so
catches Meta's restated days.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from meta_ads_sandbox.config import DatasetConfig

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)
DAYS = 45


def _run(tmp: Path, name: str, base_url: str, state: dict[str, Any] | None) -> tuple[int, dict]:
    """One sync: (ad_insights rows it emitted, its last state)."""
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "start_date": (END - dt.timedelta(days=DAYS - 1)).isoformat(),
        "end_date": END.isoformat(),
        "lookback_days": 28,
        "recent_lookback_days": 2,
        "job_poll_seconds": 0.2,
        "requests_per_second": 50,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    command = [TAP, "--config", str(tmp / "config.json")]
    if state is not None:
        (tmp / f"{name}-state.json").write_text(json.dumps(state))
        command += ["--state", str(tmp / f"{name}-state.json")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rows, last_state = 0, {}
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD" and message["stream"] == "ad_insights":
            rows += 1
        elif message["type"] == "STATE":
            last_state = message["value"]
    return rows, last_state


def _partitions(state: dict[str, Any]) -> list[dict[str, Any]]:
    return state["bookmarks"]["ad_insights"]["partitions"]


def test_a_no_change_run_rereads_recent_days_and_a_due_account_the_whole_window(
    tmp_path, start_sandbox
):
    dataset = DatasetConfig(
        seed=12, accounts=2, campaigns=2, adsets=2, ads=4, days=DAYS, end_date=END
    )
    api = start_sandbox(dataset, job_seconds=0.0)

    full, state = _run(tmp_path, "first", api.base_url, None)
    assert full > 0
    first_full = {p["context"]["account_id"]: p["full_lookback_at"] for p in _partitions(state)}
    assert len(first_full) == 2  # the first run read everything: it counts as a full re-read

    again, state = _run(tmp_path, "again", api.base_url, state)
    assert again > 0
    for partition in _partitions(state):  # accounts with rows keep their last full re-read
        if partition.get("replication_key_value"):
            account = partition["context"]["account_id"]
            assert partition["full_lookback_at"] == first_full[account]

    # A day later each account is due: the whole 28-day window is read again.
    for partition in _partitions(state):
        moment = dt.datetime.fromisoformat(partition["full_lookback_at"])
        partition["full_lookback_at"] = (moment - dt.timedelta(hours=25)).isoformat()
    api.sandbox.dataset.advance()  # Meta restates recent days meanwhile
    due, state = _run(tmp_path, "due", api.base_url, state)
    assert due > again
    # a no-change run re-reads recent days only (2 and the bookmark's): <= 15 % of a full one
    assert again <= 0.15 * due, (again, due)
    assert all(
        p["full_lookback_at"] > first_full[p["context"]["account_id"]] for p in _partitions(state)
    )
