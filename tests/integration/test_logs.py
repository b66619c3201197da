"""The tap's log: METRIC lines only with ``log_metrics``; levels a structured-logging reader sees.

The tap's command line against an in-process sandbox. The structured runs use the logging
config Meltano 4 writes for a plugin that declares ``structured-logging`` (its own
``_get_sdk_logging``, with the SDK's StructuredFormatter) and read the lines with Meltano's own
parser, so what Meltano would show is checked here without Meltano; tests/e2e/test_logs.py
runs ``meltano run`` itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from meltano.core.logging.parsers import SingerSDKLogParser
from meltano.core.plugin.singer.base import _get_sdk_logging
from singer_sdk.helpers._state import increment_state

from meta_ads_sandbox.config import DatasetConfig
from tap_meta_ads.logs import configure_logs

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)
DATASET = DatasetConfig(seed=5, accounts=2, campaigns=1, adsets=1, ads=2, days=3, end_date=END)
MISSING_ACCOUNT = "999999999"  # no such account in the sandbox


def _sync(
    tmp: Path, base_url: str, env: dict[str, str] | None = None, **extra: object
) -> subprocess.CompletedProcess[str]:
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "job_poll_seconds": 0.2,
        "requests_per_second": 20,
        "start_date": (END - dt.timedelta(days=2)).isoformat(),
        "end_date": END.isoformat(),
        **extra,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_META_ADS_", "SINGER"))}
    return subprocess.run(
        [TAP, "--config", str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**clean, **(env or {})},
    )


def _records(stdout: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD":
            found[message["stream"]] += 1
    return found


def _metrics(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line.split("METRIC: ", 1)[1]) for line in lines if "METRIC: " in line]


def test_metric_lines_are_off_by_default_and_on_with_log_metrics(tmp_path, start_sandbox):
    api = start_sandbox(DATASET, job_seconds=0.0)
    quiet = _sync(tmp_path, api.base_url)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert "METRIC" not in quiet.stderr
    assert "Summary per account" in quiet.stderr  # the log itself is there
    # the SDK's line per account and stream (naming no account) is DEBUG; progress says it
    assert "Starting incremental sync of" not in quiet.stderr
    assert "progress: ads finished: 2 of 2 accounts" in quiet.stderr
    debug = _sync(tmp_path, api.base_url, env={"LOGLEVEL": "DEBUG"})
    assert "Starting incremental sync of 'ads'" in debug.stderr

    loud = _sync(tmp_path, api.base_url, log_metrics=True)
    assert loud.returncode == 0, loud.stderr[-3000:]
    points = _metrics(loud.stderr.splitlines())
    assert {p["metric"] for p in points} >= {"record_count", "http_request_count"}
    # with their tags: the records counted per stream add up to the records written
    counted: Counter[str] = Counter()
    for point in points:
        if point["metric"] == "record_count":
            counted[point["tags"]["stream"]] += point["value"]
    assert +counted == _records(loud.stdout)


def test_structured_lines_carry_warning_and_error_levels_and_metric_tags(tmp_path, start_sandbox):
    """The levels Meltano reads: a warning from Meta, a failed account, the rest at INFO."""
    config = tmp_path / "logging.json"
    structured = {"()": "singer_sdk.logging.StructuredFormatter"}
    config.write_text(json.dumps(_get_sdk_logging(level="INFO", formatter=structured)))
    api = start_sandbox(DATASET, job_seconds=0.0, version_warnings=("v27.0",))
    result = _sync(
        tmp_path,
        api.base_url,
        env={"SINGER_SDK_LOG_CONFIG": str(config)},
        log_metrics=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    parser = SingerSDKLogParser()
    parsed = [parser.parse(line) for line in result.stderr.splitlines() if line.strip()]
    assert parsed
    assert all(p is not None for p in parsed), result.stderr[-3000:]  # every line is JSON
    records = [p for p in parsed if p is not None]
    by_level: dict[int, list[str]] = {}
    for record in records:
        by_level.setdefault(record.level, []).append(record.message)
    warnings = by_level.get(logging.WARNING, [])
    assert len(warnings) == 1, warnings  # Meta's, once; no false alarm of the SDK's
    assert warnings[0].startswith("Meta warns about the API version (v27.0)")
    assert any(m.startswith("progress: ads finished: ") for m in by_level[logging.INFO])
    # the metric lines keep their tags in the message (Meltano's console drops the fields)
    points = _metrics(by_level[logging.INFO])
    assert points
    assert all(p["tags"].get("stream") for p in points)


def test_a_failed_account_is_logged_at_error_level(tmp_path, start_sandbox):
    config = tmp_path / "logging.json"
    structured = {"()": "singer_sdk.logging.StructuredFormatter"}
    config.write_text(json.dumps(_get_sdk_logging(level="INFO", formatter=structured)))
    api = start_sandbox(DATASET, job_seconds=0.0)
    result = _sync(
        tmp_path,
        api.base_url,
        env={"SINGER_SDK_LOG_CONFIG": str(config)},
        account_ids=[MISSING_ACCOUNT],
    )
    assert result.returncode == 1
    parser = SingerSDKLogParser()
    records = [parser.parse(line) for line in result.stderr.splitlines() if line.strip()]
    errors = [r.message for r in records if r is not None and r.level == logging.ERROR]
    assert any(MISSING_ACCOUNT in line for line in errors), result.stderr[-3000:]
    assert "METRIC" not in result.stderr


def test_the_sdks_unsorted_notice_is_a_debug_line(caplog):
    """singer-sdk warns once per partition of an unsorted stream; here it is DEBUG."""
    state: dict[str, Any] = {}
    with caplog.at_level(logging.INFO, logger="singer_sdk"):
        configure_logs(log_metrics=False)  # on the handlers there are, caplog's among them
        increment_state(
            state, latest_record={"d": 1}, replication_key="d", is_sorted=False, check_sorted=False
        )
    assert "progress_markers" in state  # the SDK did take that path
    assert caplog.records == []
    state.clear()
    with caplog.at_level(logging.DEBUG, logger="singer_sdk"):
        configure_logs(log_metrics=False)
        increment_state(
            state, latest_record={"d": 1}, replication_key="d", is_sorted=False, check_sorted=False
        )
    (record,) = [r for r in caplog.records if r.name == "singer_sdk"]
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith("Stream is assumed to be unsorted")
