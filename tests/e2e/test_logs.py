"""What ``meltano run`` shows of the tap: warnings and errors at their level, no METRIC lines
unless ``log_metrics`` is on, and then with their tags; progress lines per stream.

meltano.yml declares ``structured-logging``, so Meltano hands the tap a logging config and reads
the level of each line (tests/integration/test_logs.py checks the same lines without Meltano).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.e2e import resilience as rs

pytestmark = pytest.mark.e2e

MISSING_ACCOUNT = "999999999"  # no such account: it fails alone, the others load
STREAMS = ["ad_account", "campaigns", "adsets", "ads", "ad_insights"]
#: A tap line as Meltano's console shows it: ``<time> [<level>   ] tap-meta-ads <message>``.
LINE = re.compile(r"^\S+ \[(\w+)\s*\] tap-meta-ads (.*)$")


def _shown(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    """``(level, message)`` of each tap line of the run's output."""
    found = []
    for line in (result.stdout + result.stderr).splitlines():
        match = LINE.match(line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def test_meltano_shows_warnings_and_errors_at_their_level_and_no_metrics_by_default(
    warehouse, sandbox_process
):
    with sandbox_process(rs.dataset(71), ["--version-warning", "v27.0"]) as api:
        accounts = [*rs.account_ids(api), MISSING_ACCOUNT]
        env = rs.env_for(warehouse, api, select=STREAMS, account_ids=json.dumps(accounts))
        result = rs.run(env)
        assert result.returncode != 0  # the missing account fails the run
        shown = _shown(result)
        assert shown, result.stderr[-3000:]
        warnings = [m for level, m in shown if level == "warning"]
        # Meta's version warning, once; no false alarm of the SDK's
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith("Meta warns about the API version (v27.0)")
        errors = [m for level, m in shown if level == "error"]
        assert any(m.startswith(f"FAILED account {MISSING_ACCOUNT}:") for m in errors), errors
        assert all(MISSING_ACCOUNT in m or "failed" in m for m in errors), errors
        assert not [m for _level, m in shown if "METRIC" in m]
        finished = [m for level, m in shown if level == "info" and " finished: " in m]
        # the account that failed the connection check is skipped by every stream
        assert any(
            m.startswith("progress: ads finished: 4 of 4 accounts (1 skipped), ") for m in finished
        ), finished
        # the healthy accounts loaded in full
        truth = rs.truth_of(api)
        assert rs.problems(warehouse, truth, ["ads", "ad_insights"]) == []

        loud = rs.run({**env, "TAP_META_ADS_LOG_METRICS": "true"})
        metrics = [m for _level, m in _shown(loud) if m.startswith("METRIC: ")]
        assert metrics
        points = [json.loads(m.split("METRIC: ", 1)[1]) for m in metrics]
        # with their tags, which Meltano's own rendering of metrics leaves out
        assert all(p["tags"].get("stream") for p in points)
        assert {p["metric"] for p in points} >= {"record_count", "http_request_count"}
